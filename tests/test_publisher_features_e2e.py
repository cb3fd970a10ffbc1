"""The whole workflow over real catalogs read from disk: grouped errors and their CSVs, the validator
agreeing with the harvest, and duplicates across sources.

Sources (all non-federal, file:// URLs):
- a-philly and b-philly-copy serve the same real catalog (datagov-harvester/dcatus_with_none.json):
  402 datasets, 391 of them with "modified": null;
- c-opm and d-opm serve two real OPM catalogs (ckanext-datajson collection-1 and collection-2) that
  describe three datasets under different identifiers with the same titles and URLs.
Three runs: the first harvest, the same again, then a dry run that also tries a new source
(e-new: catalog.data.gov's own data.json, 8 valid datasets) with a database that does not exist.
"""

import csv
import io
import json
from pathlib import Path

import pytest

from harvest_cli.main import main, run_harvest

pytestmark = pytest.mark.e2e

PHILLY = "datajson/datagov-harvester/dcatus_with_none.json"
SOURCES = {
    "a-philly": PHILLY,
    "b-philly-copy": PHILLY,
    "c-opm": "datajson/ckanext-datajson/collection-1-parent-2-children.data.json",
    "d-opm": "datajson/ckanext-datajson/collection-2-parent-4-children.data.json",
}
NEW_SOURCE = "datajson/catalog.data.gov/data.json"
NO_DATABASE = "postgresql://127.0.0.1:9/nowhere"
MODIFIED_NULL = "schema: $.modified: is not an ISO 8601 date, datetime or repeating interval"


def registry(realdata: Path, sources: dict) -> str:
    entries = [
        {
            "id": source_id,
            "title": source_id,
            "organization": "Agency",
            "url": (realdata / path).as_uri(),
            "type": "datajson",
            "schema": "dcatus1.1-non-federal",
            "allow_private_network": True,
        }
        for source_id, path in sources.items()
    ]
    return json.dumps({"sources": entries})  # JSON is YAML


@pytest.fixture(scope="module")
def runs(tmp_path_factory, realdata) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("publisher")
    (root / "sources.yaml").write_text(registry(realdata, SOURCES), "utf-8")
    (root / "trial.yaml").write_text(registry(realdata, {**SOURCES, "e-new": NEW_SOURCE}), "utf-8")
    lake, reports = root / "lake", {}
    for run_id in ("run-1", "run-2"):
        assert run_harvest(str(root / "sources.yaml"), str(lake), run_id=run_id, new_lake=True) == 0
        reports[run_id] = json.loads((lake / "runs" / run_id / "report" / "report.json").read_text())
    trial = run_harvest(str(root / "trial.yaml"), str(lake), run_id="run-3", db_url=NO_DATABASE, dry_run=True)
    assert trial == 0  # a database write would have failed the run
    reports["run-3"] = json.loads((lake / "runs" / "run-3" / "report" / "report.json").read_text())
    return lake, reports


def by_source(report: dict) -> dict:
    return {entry["source_id"]: entry for entry in report["sources"]}


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"), newline="")))


def test_error_groups_hold_every_rejected_record_and_name_the_field(runs):
    _, reports = runs
    philly = by_source(reports["run-1"])["a-philly"]
    assert (philly["extracted"], philly["created"], philly["rejected"]) == (402, 11, 391)
    assert philly["error_groups"] == [
        {
            "reason": MODIFIED_NULL,
            "count": 391,
            "examples": philly["error_groups"][0]["examples"],
            "field": "$.modified",
        }
    ]
    # a record counts under each of its reasons; here no rejected record has two (b-philly-copy's 11
    # refused identifiers are its valid records, the other 391 have "modified": null), so they add up
    for report in reports.values():
        for entry in report["sources"]:
            assert sum(group["count"] for group in entry["error_groups"]) == entry["rejected"]
    page = (runs[0] / "runs" / "run-1" / "report" / "report.html").read_text("utf-8")
    assert "391 records rejected; a record with several problems is counted under each" in page


def test_the_csv_has_one_row_per_rejected_record(runs):
    lake, reports = runs
    philly = by_source(reports["run-1"])["a-philly"]
    assert philly["errors_csv"] == "report/errors/a-philly.csv"
    rows = read_csv(lake / "runs" / "run-1" / philly["errors_csv"])
    assert len(rows) == philly["rejected"] == 391
    assert len({row["identifier"] for row in rows}) == 391
    assert all(row["reason"].startswith("schema: $.modified: null is not an ISO 8601") for row in rows)
    page = (lake / "runs" / "run-1" / "report" / "report.html").read_text("utf-8")
    assert 'href="errors/a-philly.csv"' in page
    assert 'href="https://resources.data.gov/resources/dcat-us/#modified"' in page


