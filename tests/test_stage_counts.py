"""A stage's counts are the rows its write put in its table, per value of one column."""

from pyspark.sql.types import StringType, StructField, StructType

from glue_jobs.job_context import JobContext
from transforms.lake.manifest import RunManifest
from transforms.schemas import Action

RUN_ID = "20260101T000000Z-abc123"
TABLE = StructType([StructField("identifier", StringType()), StructField("action", StringType())])


def _job(spark, lake) -> JobContext:
    manifest = RunManifest(RUN_ID, "2026-01-01T00:00:00+00:00", None, "sources: []\n", "", False, "")
    job = JobContext(stage="compare", args={"lake": str(lake), "run_id": RUN_ID}, manifest=manifest)
    job._session = (spark, lambda: None)
    return job


def test_counts_are_the_rows_written_per_value_in_name_order(spark, tmp_path):
    job = _job(spark, tmp_path)
    rows = [("a", "update"), ("b", "unchanged"), ("c", "unchanged"), ("d", None), ("e", "create")]
    counts = job.write(spark.createDataFrame(rows, TABLE), "changes", TABLE, count_by=("action", Action))
    assert list(counts.items()) == [("None", 1), ("create", 1), ("unchanged", 2), ("update", 1)]
    assert sorted(row.identifier for row in job.read("compare", "changes", TABLE).collect()) == [
        "a",
        "b",
        "c",
        "d",
        "e",
    ]


def test_a_value_outside_the_vocabulary_is_counted_too(spark, tmp_path):
    job = _job(spark, tmp_path)
    rows = [("a", "create"), ("b", "renamed"), ("c", "renamed")]
    counts = job.write(spark.createDataFrame(rows, TABLE), "changes", TABLE, count_by=("action", Action))
    assert counts == {"create": 1, "renamed": 2}


def test_an_empty_table_counts_nothing(spark, tmp_path):
    job = _job(spark, tmp_path)
    counts = job.write(spark.createDataFrame([], TABLE), "changes", TABLE, count_by=("action", Action))
    assert counts == {}
    assert job.read("compare", "changes", TABLE).collect() == []
