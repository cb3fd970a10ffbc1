"""When each published record was last harvested, kept fresh without writing a catalog version.

A record seen unchanged changes nothing in the catalog, so no version is written for it, and the
version's ``last_harvested`` (and the ETag and Last-Modified extract sends back) would stay those
of the run that last changed it. A small side table keeps them instead:

    catalog/harvest_times/<run_id>/    Parquet: source_id, identifier, last_harvested, etag, last_modified
    catalog/harvest_times/LATEST       {"run_id": <run_id>, "previous": <run_id or null>}

Each load writes the table of its run: the previous table's rows updated with the records seen
unchanged this run, kept only for records the catalog still holds and this run did not change (a
changed record's own version is as new). Then it switches ``LATEST``, as the catalog pointer is
switched; older tables than the previous are removed. A record's last harvest is the later of its
catalog version's and the side table's (``with_harvest_times``), and extract's conditional
requests use the side table's validators. In the catalog database,
``transforms.publish.last_harvested`` moves ``last_harvested`` forward with one UPDATE per source.

Beside it, when each *source* was last harvested (what a scheduled run reads to pick the sources due,
``transforms.registry.due_sources``):

    catalog/harvest_times/SOURCES.json  {<source_id>: <the start time of the last run that harvested it>}

Load records every source of a run that published (whatever the source's outcome: a failing source is
tried again at its next due time, not at every trigger); a dry run records nothing.
"""

import json
import logging
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms import lake
from transforms.schemas import Action, Decision

log = logging.getLogger(__name__)
KEYS = ["source_id", "identifier"]
_TIME_COLUMNS = (("last_harvested", "timestamp"), ("etag", "string"), ("last_modified", "string"))
HARVEST_TIMES = "source_id string, identifier string, " + ", ".join(
    f"{name} {kind}" for name, kind in _TIME_COLUMNS
)


def _folder(lake_root: str, *parts: str) -> str:
    return lake.join(lake_root, "catalog", "harvest_times", *parts)


def _source_harvests_uri(lake_root: str) -> str:
    return _folder(lake_root, "SOURCES.json")


def read_source_harvests(lake_root: str) -> dict[str, datetime]:
    """source id -> when the last run that harvested it started (empty for a lake that recorded none)."""
    text = lake.read_text(_source_harvests_uri(lake_root))
    return {source_id: datetime.fromisoformat(at) for source_id, at in json.loads(text or "{}").items()}


def record_source_harvests(lake_root: str, source_ids: list[str], started: str) -> None:
    """Note that a run started at ``started`` (ISO 8601, the manifest's) harvested these sources.

    Called by load while the run holds the lake lock, so the read and the write cannot interleave.
    """
    times = {source_id: at.isoformat() for source_id, at in read_source_harvests(lake_root).items()}
    times.update(dict.fromkeys(source_ids, datetime.fromisoformat(started).isoformat()))
    text = json.dumps(dict(sorted(times.items())), indent=1) + "\n"
    lake.write_text(_source_harvests_uri(lake_root), text, "application/json")


def _pointer(lake_root: str) -> dict:
    text = lake.read_text(_folder(lake_root, "LATEST"))
    return json.loads(text) if text else {}


def _base_run(lake_root: str, run_id: str) -> str | None:
    """The side table a run builds on: the latest, or its previous when this run already wrote the latest."""
    pointer = _pointer(lake_root)
    return pointer.get("previous") if pointer.get("run_id") == run_id else pointer.get("run_id")


def read_harvest_times(spark: SparkSession, lake_root: str, run_id: str | None = None) -> DataFrame | None:
    """The side table in force (for ``run_id``: the one it builds on); None when there is none."""
    return _read_table(
        spark, lake_root, _base_run(lake_root, run_id) if run_id else _pointer(lake_root).get("run_id")
    )


def _read_table(spark: SparkSession, lake_root: str, table: str | None) -> DataFrame | None:
    if table is None:
        return None
    return spark.read.schema(HARVEST_TIMES).parquet(lake.spark_uri(_folder(lake_root, table)))


