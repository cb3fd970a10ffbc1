"""A whole harvest of a data.json whose datasets' only problems are values the fix-up policy mends:
every one is published, each with a warning naming the value (docs/CROSSWALK.md, Fix-up policy)."""

import json
from pathlib import Path

import pytest

from harvest_cli.main import run_harvest
from tests.rows import valid_dataset

pytestmark = pytest.mark.e2e

MENDED = {
    "weekly": {"accrualPeriodicity": "Weekly"},
    "year-range": {"temporal": "2023-2024"},
    "text-dictionary": {"describedBy": "See the data dictionary tab"},
    "long-rights": {"rights": "Attribution to the agency is requested in any use of these data. " * 5},
}


def catalog(datasets: list[dict]) -> str:
    return json.dumps({"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": datasets})


def registry(url: str, fixups: dict | None = None) -> str:
    entry = {
        "id": "agency",
        "title": "Agency",
        "organization": "Agency",
        "url": url,
        "type": "datajson",
        "schema": "dcatus1.1-non-federal",
        "allow_private_network": True,
        **({"fixups": fixups} if fixups is not None else {}),
    }
    return json.dumps({"sources": [entry]})


def harvest(root: Path, fixups: dict | None = None) -> dict:
    datasets = [
        valid_dataset(identifier=name, title=f"Dataset {name}", **fields) for name, fields in MENDED.items()
    ]
    (root / "data.json").write_text(catalog(datasets), "utf-8")
    (root / "sources.yaml").write_text(registry((root / "data.json").as_uri(), fixups), "utf-8")
    lake = root / "lake"
    assert run_harvest(str(root / "sources.yaml"), str(lake), run_id="run-1", new_lake=True) == 0
    report = json.loads((lake / "runs" / "run-1" / "report" / "report.json").read_text("utf-8"))
    [entry] = report["sources"]
    return entry


def test_datasets_whose_only_problem_is_a_mendable_value_are_published_with_a_warning(tmp_path):
    entry = harvest(tmp_path)
    assert (entry["extracted"], entry["created"], entry["rejected"]) == (4, 4, 0)
    groups = {group["field"]: (group["reason"], group["examples"]) for group in entry["warning_groups"]}
    assert groups == {
        "$.accrualPeriodicity": (
            "fixup: accrualPeriodicity is not an ISO 8601 duration; written as 'R/P1W'",
            ["weekly"],
        ),
        "$.temporal": (
            "fixup: temporal is not an ISO 8601 interval; the years written as start/end",
            ["year-range"],
        ),
        "$.describedBy": ("fixup: describedBy is not a URL; left out", ["text-dictionary"]),
        "$.rights": ("rights: cut to 255 characters", ["long-rights"]),
    }
    # The publisher's CSV names each value as written.
    rows = (tmp_path / "lake" / "runs" / "run-1" / entry["warnings_csv"]).read_text("utf-8-sig").splitlines()
    assert (
        "weekly,,fixup: accrualPeriodicity 'Weekly' is not an ISO 8601 duration; written as 'R/P1W'" in rows
    )
    assert (
        "year-range,,fixup: temporal '2023-2024' is not an ISO 8601 interval; the years written as start/end"
        in rows
    )
    assert "long-rights,,rights: 324 characters cut to 255" in rows
