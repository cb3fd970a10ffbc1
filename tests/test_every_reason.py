"""Every reason of every rejected record, everywhere: the schema check, `harvest validate --json`, the
error groups and the page say all of a record's problems, not only its first.

The fixture tests/fixtures/validate/city-several-problems.data.json is a small city catalog written for
these tests; what each of its records lacks or gets wrong is stated here from the file, field by field.
"""

import json
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.local_http import serve_folder
from harvest_cli.main import main
from tests.conftest import ROOT
from transforms.gate.publisher_validator import PRIVATE_NETWORK_HINT, document_source, validate_document
from transforms.gate.schema_check import ERROR, NON_FEDERAL, checker
from transforms.reports.findings_html import render_groups
from transforms.reports.reason_groups import group_records, reason_group, reason_parts
from transforms.reports.report import unaccounted_records
from transforms.safety.address_guard import AddressRefused, resolve_checked

FIXTURES = ROOT / "tests" / "fixtures" / "validate"
CITY = "city-several-problems.data.json"
MISSING = "required field is missing"
WITH_NONE = "datajson/datagov-harvester/dcatus_with_none.json"

# What each record of the city fixture gets wrong, read off the file: (field, words the reason has).
CITY_PROBLEMS = {
    # no accessLevel, contactPoint, keyword, modified or publisher; a Shapefile is no media type
    "parks-boundaries": {
        ("$.accessLevel", MISSING),
        ("$.contactPoint", MISSING),
        ("$.keyword", MISSING),
        ("$.modified", MISSING),
        ("$.publisher", MISSING),
        ("$.distribution[0].mediaType", '"Shapefile" is not a media type'),
    },
    # an email without mailto:, a licence that is no URI, "API" as a media type
    "building-permits": {
        ("$.contactPoint.hasEmail", "is not a mailto: address"),
        ("$.license", '"CC-BY" is not a valid URI'),
        ("$.distribution[0].mediaType", '"API" is not a media type'),
    },
    # accessLevel outside the list, keyword a string, modified in words, no publisher, no email
    "crime-incidents": {
        ("$.accessLevel", '"open" is not one of'),
        ("$.keyword", '"crime" is not a list'),
        ("$.modified", '"last week" is not an ISO 8601 date'),
        ("$.publisher", MISSING),
        ("$.contactPoint.hasEmail", MISSING),
    },
    "annual-budget": set(),  # complete
}


def validate_json(capsys, *arguments) -> tuple[int, dict]:
    code = main(["validate", "--json", *arguments])
    return code, json.loads(capsys.readouterr().out)


def problems_of(record: dict) -> list[tuple[str, str]]:
    return [(error["field"], error["reason"]) for error in record["errors"]]


def matches(expected: set[tuple[str, str]], found: list[tuple[str, str]]) -> bool:
    """Each expected problem is one found problem (same field, reason saying the words), and nothing else."""
    return len(found) == len(expected) and all(
        sum(1 for field, reason in found if field == want_field and words in reason) == 1
        for want_field, words in expected
    )


def test_validate_json_lists_every_problem_of_every_record_served_over_http(capsys):
    with serve_folder(FIXTURES) as base_url:
        code, summary = validate_json(
            capsys, base_url + CITY, "--schema", "dcatus1.1-non-federal", "--allow-private-network"
        )
    assert code == 1 and (summary["extracted"], summary["rejected"]) == (4, 3)
    records = {record["identifier"]: record for record in summary["records"]}
    assert set(records) == set(CITY_PROBLEMS)
    for identifier, expected in CITY_PROBLEMS.items():
        assert matches(expected, problems_of(records[identifier])), identifier
        assert records[identifier]["outcome"] == ("rejected" if expected else "publishable")
        assert records[identifier]["record_url"] is None and records[identifier]["warnings"] == []


def test_each_group_counts_every_record_with_that_problem_once(capsys):
    code, summary = validate_json(capsys, str(FIXTURES / CITY), "--schema", "dcatus1.1-non-federal")
    groups = {group["reason"]: group for group in summary["error_groups"]}
    # publisher is missing from parks-boundaries and crime-incidents; "Shapefile" and "API" are both
    # refused as media types, Shapefile's with the note that a downloadURL needs one
    publisher = groups["schema: $.publisher: required field is missing"]
    assert (publisher["count"], publisher["examples"]) == (2, ["crime-incidents", "parks-boundaries"])
    media = [
        group for reason, group in groups.items() if reason.startswith("schema: $.distribution[*].mediaType")
    ]
    assert sorted((group["count"], tuple(group["examples"])) for group in media) == [
        (1, ("building-permits",)),
        (1, ("parks-boundaries",)),
    ]
    assert groups["schema: $.accessLevel: required field is missing"]["examples"] == ["parks-boundaries"]
    # 14 problems in 3 rejected records, no record counted twice under one group
    assert sum(group["count"] for group in summary["error_groups"]) == 14 and summary["rejected"] == 3
    text_code = main(["validate", str(FIXTURES / CITY), "--schema", "dcatus1.1-non-federal"])
    text = capsys.readouterr().out
    assert text_code == code == 1
    assert "3 record(s) rejected; a record with several problems is counted under each" in text


