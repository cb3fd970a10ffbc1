"""A harvest of the city fixture (tests/fixtures/validate/city-several-problems.data.json, one source read
from disk) reports every problem of every rejected record, as `harvest validate` does: in the error
groups, in the source's error CSV (every reason of a record in its cell), and on the page."""

import csv
import io
import json

import pytest

from harvest_cli.main import main, run_harvest
from tests.test_every_reason import CITY, CITY_PROBLEMS, FIXTURES

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def harvested(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp("city")
    entry = {
        "id": "city",
        "title": "City catalog",
        "organization": "City",
        "url": (FIXTURES / CITY).as_uri(),
        "type": "datajson",
        "schema": "dcatus1.1-non-federal",
        "allow_private_network": True,
    }
    (root / "sources.yaml").write_text(json.dumps({"sources": [entry]}), "utf-8")  # JSON is YAML
    lake = root / "lake"
    assert run_harvest(str(root / "sources.yaml"), str(lake), run_id="run-1", new_lake=True) == 0
    report = json.loads((lake / "runs" / "run-1" / "report" / "report.json").read_text("utf-8"))
    [source] = report["sources"]
    return lake / "runs" / "run-1", source


def test_the_csv_lists_every_reason_of_each_rejected_record_once(harvested):
    run, source = harvested
    assert (source["extracted"], source["created"], source["rejected"]) == (4, 1, 3)
    text = (run / source["errors_csv"]).read_text("utf-8-sig")
    rows = {
        row["identifier"]: row["reason"].split("\n") for row in csv.DictReader(io.StringIO(text, newline=""))
    }
    assert set(rows) == {name for name, problems in CITY_PROBLEMS.items() if problems}
    for identifier, reasons in rows.items():
        expected = CITY_PROBLEMS[identifier]
        assert len(reasons) == len(set(reasons)) == len(expected), identifier
        for field, words in expected:
            assert sum(1 for r in reasons if r.startswith(f"schema: {field}: ") and words in r) == 1, (
                identifier,
                field,
            )


def test_the_harvest_groups_every_reason_as_the_validator_does(harvested, capsys):
    run, source = harvested
    assert main(["validate", "--json", str(FIXTURES / CITY), "--schema", "dcatus1.1-non-federal"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert source["error_groups"] == summary["error_groups"]
    publisher = next(
        g for g in source["error_groups"] if g["reason"] == "schema: $.publisher: required field is missing"
    )
    assert (publisher["count"], publisher["examples"]) == (2, ["crime-incidents", "parks-boundaries"])
    assert sum(group["count"] for group in source["error_groups"]) == 14  # the problems of CITY_PROBLEMS
    page = (run / "report" / "report.html").read_text("utf-8")
    assert "3 records rejected; a record with several problems is counted under each" in page
