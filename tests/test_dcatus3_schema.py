"""DCAT-US 3.0 records against their class's schema: the fast validator agrees with jsonschema, and
content problems data.gov reports as warnings are warnings."""

import io
import json

import pytest

from tests.conftest import REALDATA
from transforms.fetch.datajson import inspect_catalog
from transforms.fetch.dcatus3_catalog import catalog_records
from transforms.gate.dcatus3_warnings import content_warnings
from transforms.gate.schema_check import ERROR, WARNING, checker, checker_name, json_path

FIXTURES = REALDATA / "datajson" / "datagov-harvester-dcatus3.0"
EXAMPLE = REALDATA / "schema" / "datagov-harvester-dcatus3.0" / "examples" / "Dataset" / "good"
CONTACT = {"@type": "Kind", "fn": "A", "hasEmail": "mailto:a@agency.gov"}
DATASET = {"@type": "Dataset", "title": "T", "description": "D", "identifier": "d", "contactPoint": CONTACT}
# Records each class's schema refuses, to compare the two validators where they report something.
BROKEN = [
    ("Dataset", {**DATASET, "contactPoint": {"fn": "A", "hasEmail": "a@agency.gov"}}),
    ("Dataset", {**DATASET, "temporal": [{"@type": "PeriodOfTime"}], "keyword": ["", "x"]}),
    ("Dataset", {**DATASET, "language": ["english"], "spatial": "nowhere", "modified": "last week"}),
    ("Dataset", {**DATASET, "distribution": [{"downloadURL": 3}], "accrualPeriodicity": "sometimes"}),
    ("Dataset", {"title": "only a title"}),
    ("DataService", {"title": "S", "endpointURL": "https://x.gov/api", "contactPoint": CONTACT}),
    ("CatalogRecord", {"primaryTopic": "https://x.gov/d/1", "modified": "yesterday"}),
    ("DatasetSeries", {"title": "S", "seriesMember": [{"title": "no description"}], "contactPoint": CONTACT}),
]


def fixture_records() -> list[tuple[str, str, dict]]:
    found = []
    for path in sorted(FIXTURES.glob("*.json")):
        stream = io.BytesIO(path.read_bytes())
        records, _ = catalog_records(stream, inspect_catalog(stream, require_dataset=False))
        found += [(path.name, r["record_type"], json.loads(r["raw"])) for r in records if r["raw"]]
    example = json.loads((EXAMPLE / "complete_example.json").read_text())
    return [*found, ("complete_example.json", "Dataset", example)]


def fast_paths(record_type: str, record: dict) -> list[str]:
    validator = checker(checker_name(None, "3.0", record_type)).fast
    return sorted({json_path(error.instance_path) for error in validator.iter_errors(record)})


def reference_paths(record_type: str, record: dict) -> list[str]:
    validator = checker(checker_name(None, "3.0", record_type)).reference
    return sorted({error.json_path for error in validator.iter_errors(record)})


def test_every_fixture_record_and_every_broken_record_gets_the_same_verdict_from_both_validators(realdata):
    cases = [(t, r) for _, t, r in fixture_records()] + BROKEN
    assert len(cases) == 40
    for record_type, record in cases:
        fast = checker(checker_name(None, "3.0", record_type)).fast
        assert fast.is_valid(record) == (not reference_paths(record_type, record)), record
        assert fast_paths(record_type, record) == reference_paths(record_type, record), record
    assert sum(not checker(checker_name(None, "3.0", t)).fast.is_valid(r) for t, r in cases) == 9


def test_the_invalid_fixture_is_rejected_for_its_missing_contact_and_nothing_else(realdata):
    invalid = [r for name, t, r in fixture_records() if name == "dcatus3_0_invalid.json"]
    findings = [checker("3.0/Dataset").check(record) for record in invalid]
    assert [[str(f) for f in found] for found in findings] == [
        ["$.contactPoint: required field is missing"],
        [],
    ]