def test_a_real_federal_catalog_reports_every_missing_field_of_every_record(realdata, capsys):
    datasets = json.loads((realdata / WITH_NONE).read_text("utf-8"))["dataset"]
    code, summary = validate_json(capsys, str(realdata / WITH_NONE), "--schema", "dcatus1.1-federal")
    assert code == 1 and summary["extracted"] == len(datasets) == 402
    records = {record["identifier"]: record for record in summary["records"]}
    missing_counts = {"bureauCode": 0, "programCode": 0}
    for dataset in datasets:
        found = problems_of(records[dataset["identifier"]])
        # the federal schema requires bureauCode and programCode; this city catalog gives them in one
        # dataset only (2009-2012-police-advisory-commission-complaints)
        for name in missing_counts:
            if name not in dataset:
                missing_counts[name] += 1
                assert (f"$.{name}", MISSING) in found
        if dataset.get("modified") is None:
            assert any(field == "$.modified" and reason.startswith("null is not") for field, reason in found)
    groups = {group["reason"]: group["count"] for group in summary["error_groups"]}
    assert missing_counts == {"bureauCode": 401, "programCode": 401}
    assert groups["schema: $.bureauCode: required field is missing"] == missing_counts["bureauCode"]
    assert groups["schema: $.programCode: required field is missing"] == missing_counts["programCode"]
    nulls = sum(1 for dataset in datasets if dataset.get("modified") is None)
    assert nulls == 391
    assert groups["schema: $.modified: is not an ISO 8601 date, datetime or repeating interval"] == nulls


def test_a_3_0_catalog_is_checked_against_its_class(realdata, capsys):
    # dcatus3_0_invalid.json: "invalid" has no contactPoint, "valid" has one; neither has accessLevel,
    # keyword or modified, which DCAT-US 1.1 requires and 3.0 does not
    path = realdata / "datajson" / "datagov-harvester-dcatus3.0" / "dcatus3_0_invalid.json"
    code, summary = validate_json(capsys, str(path), "--schema", "dcatus3.0")
    records = {record["identifier"].rsplit("/", 1)[-1]: record for record in summary["records"]}
    assert code == 1 and summary["rejected"] == 1
    assert problems_of(records["invalid"]) == [("$.contactPoint", MISSING)]
    assert records["valid"]["outcome"] == "publishable"


def test_a_loopback_url_tells_the_publisher_to_pass_the_flag(capsys):
    with serve_folder(FIXTURES) as base_url:
        assert main(["validate", base_url + CITY]) == 2
    error = capsys.readouterr().err
    assert "127.0.0.1, which is loopback; pass --allow-private-network" in error
    assert "allow_private_network: true" not in error  # there is no registry entry to edit


def test_a_name_that_resolves_to_loopback_is_refused_by_the_fetch_with_the_same_advice():
    name = socket.gethostname()
    try:
        resolve_checked(f"http://{name}/", allow_private_network=False)
        pytest.skip(f"this machine's name {name} resolves to a public address")
    except AddressRefused as refused:
        # the harvest's own wording is unchanged: the source's registry entry holds the permission
        assert "set allow_private_network: true to harvest it" in str(refused)
    with serve_folder(FIXTURES) as base_url:
        port = base_url.rsplit(":", 1)[1].rstrip("/")
        url = f"http://{name}:{port}/{CITY}"
        validation = validate_document(document_source(url, "datajson", "dcatus1.1-non-federal", False))
    assert validation.status == "failed" and validation.reason.endswith(PRIVATE_NETWORK_HINT)
    assert "allow_private_network: true" not in validation.reason


