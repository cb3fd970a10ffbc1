"""The delete rule: a published record is deleted only when its source was read in full and the record
is absent from it. A row rejected before its identifier was read may be any published record, so it
holds every delete of its source (compare), validate holds those deletes whatever --force says, and
the mass-deletion guard does not count them."""

import pytest
from pyspark.sql import functions as F

from tests.test_compare import canonical, extracted, state  # noqa: F401
from tests.test_compare import status as source_status
from tests.test_validate_stage import dataset, row, run, status
from transforms.compare.changes import (
    HELD_UNIDENTIFIED,
    NO_IDENTIFIER,
    changes_catalog,
    classify_changes,
    held_delete,
    mark_held_deletes,
)
from transforms.schemas import EXTRACT_RECORDS, SOURCE_STATUS


@pytest.mark.parametrize(
    "error",
    [
        "dataset #3: size is a number too large to keep",
        "dataset #3 is nested deeper than 32 levels",
        "dataset #3 is a string, not a JSON object",
        'dataset #3 (Dataset) has an "identifier" object with no usable "@id"',
    ],
)
def test_a_record_rejected_before_its_identifier_was_read_holds_every_delete_of_its_source(
    spark,
    state,  # noqa: F811
    error,
):
    """The rejected row may be any published record (here "removed", now unreadable): nothing is deleted."""
    records = spark.createDataFrame(
        [
            extracted("agency", "kept", canonical({"identifier": "kept", "title": "Kept"}), position=0),
            extracted("agency", "edited", canonical({"identifier": "edited", "title": "New"}), position=1),
            extracted("agency", None, None, error=error, position=2),
            extracted("down", None, canonical({"title": "nothing to delete"})),
        ],
        EXTRACT_RECORDS,
    )
    statuses = spark.createDataFrame([source_status("agency"), source_status("down")], SOURCE_STATUS)
    changes = classify_changes(records, statuses, state)
    rows = {(row.source_id, row.identifier): row for row in changes.collect()}
    assert (rows["agency", "edited"].action, rows["agency", None].action) == ("update", "reject")
    why = HELD_UNIDENTIFIED % (1, error)
    assert (rows["agency", "removed"].action, rows["agency", "removed"].reasons) == ("delete", [why])
    # The rule is per source: "down" has its own unidentified row, so its record is held too.
    assert rows["down", "survivor"].reasons == [HELD_UNIDENTIFIED % (1, NO_IDENTIFIER)]
    assert changes.filter(held_delete()).count() == 2 and changes.filter(changes_catalog()).count() == 1

    marked = {row.source_id: row for row in mark_held_deletes(statuses, changes).collect()}
    assert (marked["agency"].status, marked["agency"].reason) == ("partial", f"1 delete(s) held back: {why}")
    assert marked["agency"].extracted == 3  # only the status and its reason change


def test_a_source_with_an_unidentified_record_and_nothing_to_delete_stays_complete(
    spark,
    state,  # noqa: F811
):
    records = spark.createDataFrame(
        [
            extracted("down", "survivor", canonical({"identifier": "survivor"})),
            extracted("down", None, None, error="dataset #2 is a string, not a JSON object"),
        ],
        EXTRACT_RECORDS,
    )
    statuses = spark.createDataFrame(
        [source_status("down"), source_status("agency", "failed")], SOURCE_STATUS
    )
    changes = classify_changes(records, statuses, state)
    assert changes.filter(F.col("action") == "delete").count() == 0  # a failed source has no delete rows
    marked = {
        row.source_id: (row.status, row.reason) for row in mark_held_deletes(statuses, changes).collect()
    }
    assert marked == {"down": ("complete", None), "agency": ("failed", None)}


@pytest.mark.parametrize("force", [False, True])
def test_a_delete_compare_held_back_is_held_even_when_forced_and_trips_no_guard(spark, tmp_path, force):
    """Five deletes of fifteen would trip the mass-deletion guard; held back by compare, they delete nothing."""
    why = HELD_UNIDENTIFIED % (1, "dataset #12 is a string, not a JSON object")
    rows = [row("agency", f"u{i}", "unchanged") for i in range(10)]
    rows += [row("agency", f"d{i}", "delete", reasons=[why]) for i in range(5)]
    rows += [row("agency", None, "reject", reasons=["x"]), row("agency", "n", "create", dataset("n"))]
    _, decisions, states, quality = run(
        spark, tmp_path, rows, [status("agency", 12, "partial")], [("agency", 15)], force=force
    )
    assert {decisions[("agency", f"d{i}")]["decision"] for i in range(5)} == {"held"}
    assert decisions[("agency", "d0")]["reasons"] == [why]
    assert decisions[("agency", "n")]["decision"] == "accept"
    assert (states["agency"]["status"], quality["sources"]) == ("partial", {})