@pytest.mark.parametrize(
    ("record_type", "record", "expected"),
    [
        (
            "DataService",
            BROKEN[5][1],
            ["$.contactPoint: must be a list", "$.endpointURL: must be a list", "$.publisher"],
        ),
        (
            "DatasetSeries",
            BROKEN[7][1],
            [
                "$.contactPoint: must be a list",
                "$.description: required field is missing",
                "$.seriesMember[0].contactPoint: required",
                "$.seriesMember[0].description: required",
                "$.seriesMember[0].identifier: required",
            ],
        ),
        (
            "CatalogRecord",
            BROKEN[6][1],
            ['$.modified: "yesterday" is not a date-time, a date, of the form ^[0-9]{4}$ or of the form'],
        ),
    ],
)
def test_each_class_is_checked_against_its_own_schema(record_type, record, expected):
    errors = [
        str(f) for f in checker(checker_name(None, "3.0", record_type)).check(record) if f.severity == ERROR
    ]
    assert len(errors) == len(expected)
    for error, start in zip(errors, expected, strict=True):
        assert error.startswith(start)


def test_a_1_1_record_is_still_checked_by_its_source_schema():
    assert checker_name("dcatus1.1-federal", "1.1", "Dataset") == "federal"
    assert checker_name("iso19115", None, None) == "non-federal"
    assert checker_name("iso19115", "3.0", "DatasetSeries") == "3.0/DatasetSeries"
    with pytest.raises(ValueError, match="no DCAT-US 3.0 schema for record type 'Catalog'"):
        checker("3.0/Catalog")


def test_the_warning_fixture_warns_about_dates_out_of_order_and_an_unknown_media_type(realdata):
    warned = {
        record["identifier"]: [str(f) for f in checker("3.0/Dataset").check(record)]
        for name, _, record in fixture_records()
        if name == "dcatus3_0_warning.json"
    }
    assert warned == {
        "https://example.gov/datasets/warning-one": [
            '$.issued: "2030-01-01" is later than modified "2020-01-01": '
            "a dataset cannot be issued after it was last modified"
        ],
        "https://example.gov/datasets/warning-two": [
            '$.distribution[0].mediaType: "notareal/type" is not a registered (IANA) media type'
        ],
        "https://example.gov/datasets/warning-three": [],
    }
    record = next(r for name, _, r in fixture_records() if name == "dcatus3_0_warning.json")
    assert [f.severity for f in checker("3.0/Dataset").check(record)] == [WARNING]


def test_no_other_fixture_has_a_content_warning(realdata):
    warned = [(name, t) for name, t, r in fixture_records() if content_warnings(r, t)]
    # GSA's complete example has a telephone number spelt in letters (+1-555-CLIMATE); data.gov warns too.
    assert {name for name, _ in warned} == {"dcatus3_0_warning.json", "complete_example.json"}


def test_content_warnings_of_each_class():
    record = {
        **DATASET,
        "keyword": ["Water", "water ", "air"],
        "accessRights": "non-public",
        "created": "2024",
        "issued": "2023-05",
        "language": ["en", "zz"],
        "temporalResolution": "daily",
        "spatialResolutionInMeters": "-5",
        "contactPoint": {
            **CONTACT,
            "tel": "call us",
            "address": [{"country-name": "US", "postal-code": "ABC"}],
        },
        "temporal": [{"startDate": "2020-02-01", "endDate": "2020-01"}],
        "spatial": [{"bbox": "POLYGON((1 2, 3 4))"}, {"bbox": "somewhere"}],
        "distribution": [{"@type": "dcat:Distribution", "byteSize": "big", "characterEncoding": "utf-99"}],
    }
    messages = {json_path(parts): message for parts, message in content_warnings(record, "Dataset")}
    assert sorted(messages) == sorted(
        [
            "$.accessRights",
            "$.contactPoint.address[0]['postal-code']",
            "$.contactPoint.tel",
            "$.created",
            "$.distribution[0].byteSize",
            "$.distribution[0].characterEncoding",
            "$.keyword",
            "$.language[1]",
            "$.spatialResolutionInMeters",
            "$.spatial[1].bbox",
            "$.temporal[0].startDate",
            "$.temporalResolution",
        ]
    )
    assert messages["$.keyword"] == "repeats 'water'"
    assert messages["$.created"].startswith('"2024" is later than issued "2023-05"')