def test_the_validator_reports_what_the_harvest_reported(runs, realdata, capsys):
    _, reports = runs
    philly = by_source(reports["run-1"])["a-philly"]
    code = main(["validate", "--json", str(realdata / PHILLY), "--schema", "dcatus1.1-non-federal"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["rejected"] == philly["rejected"]
    assert summary["error_groups"] == philly["error_groups"]
    assert summary["warning_groups"] == philly["warning_groups"]


def test_a_second_source_serving_the_same_identifiers_publishes_none_of_them(runs):
    _, reports = runs
    first, second = by_source(reports["run-1"]), by_source(reports["run-2"])
    copy = first["b-philly-copy"]
    # the 11 valid datasets are a-philly's (first by source id in the run that saw both first)
    assert (copy["created"], copy["rejected"]) == (0, 402)
    refused = next(g for g in copy["error_groups"] if "a-philly" in g["reason"])
    assert refused["count"] == 11 and refused["field"] == "$.identifier"
    assert refused["reason"].startswith('identifier also harvested from source "a-philly" in this run')
    [pair] = reports["run-1"]["duplicates"]["refused"]
    assert (pair["source_id"], pair["owner"], pair["rule"], pair["count"]) == (
        "b-philly-copy",
        "a-philly",
        "same run",
        11,
    )
    # the next day a-philly owns them because it published them
    again = next(g for g in second["b-philly-copy"]["error_groups"] if "a-philly" in g["reason"])
    assert again["reason"].startswith('identifier already published by source "a-philly"')
    assert second["a-philly"]["unchanged"] == 11


def test_near_duplicates_across_sources_are_warned_and_counted_per_pair(runs):
    lake, reports = runs
    # collection-2 describes the AWOL, retirement and roundtables datasets of collection-1 under IDF6-* ids
    assert reports["run-1"]["duplicates"]["near_duplicates"] == [
        {
            "source_id": "d-opm",
            "other_source_id": "c-opm",
            "count": 3,
            "examples": ["IDF6-OPM-0001", "IDF6-OPM-0001-AWOL", "IDF6-OPM-0001-Retire"],
        }
    ]
    d_opm = by_source(reports["run-1"])["d-opm"]
    assert d_opm["created"] == 6
    [group] = [g for g in d_opm["warning_groups"] if g["reason"].startswith("possible duplicate")]
    assert group["count"] == 3 and 'from source "c-opm"' in group["reason"]
    assert reports["run-2"]["duplicates"]["near_duplicates"] == []  # nothing changed, nothing to compare
    page = (lake / "runs" / "run-1" / "report" / "report.html").read_text("utf-8")
    assert 'id="near-duplicates"' in page and 'id="duplicates-refused"' in page


def test_each_run_updates_the_lakes_history(runs, capsys):
    lake, _ = runs
    page = (lake / "runs" / "index.html").read_text("utf-8")
    assert page.count('<section class="source-history"') == len(SOURCES) + 1  # e-new, from the dry run
    assert 'href="run-2/report/report.html"' in page and 'href="run-1/report/report.html"' in page
    assert main(["history", "a-philly", "--lake", str(lake)]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("  run-")]
    # newest first: the dry run, run-2 saw the 11 published records unchanged, run-1 created them
    assert [line[:3] for line in lines][0] == ["run-3", lines[0][1], "complete*"]
    assert [line[0] for line in lines] == ["run-3", "run-2", "run-1"]
    assert lines[1][3:10] == ["402", "0", "0", "0", "11", "391", "0"]
    assert lines[2][3:10] == ["402", "11", "0", "0", "0", "391", "0"]


def test_a_dry_run_reports_a_new_source_and_publishes_nothing(runs):
    lake, reports = runs
    trial = reports["run-3"]
    assert trial["dry_run"] is True and "nothing was published" in trial["message"]
    sources = by_source(trial)
    assert (sources["e-new"]["extracted"], sources["e-new"]["created"], sources["e-new"]["rejected"]) == (
        8,
        8,
        0,
    )
    assert sources["a-philly"]["unchanged"] == 11 and sources["a-philly"]["error_groups"][0]["count"] == 391
    pointer = json.loads((lake / "catalog" / "CURRENT").read_text())
    assert pointer["version"] == "run-1"  # run-2 changed nothing, and the dry run published nothing
    assert sorted(p.name for p in (lake / "catalog" / "versions").iterdir()) == ["run-1"]
    assert json.loads((lake / "catalog" / "harvest_times" / "LATEST").read_text())["run_id"] == "run-2"
    page = (lake / "runs" / "run-3" / "report" / "report.html").read_text("utf-8")
    assert 'id="dry-run"' in page
