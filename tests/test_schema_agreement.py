"""The project's DCAT-US 1.1 schemas decide like data.gov's reference schemas, and fast like them.

Reference: the data.gov harvester's dcatus1.1 dataset schemas under ../shared, evaluated with
jsonschema Draft 2020-12 and format checking. On every dataset of every real data.json the
project's schema must give the same decision and the same failing JSON paths, and the fast
validator (jsonschema-rs) the same decision.
"""

import json

import jsonschema
import pytest

from transforms.gate.schema_check import FEDERAL, NON_FEDERAL, checker

REFERENCE_FILES = {FEDERAL: "federal_dataset.json", NON_FEDERAL: "non-federal_dataset.json"}


def real_datasets(realdata):
    """Every dataset of every real data.json that parses, with its file name."""
    for path in sorted((realdata / "datajson").rglob("*.json*")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue  # files broken on purpose: extract rejects them before validate
        datasets = document.get("dataset") if isinstance(document, dict) else document
        if isinstance(datasets, list):
            for index, record in enumerate(datasets):
                yield f"{path.name}[{index}]", record


@pytest.fixture(scope="module", params=[FEDERAL, NON_FEDERAL])
def schemas(request, realdata):
    reference = json.loads(
        (realdata / "schema" / "datagov-harvester-dcatus1.1" / REFERENCE_FILES[request.param]).read_text()
    )
    validator = jsonschema.Draft202012Validator(reference, format_checker=jsonschema.FormatChecker())
    return validator, checker(request.param)


@pytest.mark.slow
def test_same_decision_and_failing_paths_on_every_real_dataset(schemas, realdata):
    reference, ours = schemas
    seen, invalid, disagreements = 0, 0, []
    for where, record in real_datasets(realdata):
        expected = {error.json_path for error in reference.iter_errors(record)}
        got = {error.json_path for error in ours.reference.iter_errors(record)}
        fast_valid = ours.fast.is_valid(record)
        seen, invalid = seen + 1, invalid + bool(expected)
        if expected != got or fast_valid != (not expected):
            disagreements.append((where, sorted(expected ^ got), fast_valid))
    assert seen > 3000 and invalid > 10
    assert disagreements == []


TRICKY = {
    "license": [
        "http://x",
        "not a uri",
        "www.example.com",
        "http://exa mple.com",
        "urn:isbn:1",
        "http://x/%zz",
        "http://[::1]/",
        "http://x/ü",
        "//host/path",
        "[[REDACTED-EX B3]]",
        None,
        5,
    ],
    "modified": [
        "2024",
        "2024-02-30",
        "2024-13-01",
        "R/P1D",
        "R/2020-01-01/P1Y",
        "P1Y2M",
        "2024-01-01T25:00",
        "last tuesday",
        "2024-W53",
        "2024-001",
        "",
        None,
        "2021-01-01 10:00:00",
    ],
    "accrualPeriodicity": ["irregular", "R/P1W", "P1W", "R/PT1H", "daily", None],
    "temporal": ["2000-01-01/2010-12-31", "2000/2010", "R/2000-01-01/P1Y", "P1Y/2020-01-01", "2000", None],
    "language": [["en-US"], ["english"], "en", None, []],
    "bureauCode": [["015:11"], ["15:11"], [], "015:11", None, ["015:11", "015:11"]],
    "keyword": [[], [""], "k", None, ["a"] * 1001],
    "contactPoint": [
        {"fn": "a", "hasEmail": "mailto:a@b.gov"},
        {"fn": "a", "hasEmail": "a@b.gov"},
        {"fn": "a"},
        {"hasEmail": "mailto:a@b"},
        "a@b.gov",
    ],
    "distribution": [
        [{"downloadURL": "http://x/a.csv"}],
        [{"downloadURL": "http://x/a.csv", "mediaType": "csv"}],
        [{"accessURL": None, "format": ""}],
        [{"@type": "Distribution"}],
        {},
        None,
    ],
    "spatial": ["", {"type": "Point", "coordinates": [[1, "a"]]}, {"type": 3}, None, 5],
    "publisher": [{"name": "A", "subOrganizationOf": {"name": ""}}, {}, None],
}


@pytest.mark.parametrize("field", sorted(TRICKY))
def test_same_decisions_on_edge_values(schemas, field):
    reference, ours = schemas
    base = {
        "title": "t",
        "description": "d",
        "keyword": ["k"],
        "modified": "2024-01-01",
        "identifier": "i",
        "accessLevel": "public",
        "publisher": {"name": "P"},
        "bureauCode": ["015:11"],
        "programCode": ["015:001"],
        "contactPoint": {"fn": "a", "hasEmail": "mailto:a@b.gov"},
    }
    for value in TRICKY[field]:
        record = {**base, field: value}
        expected = {error.json_path for error in reference.iter_errors(record)}
        assert {error.json_path for error in ours.reference.iter_errors(record)} == expected, (field, value)
        assert ours.fast.is_valid(record) == (not expected), (field, value)
