"""The workflow on a Spark standalone cluster (a master and two workers on 127.0.0.1) publishes the
catalog local mode publishes, from the bundled samples. Expected figures come from the samples' files."""

import json
from pathlib import Path

import pytest

from devtools.published_catalog import published_records
from devtools.run_samples import SAMPLES, run_samples
from devtools.spark_cluster import catalog_difference, harvest_samples, standalone_cluster

# Not in `make test-fast`: it starts five JVMs and runs the workflow twice.
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def sample_entries() -> dict[str, int]:
    """How many records each bundled source offers: counted in the files where one entry is one record."""
    www = SAMPLES / "www"
    return {
        "example-agency": len(json.loads((www / "datajson/data.json").read_text("utf-8"))["dataset"]),
        "example-coastal-waf": len(list((www / "waf").rglob("*.xml"))),
        # DCAT-US 3.0 splits services, series, catalog records and nested catalogs into records of
        # their own: the 9 of datajson3/data.json, as tests/test_workflow_e2e.py pins them.
        "example-agency-dcat3": 9,
    }


def run_report(lake: Path) -> dict:
    (report,) = lake.glob("runs/*/report/report.json")
    return json.loads(report.read_text("utf-8"))


def test_a_two_worker_cluster_publishes_the_same_catalog_as_local_mode(tmp_path, spark):
    local_lake, cluster_lake = tmp_path / "lake-local", tmp_path / "lake-cluster"
    assert run_samples(str(local_lake)) == 0  # local mode: the suite's own session, local[2]
    with standalone_cluster(workers=2, cores_per_worker=1, work=tmp_path / "cluster") as master:
        assert master.startswith("spark://127.0.0.1:")
        harvest_samples(cluster_lake, master)  # its own driver, in a process of its own

    assert catalog_difference(str(local_lake), str(cluster_lake)) == []
    # The executors ran in the workers' own folders, one application each.
    assert all(list((tmp_path / "cluster" / f"worker-{n}").glob("app-*")) for n in (1, 2))
    sources = {entry["source_id"]: entry for entry in run_report(cluster_lake)["sources"]}
    entries = sample_entries()
    assert {source: entry["extracted"] for source, entry in sources.items()} == entries
    published = published_records(str(cluster_lake))
    rejected = sum(entry["rejected"] for entry in sources.values())
    assert 0 < rejected < sum(entries.values())  # the samples hold a few invalid records on purpose
    assert len(published) == sum(entries.values()) - rejected
    listed = json.loads((SAMPLES / "www/datajson/data.json").read_text("utf-8"))["dataset"]
    agency = {identifier for source, identifier in published if source == "example-agency"}
    assert agency and agency <= {entry["identifier"] for entry in listed}