def with_harvest_times(state: DataFrame, times: DataFrame | None) -> DataFrame:
    """CATALOG_STATE with each record's latest harvest time and validators from the side table (None:
    there is none yet, and the state is returned as it is)."""
    if times is None:
        return state
    newer = F.col("seen_at").isNotNull() & (
        F.col("last_harvested").isNull() | (F.col("seen_at") > F.col("last_harvested"))
    )
    seen = times.select(
        *KEYS,
        F.col("last_harvested").alias("seen_at"),
        F.col("etag").alias("seen_etag"),
        F.col("last_modified").alias("seen_last_modified"),
    )
    return (
        state.join(seen, on=KEYS, how="left")
        .withColumn("etag", F.when(newer, F.col("seen_etag")).otherwise(F.col("etag")))
        .withColumn(
            "last_modified", F.when(newer, F.col("seen_last_modified")).otherwise(F.col("last_modified"))
        )
        .withColumn("last_harvested", F.when(newer, F.col("seen_at")).otherwise(F.col("last_harvested")))
        .select(*state.columns)
    )


def seen_unchanged(validated: DataFrame) -> DataFrame:
    """source_id, identifier, etag, last_modified of the records the gate let through unchanged."""
    return validated.filter(
        (F.col("action") == Action.UNCHANGED) & (F.col("decision") == Decision.ACCEPT)
    ).select(*KEYS, "etag", "last_modified")


def write_harvest_times(
    spark: SparkSession, lake_root: str, run_id: str, seen: DataFrame, catalog: DataFrame, at: datetime
) -> None:
    """Write this run's side table and switch LATEST to it (see the module docstring).

    ``seen``: ``seen_unchanged`` of the run; ``catalog``: the catalog version in force after the run.
    """
    previous = _base_run(lake_root, run_id)
    fresh = seen.select(*KEYS, F.lit(at).cast("timestamp").alias("last_harvested"), "etag", "last_modified")
    previous_times = _read_table(spark, lake_root, previous)
    if previous_times is None:
        previous_times = spark.createDataFrame([], HARVEST_TIMES)
    # Records changed this run carry their own time in the catalog version (last_changed_run).
    unchanged_in_catalog = catalog.filter(
        F.col("last_changed_run").isNull() | (F.col("last_changed_run") != run_id)
    ).select(*KEYS)
    # One shuffle by source: per record, this run's time over the previous table's, kept only for a
    # record of the catalog (rank -1 marks one); joins would shuffle (or broadcast) once per join.
    no_time = [F.lit(None).cast(kind).alias(name) for name, kind in _TIME_COLUMNS]
    ranked = (
        previous_times.withColumn("rank", F.lit(0))
        .unionByName(fresh.withColumn("rank", F.lit(1)))
        .unionByName(unchanged_in_catalog.select(*KEYS, *no_time, F.lit(-1).alias("rank")))
    )
    table = (
        ranked.repartition("source_id")
        .groupBy(*KEYS)
        .agg(
            F.min("rank").alias("lowest"),
            F.max("rank").alias("highest"),
            F.max_by(F.struct(*(name for name, _ in _TIME_COLUMNS)), "rank").alias("times"),
        )
        .filter((F.col("lowest") == -1) & (F.col("highest") >= 0))
        .select(*KEYS, "times.*")
    )
    table.sortWithinPartitions(*KEYS).write.mode("overwrite").parquet(
        lake.spark_uri(_folder(lake_root, run_id))
    )
    pointer = {"run_id": run_id, "previous": previous}
    lake.write_text(_folder(lake_root, "LATEST"), json.dumps(pointer) + "\n", "application/json")
    _remove_older(lake_root, keep={run_id, previous})


def _remove_older(lake_root: str, keep: set) -> None:
    """Side tables older than the previous one: nothing reads them any more."""
    root = _folder(lake_root)
    for name in lake.list_folders(root):
        if name not in keep:
            lake.remove_tree(lake.join(root, name))
