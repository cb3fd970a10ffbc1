"""Reasons grouped per source so a publisher can act on them, and the CSVs of every rejected record."""

import csv
import io
import json

from tests.rows import outcome_row
from transforms.gate.schema_check import ERROR, NON_FEDERAL, checker
from transforms.reports.error_groups import csv_text, spreadsheet_cell
from transforms.reports.published_warnings import report_rows
from transforms.reports.reason_groups import field_doc_url, group_records, reason_group
from transforms.reports.record_csvs import csv_links
from transforms.reports.report_pass import count_and_list
from transforms.schemas import OUTCOMES

DOCS = "https://resources.data.gov/resources/dcat-us/"


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # spreadsheet programs read the file as UTF-8
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_records_with_the_same_problem_but_their_own_values_share_a_group():
    first = reason_group('schema: $.contactPoint.hasEmail: "ocagoadmin@oakgov.com" is not a mailto: address')
    second = reason_group('schema: $.contactPoint.hasEmail: "jane@agency.gov" is not a mailto: address')
    assert first == second
    assert first.reason == "schema: $.contactPoint.hasEmail: is not a mailto: address"
    assert first.field == "$.contactPoint.hasEmail"
    listed = reason_group('schema: $.distribution[3].accessURL: "//////x" is not a valid URI')
    assert listed.reason == "schema: $.distribution[*].accessURL: is not a valid URI"
    assert (
        reason_group("schema: $.title: must be a string, found 707").reason
        == "schema: $.title: must be a string"
    )
    assert reason_group(
        "schema: $.description: is 57,249 characters long; at most 10,000 allowed"
    ).reason == ("schema: $.description: is longer than 10,000 characters")


def test_reasons_from_other_stages_lose_their_values_and_name_their_field():
    duplicate = reason_group(
        'identifier "abc-1" appears 3 times in this source; none of them is harvested until it is unique'
    )
    assert duplicate.reason.startswith("identifier appears more than once in this source")
    assert duplicate.field == "$.identifier"
    assert reason_group("dataset #17 is a string, not a JSON object").reason == (
        "dataset is a string, not a JSON object"
    )
    assert reason_group("transform: record has no title").field == "$.title"
    assert reason_group("contactPoint: 'x@' is not an email address; left out") == reason_group(
        "contactPoint: 'y' is not an email address; left out"
    )
    assert reason_group("fixup: contactPoint.fn missing; filled with default").field == "$.contactPoint.fn"
    assert reason_group("transform: XML is not well formed: tag mismatch (line 7)").reason == (
        "transform: XML is not well formed: tag mismatch"
    )


def test_fields_link_to_their_dcat_us_documentation():
    assert field_doc_url("$.modified") == DOCS + "#modified"
    assert field_doc_url("$.distribution[*].downloadURL") == DOCS + "#distribution-downloadURL"
    assert field_doc_url("$.contactPoint.hasEmail") == DOCS + "#contactPoint-hasEmail"
    assert field_doc_url("$['@type']") == DOCS + "#dataset-type"
    assert field_doc_url("$.conformsTo") == DOCS + "#dataset-conformsTo"
    assert field_doc_url("$.publisher.subOrganizationOf.name") == DOCS + "#publisher-subOrganizationOf"
    assert field_doc_url("$.agencyNotes") is None and field_doc_url(None) is None


def test_real_catalog_with_one_problem_per_record_groups_add_up_to_its_rejected_records(realdata):
    datasets = json.loads(
        (realdata / "datajson" / "datagov-harvester" / "dcatus_with_none.json").read_text("utf-8")
    )["dataset"]
    records = []
    for dataset in datasets:
        errors = [f"schema: {f}" for f in checker(NON_FEDERAL).check(dataset) if f.severity == ERROR]
        records.append((dataset.get("identifier"), bool(errors), errors, []))
    groups = group_records(records)
    rejected = sum(1 for record in records if record[1])
    assert sum(group["count"] for group in groups["error_groups"]) == rejected
    # 391 records of this real catalog have "modified": null (tests/test_schema_validation.py)
    [largest, *_] = groups["error_groups"]
    assert largest["reason"] == "schema: $.modified: is not an ISO 8601 date, datetime or repeating interval"
    assert largest["count"] == 391 and largest["field"] == "$.modified"
    assert len(largest["examples"]) == 5 and largest["examples"] == sorted(largest["examples"])


