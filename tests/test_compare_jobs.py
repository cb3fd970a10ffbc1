"""Compare's fixed cost: its write groups the keys of the records, the statuses and the catalog in one
aggregate (shuffled by source once for each of its two readers) and broadcasts once."""

import json

from tests.test_compare import canonical, extracted, state, status  # noqa: F401
from transforms.compare.changes import classify_changes
from transforms.schemas import EXTRACT_RECORDS, SOURCE_STATUS

GROUP = "compare-write"


def jobs_of(spark, action) -> int:
    """The Spark jobs ``action`` starts."""
    context = spark.sparkContext
    context.setJobGroup(GROUP, "one compare write")
    try:
        action()
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
    return len(context.statusTracker().getJobIdsForGroup(GROUP))


def test_the_changes_are_written_in_at_most_four_spark_jobs(spark, state, tmp_path):  # noqa: F811
    statuses = spark.createDataFrame([status("agency"), status("down", "partial")], SOURCE_STATUS)
    records = spark.createDataFrame(
        [
            extracted("agency", "kept", canonical(json.loads('{"title":"Kept","identifier":"kept"}'))),
            extracted("agency", "edited", canonical({"identifier": "edited", "title": "New"}), position=1),
            extracted("agency", "edited", canonical({"identifier": "edited", "title": "Again"}), position=2),
            extracted("agency", None, canonical({"title": "No id"}), position=3),
        ],
        EXTRACT_RECORDS,
    )
    changes = classify_changes(records, statuses, state)
    assert jobs_of(spark, lambda: changes.write.parquet(str(tmp_path / "changes"))) <= 4
