"""Compare: create / update / delete / unchanged / reject against the catalog state."""

import hashlib
import json
from datetime import datetime

import pytest

from tests.rows import row
from transforms.compare.changes import (
    HELD_PARTIAL,
    HELD_UNIDENTIFIED,
    NO_IDENTIFIER,
    changes_catalog,
    classify_changes,
    held_delete,
)
from transforms.fetch.datajson import canonical_json as canonical
from transforms.schemas import CATALOG_STATE, EXTRACT_RECORDS, SOURCE_STATUS

NOW = datetime(2026, 11, 1, 6, 0, 0)
HELD_TWO_UNIDENTIFIED = HELD_UNIDENTIFIED % (2, NO_IDENTIFIER)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def extracted(
    source_id, identifier, raw, fetch_status="fetched", error=None, url=None, warnings=(), position=0, **more
):
    return row(
        EXTRACT_RECORDS,
        source_id=source_id,
        identifier=identifier,
        record_url=url,
        position=position,
        raw_format="json",
        raw=raw,
        fetch_status=fetch_status,
        error=error,
        warnings=list(warnings),
        **more,
    )


def status(source_id, state="complete"):
    return row(
        SOURCE_STATUS,
        source_id=source_id,
        source_type="datajson",
        schema="dcatus1.1-federal",
        url="http://x",
        status=state,
        extracted=3,
        errors=0,
    )


def published(source_id, identifier, content_hash, **more):
    return row(
        CATALOG_STATE,
        source_id=source_id,
        identifier=identifier,
        content_hash=content_hash,
        dcat_json="{}",
        source_format="dcatus",
        slug=identifier,
        first_harvested=NOW,
        last_harvested=NOW,
        last_changed_run="r0",
        **more,
    )


@pytest.fixture
def state(spark):
    rows = [
        published("agency", "kept", sha256(canonical({"identifier": "kept", "title": "Kept"}))),
        published("agency", "edited", sha256(canonical({"identifier": "edited", "title": "Old"}))),
        published("agency", "removed", sha256(canonical({"identifier": "removed", "title": "Gone"}))),
        published("down", "survivor", "h"),
    ]
    return spark.createDataFrame(rows, CATALOG_STATE)


def actions(changes) -> dict:
    return {(row.source_id, row.identifier): row.action for row in changes.collect()}


def test_create_update_delete_unchanged(spark, state):
    statuses = spark.createDataFrame([status("agency"), status("down")], SOURCE_STATUS)
    # extract writes canonical JSON: a record served with other key order arrives in the same text
    canonical_records = spark.createDataFrame(
        [
            extracted("agency", "kept", canonical(json.loads('{"title":"Kept","identifier":"kept"}'))),
            extracted("agency", "edited", canonical({"identifier": "edited", "title": "New"})),
            extracted("agency", "added", canonical({"identifier": "added", "title": "Added"})),
        ],
        EXTRACT_RECORDS,
    )
    assert actions(classify_changes(canonical_records, statuses, state)) == {
        ("agency", "kept"): "unchanged",
        ("agency", "edited"): "update",
        ("agency", "added"): "create",
        ("agency", "removed"): "delete",
        ("down", "survivor"): "delete",  # a complete source that lists nothing any more
    }


def test_failed_source_produces_no_deletes(spark, state):
    statuses = spark.createDataFrame([status("agency"), status("down", "failed")], SOURCE_STATUS)
    records = spark.createDataFrame([], EXTRACT_RECORDS)
    result = actions(classify_changes(records, statuses, state))
    assert ("down", "survivor") not in result
    assert result[("agency", "kept")] == "delete"


def test_missing_and_duplicate_identifiers_are_rejected_and_keep_their_published_copy(spark, state):
    records = spark.createDataFrame(
        [
            extracted("agency", None, canonical({"title": "No id"}), position=0),
            extracted("agency", "edited", canonical({"identifier": "edited", "title": "A"}), position=1),
            extracted("agency", "edited", canonical({"identifier": "edited", "title": "B"}), position=2),
            extracted("agency", None, None, error="dataset #4 is a string, not a JSON object", position=3),
        ],
        EXTRACT_RECORDS,
    )
    statuses = spark.createDataFrame([status("agency")], SOURCE_STATUS)
    changes = classify_changes(records, statuses, state).collect()
    rejected = [row for row in changes if row.action == "reject"]
    assert len(rejected) == 4
    reasons = sorted(reason for row in rejected for reason in row.reasons)
    assert reasons[0] == "dataset #4 is a string, not a JSON object"
    assert any('identifier "edited" appears 2 times' in reason for reason in reasons)
    assert any(reason.startswith("record has no identifier") for reason in reasons)
    # "edited" is still listed, so it stays; "kept" and "removed" may be the unidentified rows
    held = {row.identifier: row.reasons for row in changes if row.action == "delete"}
    assert held == {"kept": [HELD_TWO_UNIDENTIFIED], "removed": [HELD_TWO_UNIDENTIFIED]}


