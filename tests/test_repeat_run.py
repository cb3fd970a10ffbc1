"""Repeat runs: a day on which no data.json changed carries the last run's verdicts instead of reading every
record again, and reports exactly what a full re-read reports.

The e2e days serve the bundled data.json samples (1.1 and 3.0) over loopback HTTP into two lakes that
share their first harvest; the second lake has no LAST_RUN.json, so its second day reads every record,
and is the yardstick the repeat is held to.
"""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from glue_jobs.cli import run_harvest
from transforms import repeat_run
from transforms.fetch.source_pass import document_sha256
from transforms.publish.catalog_state import read_pointer
from transforms.run_manifest import RunManifest

REGISTRY = """sources:
  - id: agency
    title: Example Agency data.json
    organization: Example Agency
    url: "{base}/datajson/data.json"
    type: datajson
    schema: dcatus1.1-federal
    allow_private_network: true
  - id: agency-dcat3
    title: Example Agency data.json (DCAT-US 3.0)
    organization: Example Agency
    url: "{base}/datajson3/data.json"
    type: datajson
    schema: dcatus3.0
    allow_private_network: true
"""


def report(lake: Path, run_id: str) -> dict:
    return json.loads((lake / "runs" / run_id / "report" / "report.json").read_text())


def outcomes(lake: Path, run_id: str) -> list[dict]:
    rows = pq.read_table(lake / "runs" / run_id / "report" / "outcomes").to_pylist()
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


@pytest.fixture(scope="module")
def days(tmp_path_factory) -> dict:
    """run-1 (first harvest) into lake A, copied to lake B without LAST_RUN.json; run-2 (nothing changed) into
    both; run-3 into A after one title was edited."""
    site, repeat_lake = tmp_path_factory.mktemp("site"), tmp_path_factory.mktemp("repeat-lake")
    reread_lake = tmp_path_factory.mktemp("reread-lake")
    for folder in ("datajson", "datajson3"):
        shutil.copytree(SAMPLES / "www" / folder, site / "www" / folder)
    with serve_folder(site / "www") as base_url:
        registry = site / "sources.yaml"
        registry.write_text(REGISTRY.format(base=base_url.rstrip("/")), "utf-8")

        def harvest(lake: Path, run_id: str) -> None:
            assert run_harvest(str(registry), str(lake), run_id=run_id) == 0

        harvest(repeat_lake, "run-1")
        shutil.copytree(repeat_lake, reread_lake, dirs_exist_ok=True)
        (reread_lake / "catalog" / "LAST_RUN.json").unlink()
        harvest(repeat_lake, "run-2")
        harvest(reread_lake, "run-2")
        catalog = site / "www" / "datajson" / "data.json"
        document = json.loads(catalog.read_text("utf-8"))
        document["dataset"][0]["title"] += " (revised)"
        catalog.write_text(json.dumps(document, indent=1), "utf-8")
        harvest(repeat_lake, "run-3")
    return {"repeat": repeat_lake, "reread": reread_lake}


@pytest.mark.e2e
def test_an_unchanged_day_repeats_the_last_run_and_reports_what_reading_every_record_reports(days):
    repeat_lake, reread_lake = days["repeat"], days["reread"]
    repeated, reread = report(repeat_lake, "run-2"), report(reread_lake, "run-2")
    assert repeated["repeat_of"] == "run-1" and "repeat_of" not in reread
    assert repeated["totals"] == reread["totals"]
    assert repeated["totals"]["unchanged"] > 0 and repeated["totals"]["rejected"] > 0
    assert (
        repeated["totals"]["created"] == repeated["totals"]["updated"] == repeated["totals"]["deleted"] == 0
    )
    # Record for record: the same outcome, reasons and warnings as reading every record again.
    assert outcomes(repeat_lake, "run-2") == outcomes(reread_lake, "run-2")
    # Per source too, except the suites' findings: a repeat runs no suite.
    figures = [{k: v for k, v in s.items() if k != "failed_expectations"} for s in repeated["sources"]]
    assert figures == [{k: v for k, v in s.items() if k != "failed_expectations"} for s in reread["sources"]]
    # Nothing was read, split, compared or transformed; no new catalog version.
    assert not any(
        (repeat_lake / "runs" / "run-2" / stage).exists() for stage in ("extract", "compare", "transform")
    )
    assert not (repeat_lake / "catalog" / "versions" / "run-2").exists()
    assert (
        json.loads((repeat_lake / "runs" / "run-2" / "quality" / "summary.json").read_text())["repeat_of"]
        == "run-1"
    )


