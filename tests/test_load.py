"""Load core: the next catalog version, the outcome of every row, and report counts that add up."""

import json
from datetime import datetime

from tests.rows import row
from transforms.publish.next_version import accepted_changes, next_state, record_outcomes, without_refused
from transforms.reports.published_warnings import report_rows
from transforms.reports.report import build_report, unaccounted_records
from transforms.schemas import CATALOG_STATE, SOURCE_STATUS, VALIDATED

EARLIER = datetime(2026, 1, 1)


def validated_row(
    identifier, action, decision, reasons=(), source_id="agency", warnings=(), record_type=None
):
    return row(
        VALIDATED,
        source_id=source_id,
        identifier=identifier,
        action=action,
        decision=decision,
        reasons=list(reasons),
        warnings=list(warnings),
        content_hash=f"hash-{identifier}",
        dcat_json=json.dumps({"title": identifier}),
        source_format="dcatus",
        record_type=record_type,
    )


def state_row(identifier, source_id="agency"):
    return row(
        CATALOG_STATE,
        source_id=source_id,
        identifier=identifier,
        content_hash=f"old-{identifier}",
        dcat_json="{}",
        source_format="dcatus",
        slug=f"slug-{identifier}",
        first_harvested=EARLIER,
        last_harvested=EARLIER,
        last_changed_run="r0",
    )


def status_row(source_id, extracted, status="complete"):
    return row(
        SOURCE_STATUS,
        source_id=source_id,
        source_type="datajson",
        schema="dcatus1.1-federal",
        url="http://x",
        status=status,
        extracted=extracted,
        errors=1,
        error_messages=["x.xml: HTTP 500"],
    )


def test_next_state_applies_accepted_changes_only(spark):
    state = spark.createDataFrame(
        [state_row("kept"), state_row("edited"), state_row("gone"), state_row("bad")], CATALOG_STATE
    )
    validated = spark.createDataFrame(
        [
            validated_row("new", "create", "accept"),
            validated_row("edited", "update", "accept"),
            validated_row("gone", "delete", "accept"),
            validated_row("bad", "update", "reject", ["schema: $.title: required field is missing"]),
            validated_row("kept", "unchanged", "accept"),
        ],
        VALIDATED,
    )
    accepted = accepted_changes(validated).withColumn("slug", validated["identifier"])
    rows = {row.identifier: row for row in next_state(state, accepted, "r1").collect()}
    assert sorted(rows) == ["bad", "edited", "kept", "new"]
    assert rows["bad"].content_hash == "old-bad"  # a rejected update keeps the published version
    assert rows["edited"].content_hash == "hash-edited"
    assert rows["edited"].first_harvested == EARLIER and rows["edited"].last_changed_run == "r1"
    assert rows["new"].first_harvested is not None and rows["new"].last_changed_run == "r1"
    assert rows["kept"].last_changed_run == "r0"


def test_refused_rows_are_rejected_with_the_database_reason_and_not_applied(spark):
    validated = spark.createDataFrame(
        [validated_row("a", "create", "accept"), validated_row("b", "create", "accept")], VALIDATED
    )
    refused = spark.createDataFrame(
        [("agency", "b", "refused", "invalid byte sequence")],
        "source_id string, identifier string, db_status string, db_error string",
    )
    assert [row.identifier for row in without_refused(accepted_changes(validated), refused).collect()] == [
        "a"
    ]
    outcomes = {row.identifier: row for row in record_outcomes(validated, refused).collect()}
    assert outcomes["a"].outcome == "created" and outcomes["a"].reasons == []
    assert outcomes["b"].outcome == "rejected"
    assert outcomes["b"].reasons == ["database: invalid byte sequence"]


def test_report_counts_add_up_and_name_the_reasons(spark, tmp_path):
    validated = spark.createDataFrame(
        [
            validated_row(
                "n1", "create", "accept", warnings=["fixup: theme missing; filled with geospatial"]
            ),
            validated_row("u1", "update", "accept", record_type="DataService"),
            validated_row("s1", "unchanged", "accept", record_type="DataService"),
            validated_row("r1", "reject", "reject", ["record has no identifier"], record_type="Dataset"),
            validated_row("r2", "create", "reject", ["record has no identifier"]),
            validated_row("d1", "delete", "accept"),
            validated_row("h1", "create", "held", source_id="shrunk"),
            validated_row("h2", "delete", "held", source_id="shrunk"),
        ],
        VALIDATED,
    )
    statuses = spark.createDataFrame(
        [status_row("agency", 5), status_row("shrunk", 1, "held")], SOURCE_STATUS
    )
    report = build_report(
        {"run_id": "r1"}, report_rows(record_outcomes(validated), None, []), statuses, [], {}, str(tmp_path)
    )
    agency, shrunk = report["sources"]
    assert (
        agency["created"],
        agency["updated"],
        agency["unchanged"],
        agency["rejected"],
        agency["deleted"],
    ) == (1, 1, 1, 2, 1)
    assert agency["errors"] == 1 and agency["warnings"] == 1
    assert agency["top_reasons"] == [
        {"reason": "record has no identifier", "count": 2, "examples": ["r1", "r2"]}
    ]
    assert agency["top_warnings"] == [
        {"warning": "fixup: theme missing; filled with geospatial", "count": 1, "examples": ["n1"]}
    ]
    assert (shrunk["status"], shrunk["held"], shrunk["deletes_held"], shrunk["deleted"]) == ("held", 1, 1, 0)
    # Records per class: the deletion is no record of this run; a row without a class is a Dataset.
    nothing = dict.fromkeys(("created", "updated", "unchanged", "rejected", "held"), 0)
    assert agency["record_types"] == {
        "Dataset": {**nothing, "records": 3, "created": 1, "rejected": 2},
        "DataService": {**nothing, "records": 2, "updated": 1, "unchanged": 1},
    }
    assert list(agency["record_types"]) == ["Dataset", "DataService"]
    assert report["outcome"] == "partial"  # a source was held
    assert unaccounted_records(report) == []
    assert report["totals"]["extracted"] == 6 and report["totals"]["held"] == 1


def test_counts_that_do_not_add_up_are_reported(spark, tmp_path):
    validated = spark.createDataFrame([validated_row("n1", "create", "accept")], VALIDATED)
    statuses = spark.createDataFrame([status_row("agency", 2)], SOURCE_STATUS)
    report = build_report(
        {"run_id": "r1"}, report_rows(record_outcomes(validated), None, []), statuses, [], {}, str(tmp_path)
    )
    assert unaccounted_records(report) == ["agency: extracted 2 but outcomes add up to 1"]
    assert report["outcome"] == "complete"  # the one source completed