def test_unfetchable_file_is_not_deleted_and_not_a_record(spark, state):
    records = spark.createDataFrame(
        [extracted("agency", "kept", None, fetch_status="error", error="HTTP 503 from http://x/kept.xml")],
        EXTRACT_RECORDS,
    )
    statuses = spark.createDataFrame([status("agency")], SOURCE_STATUS)
    result = actions(classify_changes(records, statuses, state))
    assert ("agency", "kept") not in result
    assert result[("agency", "removed")] == "delete"


def test_not_modified_file_is_unchanged_with_the_published_hash(spark, state):
    records = spark.createDataFrame(
        [extracted("agency", "kept", None, fetch_status="not_modified")], EXTRACT_RECORDS
    )
    statuses = spark.createDataFrame([status("agency")], SOURCE_STATUS)
    rows = {change.identifier: change for change in classify_changes(records, statuses, state).collect()}
    assert rows["kept"].action == "unchanged"
    assert rows["kept"].content_hash == sha256(canonical({"identifier": "kept", "title": "Kept"}))


def test_a_partial_source_creates_and_updates_but_deletes_nothing(spark, state):
    """A WAF listing that could not be read in full: an unread folder looks just like a deleted one."""
    records = spark.createDataFrame(
        [
            extracted("agency", "edited", canonical({"identifier": "edited", "title": "New"})),
            extracted("agency", "added", canonical({"identifier": "added", "title": "Added"})),
        ],
        EXTRACT_RECORDS,
    )
    statuses = spark.createDataFrame([status("agency", "partial")], SOURCE_STATUS)
    changes = classify_changes(records, statuses, state)
    assert actions(changes) == {
        ("agency", "edited"): "update",
        ("agency", "added"): "create",
        ("agency", "kept"): "delete",
        ("agency", "removed"): "delete",
    }
    # Both deletes are held back, with the reason (validate holds them: see test_validate_stage).
    assert {row.identifier: row.reasons for row in changes.filter(held_delete()).collect()} == {
        "kept": [HELD_PARTIAL],
        "removed": [HELD_PARTIAL],
    }
    assert changes.filter(changes_catalog()).count() == 2


def test_extract_warnings_follow_the_record(spark, state):
    warning = "extract: description had 1 invalid \\u escape(s) (a lone surrogate); replaced with '’'"
    records = spark.createDataFrame(
        [extracted("agency", "added", canonical({"identifier": "added"}), warnings=[warning])],
        EXTRACT_RECORDS,
    )
    statuses = spark.createDataFrame([status("agency")], SOURCE_STATUS)
    changes = {change.identifier: change for change in classify_changes(records, statuses, state).collect()}
    assert (changes["added"].action, changes["added"].warnings) == ("create", [warning])
    assert changes["removed"].warnings == []


def test_a_record_now_published_as_dcat_us_3_is_an_update_even_when_its_text_is_unchanged(spark, state):
    kept = canonical({"identifier": "kept", "title": "Kept"})
    records = spark.createDataFrame(
        [extracted("agency", "kept", kept, record_type="Dataset", dcat_version="3.0")], EXTRACT_RECORDS
    )
    statuses = spark.createDataFrame([status("agency")], SOURCE_STATUS)
    rows = {row.identifier: row for row in classify_changes(records, statuses, state).collect()}
    assert rows["kept"].action == "update" and rows["kept"].dcat_version == "3.0"


def test_unchanged_records_keep_the_class_they_were_published_as_and_deletes_carry_theirs(spark):
    series = canonical({"identifier": "parent", "title": "Parent"})
    state = spark.createDataFrame(
        [
            published("agency", "parent", sha256(series), record_type="DatasetSeries", dcat_version="3.0"),
            published("agency", "service", "h", record_type="DataService", dcat_version="3.0"),
        ],
        CATALOG_STATE,
    )
    records = spark.createDataFrame(
        [extracted("agency", "parent", series, record_type="Dataset", dcat_version="3.0")], EXTRACT_RECORDS
    )
    statuses = spark.createDataFrame([status("agency")], SOURCE_STATUS)
    rows = {row.identifier: row for row in classify_changes(records, statuses, state).collect()}
    assert (rows["parent"].action, rows["parent"].record_type) == ("unchanged", "DatasetSeries")
    assert (rows["service"].action, rows["service"].record_type, rows["service"].dcat_version) == (
        "delete",
        "DataService",
        "3.0",
    )
