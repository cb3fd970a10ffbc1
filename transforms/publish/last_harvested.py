"""After load: when each record was last harvested, in the lake's side table and the catalog database.

The side table is the lake's (``transforms.lake.harvest_times``); the database's
``dataset.last_harvested_date`` moves forward with one UPDATE per source, run in the Spark tasks that
hold the identifiers.
"""

from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession

from transforms.lake.catalog_state import read_state
from transforms.lake.harvest_times import KEYS, seen_unchanged, write_harvest_times
from transforms.publish.connection import connect
from transforms.publish.db_config import resolve_db_url

# H2.0's dates are UTC without a time zone; a dataset's id is derived from its source and identifier.
TOUCH = """UPDATE public.dataset SET last_harvested_date = %(at)s AT TIME ZONE 'UTC'
WHERE id IN (SELECT catalog.harvest_id('dataset', %(source_id)s, identifier) FROM unnest(%(identifiers)s::text[]) AS identifier)
    AND (last_harvested_date IS NULL OR last_harvested_date < %(at)s AT TIME ZONE 'UTC')"""


def touch_database(db_url: str, seen: DataFrame, at: datetime) -> None:
    """Move ``last_harvested_date`` forward for the records seen unchanged: one UPDATE per source, run in the
    Spark tasks that hold its identifiers (a connection per task that has rows)."""
    url = resolve_db_url(db_url)

    def touch(rows) -> None:
        by_source: dict[str, list[str]] = {}
        for row in rows:
            by_source.setdefault(row["source_id"], []).append(row["identifier"])
        if not by_source:
            return
        with connect(url) as connection:
            for source_id, identifiers in by_source.items():
                connection.execute(TOUCH, {"at": at, "source_id": source_id, "identifiers": identifiers})

    seen.select(*KEYS).repartition("source_id").foreachPartition(touch)


def refresh_harvest_times(
    spark: SparkSession, lake_root: str, run_id: str, validated: DataFrame, version: str | None, db_url: str
) -> None:
    """After load: the side table of this run against catalog ``version`` (the one in force after it), and
    the catalog database's ``last_harvested_date`` when there is one."""
    at = datetime.now(UTC)
    seen = seen_unchanged(validated)
    write_harvest_times(spark, lake_root, run_id, seen, read_state(spark, lake_root, version), at)
    if db_url:
        touch_database(db_url, seen, at)
