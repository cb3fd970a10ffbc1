"""The catalog state in the lake: versions of the published records and the pointer to the current one.

    catalog/versions/<run_id>/records   Parquet, schema CATALOG_STATE
    catalog/CURRENT                     {"version": <run_id>, "previous": <run_id or null>, "switched": <ISO time>}

Load writes a whole new version and only then rewrites the small pointer, so a crash at
any point before the switch leaves the previous version in force. A run always works
against its *base* version: the one that was current when the run started. When load has
already switched the pointer to the run's own version, the base is the pointer's
``previous``, so compare, validate and load can run again for the same run and get the
same result.
"""

import json
import logging
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms import lake
from transforms.schemas import CATALOG_STATE

log = logging.getLogger(__name__)


def pointer_uri(lake_root: str) -> str:
    """Where the pointer to the current catalog version lives."""
    return lake.join(lake_root, "catalog", "CURRENT")


def version_uri(lake_root: str, version: str) -> str:
    """The records folder of one catalog version."""
    return lake.join(lake_root, "catalog", "versions", version, "records")


def read_pointer(lake_root: str) -> dict:
    """The pointer's content, or {} before the first load."""
    text = lake.read_text(pointer_uri(lake_root))
    return json.loads(text) if text else {}


def base_version(lake_root: str, run_id: str) -> str | None:
    """The catalog version a run compares against (see the module docstring), or None when empty."""
    pointer = read_pointer(lake_root)
    if pointer.get("version") == run_id:
        return pointer.get("previous")
    return pointer.get("version")


def read_state(spark: SparkSession, lake_root: str, version: str | None) -> DataFrame:
    """The records of a catalog version; an empty frame with the state schema when there is none."""
    if version is None:
        return spark.createDataFrame([], CATALOG_STATE)
    return spark.read.schema(CATALOG_STATE).parquet(lake.spark_uri(version_uri(lake_root, version)))


def read_base_state(spark: SparkSession, lake_root: str, run_id: str) -> DataFrame:
    """The catalog state a run works against."""
    return read_state(spark, lake_root, base_version(lake_root, run_id))


def write_version(state: DataFrame, lake_root: str, version: str) -> None:
    """Write a complete catalog version (replacing a partial one from an earlier attempt of the same run)."""
    (
        state.select(*CATALOG_STATE.fieldNames())
        .repartition("source_id")
        .sortWithinPartitions("source_id", "identifier")
        .write.mode("overwrite")
        .parquet(lake.spark_uri(version_uri(lake_root, version)))
    )


def switch_pointer(lake_root: str, version: str, previous: str | None) -> None:
    """Make `version` the current catalog version: one small atomic write."""
    pointer = {"version": version, "previous": previous, "switched": datetime.now(UTC).isoformat()}
    lake.write_text(pointer_uri(lake_root), json.dumps(pointer, indent=2) + "\n", "application/json")
    log.info("catalog pointer switched to version %s (previous %s)", version, previous)


def published_counts(state: DataFrame) -> DataFrame:
    """source_id, published: how many records of each source the catalog holds."""
    return state.groupBy("source_id").agg(F.count(F.lit(1)).cast("long").alias("published"))