@pytest.mark.e2e
def test_a_changed_document_is_read_again_and_its_edit_published(days):
    lake = days["repeat"]
    edited = report(lake, "run-3")
    assert "repeat_of" not in edited and (lake / "runs" / "run-3" / "extract").is_dir()
    assert (
        edited["totals"]["updated"] == 1 and edited["totals"]["created"] == edited["totals"]["deleted"] == 0
    )
    assert read_pointer(str(lake))["version"] == "run-3"
    # The run that published the edit is the one the next repeat would carry.
    assert json.loads((lake / "catalog" / "LAST_RUN.json").read_text())["run_id"] == "run-3"


# decide() without Spark: a lake holding a LAST_RUN.json and the previous run's table folders.


def manifest_for(registry: str, run_id: str = "run-2", **options) -> RunManifest:
    fields = dict(
        run_id=run_id,
        started="2026-11-30T00:00:00+00:00",
        base_version="run-1",
        registry=registry,
        registry_uri="sources.yaml",
        force=False,
        only_sources="",
    )
    return RunManifest(**{**fields, **options})


@pytest.fixture
def decided_lake(tmp_path) -> tuple[Path, str, Path]:
    """(lake, registry text, the 1.1 document): run-1 left LAST_RUN.json for both sample data.json files."""
    site, lake = tmp_path / "site", tmp_path / "lake"
    for folder in ("datajson", "datajson3"):
        shutil.copytree(SAMPLES / "www" / folder, site / folder)
    registry = REGISTRY.format(base=site.as_uri())
    previous = manifest_for(registry, run_id="run-1", base_version=None)
    hashes = {source.id: document_sha256(source) for source in previous.sources()}
    repeat_run.write_last_run(str(lake), previous, "run-1", hashes)
    for table in ("extract/records", "validate/records", "validate/sources"):
        (lake / "runs" / "run-1" / table).mkdir(parents=True)
    return lake, registry, site / "datajson" / "data.json"


def test_a_run_whose_documents_are_byte_identical_repeats_the_last_run_and_keeps_that_decision(decided_lake):
    lake, registry, _ = decided_lake
    assert repeat_run.decide(str(lake), manifest_for(registry)) == "run-1"
    assert repeat_run.repeat_of(str(lake), "run-2") == "run-1"
    # A second attempt of the run keeps the decision, whatever LAST_RUN says now.
    (lake / "catalog" / "LAST_RUN.json").unlink()
    assert repeat_run.decide(str(lake), manifest_for(registry)) == "run-1"


@pytest.mark.parametrize(
    "change",
    [
        "a document changed",
        "the run is forced",
        "the catalog moved on",
        "a registry entry changed",
        "a WAF joined the registry",
        "the last run was pruned",
        "another code version judged it",
    ],
)
def test_any_change_means_every_source_is_read(decided_lake, change):
    lake, registry, document = decided_lake
    manifest = manifest_for(registry)
    if change == "a document changed":
        document.write_text(document.read_text("utf-8").replace('"title"', '"title" ', 1), "utf-8")
    elif change == "the run is forced":
        manifest = replace(manifest, force=True)
    elif change == "the catalog moved on":
        manifest = replace(manifest, base_version="run-0")
    elif change == "a registry entry changed":
        manifest = manifest_for(registry.replace("Example Agency data.json\n", "Example Agency catalog\n"))
    elif change == "a WAF joined the registry":
        waf = "  - id: waf\n    title: W\n    organization: O\n    url: https://example.gov/waf/\n    type: waf\n    schema: iso19115\n"
        manifest = manifest_for(registry + waf)
    elif change == "the last run was pruned":
        shutil.rmtree(lake / "runs" / "run-1")
    else:
        last = json.loads((lake / "catalog" / "LAST_RUN.json").read_text())
        (lake / "catalog" / "LAST_RUN.json").write_text(json.dumps({**last, "code": "0" * 64}))
    assert repeat_run.decide(str(lake), manifest) is None
    assert repeat_run.repeat_of(str(lake), "run-2") is None