def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised():
    for hostile in ('=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)"):
        assert spreadsheet_cell(hostile) == "'" + hostile
    for hostile in ("\t=1", "\r=1"):  # no tab or carriage return is left in a cell
        assert spreadsheet_cell(hostile) == "' =1"
    assert spreadsheet_cell("https://data.gov/x") == "https://data.gov/x"
    assert spreadsheet_cell(None) == ""


def test_csv_keeps_commas_quotes_and_newlines_inside_their_cell():
    rows = [
        ("id,1", "https://a.gov/x.xml", 'schema: $.title: "a, b" is wrong\nschema: $.modified: null'),
        ("=cmd|' /C calc'!A0", None, "-1"),
    ]
    parsed = read_csv(csv_text(rows))
    assert parsed[0] == ["identifier", "record_url", "reason"]
    assert parsed[1] == list(rows[0])
    assert parsed[2] == ["'=cmd|' /C calc'!A0", "", "'-1"]


def test_spark_groups_and_csvs_of_a_run(spark, tmp_path):
    hostile = "=1+1"
    rows = [
        outcome_row(
            "a", "a-1", "rejected", ["schema: $.modified: null is not an ISO 8601 date", "schema: $.x: y"]
        ),
        outcome_row("a", "a-2", "rejected", ['schema: $.modified: "soon" is not an ISO 8601 date']),
        outcome_row("a", hostile, "rejected", ["transform: record has no title"]),
        outcome_row("a", "a-4", "created", warnings=["fixup: keyword missing; filled with 'geospatial'"]),
        # a delete is not a record
        outcome_row("a", "a-5", "rejected", ["database: refused"], action="delete"),
        outcome_row("b", "b-1", "unchanged", action="unchanged"),
    ]
    outcomes = spark.createDataFrame(rows, OUTCOMES)
    (tmp_path / "errors").mkdir()
    (tmp_path / "errors" / "gone.csv").write_text("an earlier pass's list", "utf-8")
    tallies, written = count_and_list(report_rows(outcomes, None, ["a", "b"]), str(tmp_path))
    groups = {source_id: tally.report_groups() for source_id, tally in tallies.items()}
    assert groups["b"] == {"error_groups": [], "warning_groups": []}
    assert groups["a"]["error_groups"] == [
        {
            "reason": "schema: $.modified: is not an ISO 8601 date",
            "count": 2,
            "examples": ["a-1", "a-2"],
            "field": "$.modified",
        },
        {"reason": "schema: $.x: y", "count": 1, "examples": ["a-1"], "field": "$.x"},  # a-1's second reason
        {"reason": "transform: record has no title", "count": 1, "examples": [hostile], "field": "$.title"},
    ]
    assert [g["count"] for g in groups["a"]["warning_groups"]] == [1]

    assert csv_links("a", written) == {
        "errors_csv": "report/errors/a.csv",
        "warnings_csv": "report/errors/a.warnings.csv",
        "created_csv": "report/changes/a.created.csv",
        "updated_csv": None,
        "deleted_csv": None,
    }
    assert set(csv_links("b", written).values()) == {None}
    assert not (tmp_path / "errors" / "gone.csv").exists()  # what an earlier pass wrote is gone
    errors = read_csv((tmp_path / "errors" / "a.csv").read_text("utf-8"))
    assert errors[1:] == [
        ["'" + hostile, "", "transform: record has no title"],
        ["a-1", "", "schema: $.modified: null is not an ISO 8601 date\nschema: $.x: y"],
        ["a-2", "", 'schema: $.modified: "soon" is not an ISO 8601 date'],
    ]
    warnings = read_csv((tmp_path / "errors" / "a.warnings.csv").read_text("utf-8"))
    assert warnings[1:] == [["a-4", "", "fixup: keyword missing; filled with 'geospatial'"]]
