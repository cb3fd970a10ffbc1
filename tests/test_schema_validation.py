"""Record-level findings: one per JSON path, in words a publisher can act on."""

import json

import pytest

from transforms.gate.schema_check import ERROR, FEDERAL, NON_FEDERAL, WARNING, checker, schema_for


def valid(**changes) -> dict:
    record = {
        "title": "t",
        "description": "d",
        "keyword": ["k"],
        "modified": "2024-01-01",
        "identifier": "i",
        "accessLevel": "public",
        "publisher": {"name": "P"},
        "contactPoint": {"fn": "a", "hasEmail": "mailto:a@b.gov"},
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not None}


def messages(record, schema=NON_FEDERAL) -> list[str]:
    return [str(finding) for finding in checker(schema).check(record)]


def test_schema_per_source_kind():
    assert schema_for("dcatus1.1-federal") == FEDERAL
    assert schema_for("dcatus1.1-non-federal") == NON_FEDERAL
    assert schema_for("iso19115") == NON_FEDERAL and schema_for("fgdc") == NON_FEDERAL


def test_valid_record_has_no_findings():
    assert messages(valid()) == []
    assert messages(valid(bureauCode=["015:11"], programCode=["015:001"]), FEDERAL) == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"title": None}, "$.title: required field is missing"),
        (
            {"contactPoint": {"fn": "a", "hasEmail": "foo@bar"}},
            '$.contactPoint.hasEmail: "foo@bar" is not a mailto: address',
        ),
        (
            {"modified": "last tuesday"},
            '$.modified: "last tuesday" is not an ISO 8601 date, datetime or repeating interval',
        ),
        (
            {"accessLevel": "open"},
            '$.accessLevel: "open" is not one of "public", "restricted public", "non-public"',
        ),
        ({"license": "not a uri"}, '$.license: "not a uri" is not a valid URI'),
        ({"title": 707}, "$.title: must be a string, found 707"),
        ({"keyword": []}, "$.keyword: must have at least 1 item(s)"),
        ({"description": "x" * 10001}, "$.description: is 10,001 characters long; at most 10,000 allowed"),
        (
            {"distribution": [{"downloadURL": "https://a.gov/x.csv"}]},
            "$.distribution[0].mediaType: required field is missing (a distribution with a downloadURL must have one)",
        ),
        (
            {"publisher": {"name": "P", "subOrganizationOf": {"name": ""}}},
            "$.publisher.subOrganizationOf.name: must not be empty",
        ),
    ],
)
def test_error_messages(changes, expected):
    assert messages(valid(**changes)) == [expected]


def test_modified_accepts_repeating_interval_and_redaction():
    assert messages(valid(modified="R/P1D")) == []
    assert messages(valid(modified="[[REDACTED-EX B5]]")) == []


def test_federal_requires_bureau_and_program_codes():
    assert messages(valid(), FEDERAL) == [
        "$.bureauCode: required field is missing",
        "$.programCode: required field is missing",
    ]


def test_unknown_fields_are_warnings_and_errors_come_first():
    findings = checker(NON_FEDERAL).check(valid(title=None, agencyNotes="x"))
    assert [(f.severity, str(f)) for f in findings] == [
        (ERROR, "$.title: required field is missing"),
        (WARNING, "$.agencyNotes: is not a DCAT-US 1.1 field; kept, but not checked"),
    ]


def test_text_that_is_not_json_is_one_error():
    [finding] = checker(NON_FEDERAL).check_text('{"title": ')
    assert finding.path == "$" and finding.severity == ERROR and "not valid JSON" in finding.message


def load(realdata, relative):
    return json.loads((realdata / "datajson" / relative).read_text(encoding="utf-8"))["dataset"]


@pytest.mark.parametrize(
    "relative, index, schema, expected",
    [
        (
            "datagov-harvester/dcatus_no_identifier.json",
            0,
            FEDERAL,
            ["$.identifier: required field is missing"],
        ),
        ("datagov-harvester/missing_title.json", 0, NON_FEDERAL, ["$.title: required field is missing"]),
        (
            "datagov-harvester/dcatus_long_description.json",
            0,
            FEDERAL,
            ["$.description: is 57,249 characters long; at most 10,000 allowed"],
        ),
        (
            "ckanext-datajson/numerical-title.data.json",
            0,
            NON_FEDERAL,
            ["$.title: must be a string, found 707"],
        ),
        (
            "ckanext-datajson/missing-identifier-title.data.json",
            0,
            NON_FEDERAL,
            ["$.identifier: required field is missing"],
        ),
        (
            "ckanext-datajson/ny.data.json",
            0,
            FEDERAL,
            ["$.bureauCode: required field is missing", "$.programCode: required field is missing"],
        ),
    ],
)
def test_real_invalid_fixtures_rejected_for_the_right_reason(realdata, relative, index, schema, expected):
    errors = [str(f) for f in checker(schema).check(load(realdata, relative)[index]) if f.severity == ERROR]
    assert errors == expected


def test_real_fixture_with_several_problems(realdata):
    record = load(realdata, "datagov-harvester/dcatus_multiple_invalid.json")[0]
    errors = [str(f) for f in checker(NON_FEDERAL).check(record) if f.severity == ERROR]
    assert errors[0] == '$.contactPoint.hasEmail: "ocagoadmin@oakgov.com" is not a mailto: address'
    assert errors[1] == '$.distribution[0].accessURL: "//////not-a-url.example.com/" is not a valid URI'
    assert errors[2].startswith('$.license: "<p align=') and errors[2].endswith("is not a valid URI")
    assert len(errors) == 3


def test_real_records_with_null_modified_are_rejected(realdata):
    records = load(realdata, "datagov-harvester/dcatus_with_none.json")
    rejected = [r for r in records if any(f.path == "$.modified" for f in checker(NON_FEDERAL).check(r))]
    assert len(rejected) == 391
    assert str(checker(NON_FEDERAL).check(rejected[0])[0]) == (
        "$.modified: null is not an ISO 8601 date, datetime or repeating interval"
    )
