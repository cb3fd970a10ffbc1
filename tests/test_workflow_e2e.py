"""The whole workflow over HTTP-served samples: a first harvest, an unchanged re-harvest, a day of edits,
and a day the publisher's server breaks. Expected figures come from what the fixtures contain."""

import json
import shutil
from pathlib import Path

import pytest

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import run_harvest
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import read_pointer, read_state

pytestmark = pytest.mark.e2e


def harvest(site: Path, lake: Path, run_id: str, exit_code: int = 0) -> dict:
    assert run_harvest(str(site / "sources.yaml"), str(lake), run_id=run_id, new_lake=True) == exit_code
    report = json.loads((lake / "runs" / run_id / "report" / "report.json").read_text())
    assert report["status"] == "succeeded" and report["started"] <= report["finished"]
    assert lake_lock.holder(str(lake)) is None  # load released the lake
    manifest = json.loads((lake / "runs" / run_id / "manifest.json").read_text())
    assert manifest["started"] == report["started"] and "sources:" in manifest["registry"]
    sources = {entry["source_id"]: entry for entry in report["sources"]}
    return {"sources": sources, "current": read_pointer(str(lake))}


def counts(entry: dict) -> tuple:
    return tuple(
        entry[name]
        for name in ("extracted", "created", "updated", "deleted", "unchanged", "rejected", "held")
    )


def edit_catalog(site: Path, edit) -> None:
    path = site / "www" / "datajson" / "data.json"
    catalog = json.loads(path.read_text())
    edit(catalog["dataset"])
    path.write_text(json.dumps(catalog, indent=1))


def a_day_of_edits(datasets: list) -> None:
    datasets[1]["title"] = "Public Library Branches and Bookmobiles"
    del datasets[2]  # Bridge Inspection Results
    added = dict(datasets[0], identifier="https://data.example.gov/id/sample-100", title="Noise Complaints")
    datasets.append(added)
    datasets.append("not a dataset")
    datasets.append(dict(datasets[0], identifier="https://data.example.gov/id/sample-101", title=42))


@pytest.fixture(scope="module")
def days(tmp_path_factory) -> tuple[Path, dict]:
    """Four days of the samples' life, harvested once, in order, into one lake: (lake, results by run id).

    Each test reads the run it is about, so any test can run alone or in any order.
    """
    root, lake = tmp_path_factory.mktemp("site"), tmp_path_factory.mktemp("lake")
    shutil.copytree(SAMPLES / "www", root / "www")
    results = {}
    with serve_folder(root / "www") as base_url:
        registry = (
            (SAMPLES / "sources.yaml").read_text("utf-8").replace("{samples_url}", base_url.rstrip("/"))
        )
        (root / "sources.yaml").write_text(registry, "utf-8")
        results["run-1"] = harvest(root, lake, "run-1")  # the first harvest
        results["run-2"] = harvest(root, lake, "run-2")  # nothing changed
        edit_catalog(root, a_day_of_edits)
        # An entry that is not an object may be the removed dataset: its delete is held (exit code 3).
        results["run-3"] = harvest(root, lake, "run-3", exit_code=3)
        broken = "<html><body>Service temporarily unavailable</body></html>"
        (root / "www" / "datajson" / "data.json").write_text(broken)
        # The publisher's server breaks: the run succeeds, one source failed (exit code 3).
        results["run-4"] = harvest(root, lake, "run-4", exit_code=3)
    return lake, results


def test_first_harvest_publishes_valid_records_and_rejects_the_rest(days, spark):
    lake, results = days
    sources = results["run-1"]["sources"]
    # data.json: 8 datasets; #7 has a contact address that is not mailto:, #8 has no title
    assert counts(sources["example-agency"]) == (8, 6, 0, 0, 0, 2, 0)
    assert sources["example-agency"]["status"] == "complete"
    reasons = " ".join(r["reason"] for r in sources["example-agency"]["top_reasons"])
    assert "hasEmail" in reasons and "title" in reasons
    # WAF: 4 XML files in two folders; broken-export.xml is not well formed
    assert counts(sources["example-coastal-waf"]) == (4, 3, 0, 0, 0, 1, 0)
    assert "well formed" in sources["example-coastal-waf"]["top_reasons"][0]["reason"]
    # DCAT-US 3.0: 2 datasets (one with an identifier object without @id), a service and the dataset it
    # serves, a series and its 2 members, a catalog record, and a dataset in a nested catalog
    dcat3 = sources["example-agency-dcat3"]
    assert counts(dcat3) == (9, 8, 0, 0, 0, 1, 0)
    assert {kind: tally["records"] for kind, tally in dcat3["record_types"].items()} == {
        "Dataset": 6,
        "DataService": 1,
        "CatalogRecord": 1,
        "DatasetSeries": 1,
    }
    assert '"@id"' in dcat3["top_reasons"][0]["reason"] and dcat3["conforms_to"]
    assert results["run-1"]["current"]["version"] == "run-1"
    state = read_state(spark, str(lake), "run-1")
    assert state.count() == 17
    assert state.filter("dcat_version = '3.0'").count() == 8
    assert (lake / "runs" / "run-1" / "report" / "report.html").is_file()


def test_unchanged_sources_change_nothing(days):
    lake, results = days
    sources = results["run-2"]["sources"]
    assert counts(sources["example-agency"]) == (8, 0, 0, 0, 6, 2, 0)
    assert counts(sources["example-coastal-waf"]) == (4, 0, 0, 0, 3, 1, 0)
    assert counts(sources["example-agency-dcat3"]) == (9, 0, 0, 0, 8, 1, 0)
    assert results["run-2"]["current"]["version"] == "run-1"  # no new catalog content was written
    assert not (lake / "catalog" / "versions" / "run-2").exists()


def test_one_edit_one_removal_one_addition_and_malformed_records(days, spark):
    lake, results = days
    sources = results["run-3"]["sources"]
    # 8 - 1 + 3 = 10 seen: 1 created, 1 updated, 4 unchanged, 4 rejected (2 as before + 2 malformed)
    agency = sources["example-agency"]
    assert counts(agency) == (10, 1, 1, 0, 4, 4, 0)
    # The entry that is not an object could be the removed dataset, unreadable now: its delete is held.
    assert (agency["status"], agency["deletes_held"]) == ("partial", 1)
    assert agency["reason"] == (
        "1 delete(s) held back: 1 record(s) of this source were rejected before their identifier could be "
        "read (first: dataset #9 is a string, not a JSON object); any of them may be a published record, "
        "so nothing of the source is deleted until they are fixed"
    )
    assert counts(sources["example-coastal-waf"]) == (4, 0, 0, 0, 3, 1, 0)
    state = {row.identifier for row in read_state(spark, str(lake), "run-3").collect()}
    assert "https://data.example.gov/id/sample-100" in state
    assert "https://data.example.gov/id/sample-003" in state
    assert len(state) == 18


def test_a_failed_source_keeps_its_records(days, spark):
    lake, results = days
    sources = results["run-4"]["sources"]
    agency = sources["example-agency"]
    assert agency["status"] == "failed" and agency["reason"]
    assert (agency["deleted"], agency["extracted"]) == (0, 0)
    published = read_state(spark, str(lake), results["run-4"]["current"]["version"])
    assert published.filter("source_id = 'example-agency'").count() == 7