# Problems a record of the non-federal schema can have, each at its own field: (field, broken value).
BREAKABLE = {
    "accessLevel": "open",
    "keyword": "one string",
    "modified": "last week",
    "title": "",
    "contactPoint": {"fn": "No email"},
    "publisher": "City",
    "license": "not a uri",
    "landingPage": "nowhere",
    "description": "",
}
VALID = json.loads((FIXTURES / CITY).read_text("utf-8"))["dataset"][3]


@settings(max_examples=60, deadline=None)
@given(
    removed=st.sets(st.sampled_from(sorted(set(VALID) & set(checker(NON_FEDERAL).known_fields or ())))),
    broken=st.sets(st.sampled_from(sorted(BREAKABLE))),
)
def test_every_broken_field_of_a_record_is_a_finding(removed, broken):
    record = {key: value for key, value in VALID.items() if key not in removed}
    record.update({name: BREAKABLE[name] for name in broken - removed})
    errors = [f for f in checker(NON_FEDERAL).check(record) if f.severity == ERROR]
    paths = [f.path.split("[")[0].split(".")[1] if f.path.startswith("$.") else f.path for f in errors]
    required = set(checker(NON_FEDERAL).reference.schema["required"])
    for name in (removed & required) | (broken - removed):
        assert name in paths, (name, [str(f) for f in errors])
    assert len(set(errors)) == len(errors)  # each finding once


REASONS = st.sampled_from(
    [
        "schema: $.modified: null is not an ISO 8601 date",
        'schema: $.modified: "soon" is not an ISO 8601 date',
        "schema: $.publisher: required field is missing",
        'schema: $.distribution[0].mediaType: "API" is not a media type such as text/csv',
        'schema: $.distribution[3].mediaType: "Shapefile" is not a media type such as text/csv',
        "transform: record has no title",
        'identifier "x" appears 2 times in this source; none of them is harvested until it is unique',
    ]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.lists(REASONS, max_size=5), st.lists(REASONS, max_size=3))))
def test_a_group_counts_each_record_that_has_its_problem_once(records):
    named = [
        (f"r{i}", rejected, reasons, warnings) for i, (rejected, reasons, warnings) in enumerate(records)
    ]
    groups = group_records(named)
    # what each record has, by kind: a rejected record with no reason recorded has that as its problem
    has = {
        "error": {name: reasons or [None] for name, rejected, reasons, _ in named if rejected},
        "warning": {name: warnings for name, _, _, warnings in named},
    }
    for kind, texts_of in has.items():
        for group in groups[f"{kind}_groups"]:
            having = {
                name
                for name, texts in texts_of.items()
                if any(reason_group(text).reason == group["reason"] for text in texts)
            }
            assert group["count"] == len(having) and set(group["examples"]) <= having
    rejected = sum(1 for _, is_rejected, _, _ in named if is_rejected)
    total = sum(group["count"] for group in groups["error_groups"])
    assert total >= rejected and (total == 0) == (rejected == 0)  # no rejected record is left out


def test_reason_parts_give_the_exact_field_and_what_is_wrong():
    assert reason_parts('schema: $.distribution[2].mediaType: "API" is not a media type') == (
        "$.distribution[2].mediaType",
        '"API" is not a media type',
    )
    assert reason_parts("transform: record has no title") == ("$.title", "transform: record has no title")
    assert reason_parts("dataset #3 is a string, not a JSON object") == (
        None,
        "dataset #3 is a string, not a JSON object",
    )
    assert reason_parts(None)[0] is None


def source_entry(rejected: int, counts: list[int]) -> dict:
    return {
        "source_id": "city",
        "extracted": rejected,
        **dict.fromkeys(("created", "updated", "unchanged", "held"), 0),
        "rejected": rejected,
        "error_groups": [
            {"reason": f"r{i}", "count": n, "examples": [], "field": None} for i, n in enumerate(counts)
        ],
    }


def test_the_report_refuses_groups_that_leave_a_rejected_record_out():
    assert unaccounted_records({"sources": [source_entry(3, [3, 2, 2])]}) == []  # several problems each
    assert unaccounted_records({"sources": [source_entry(3, [1, 1])]}) == [
        "city: 3 rejected but error groups add up to 2"
    ]
    assert unaccounted_records({"sources": [source_entry(0, [1])]}) == [
        "city: 0 rejected but error groups add up to 1"
    ]


def test_the_page_says_how_group_counts_relate_to_rejected_records():
    entry = {**source_entry(3, [3, 2, 2]), "warnings": 0, "warning_groups": []}
    page = render_groups({"sources": [entry]})
    assert "3 records rejected; a record with several problems is counted under each" in page
    assert "error counts below add up to 7" in page
    assert "first reason" not in page
