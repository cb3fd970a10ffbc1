"""The warnings a run report shows: those of every record currently published, and of what the run judged.

A publisher reads the latest report as the state of their source, so a record unchanged since an
earlier run keeps showing the warnings its published version got, until they fix it.
"""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.schemas import OUTCOMES, Action, Outcome


def report_rows(outcomes: DataFrame, published: DataFrame | None, source_ids: list[str]) -> DataFrame:
    """Every row of the run (OUTCOMES, ``of_run`` true) with the warnings the report shows for it, and a
    row of its own (``of_run`` false) for each published record of ``source_ids`` the run did not see.

    The cheapest correct way: each catalog version stores the warnings of every record version it
    publishes (``CATALOG_STATE.warnings``, written by load with the record), so the run's base version
    (``published``) already holds them. A row whose published version stays as it is (an unchanged
    record, read again or carried, even in a held source; a held delete) gets that version's stored
    warnings back by one join on the keys (an extract warning it has again is not repeated); a
    published record the run did not see (its source failed or was read in part) comes as an unchanged
    row of its own; a deleted record is no longer published and shows no warning (``current_warnings``).
    Created and updated rows, and rejected ones, keep this run's warnings: they are the warnings of the
    version this run judged. Without ``published`` (no catalog), the run's own warnings are all there
    is. The record counts come from the rows of the run only.
    """
    columns = [*OUTCOMES.fieldNames(), "of_run"]
    of_run = outcomes.withColumn("of_run", F.lit(True))
    if published is None:
        return of_run.select(*columns)
    keys = ["source_id", "identifier"]
    stored = published.filter(F.col("source_id").isin(source_ids)).select(
        *keys, F.coalesce("warnings", F.array().cast(OUTCOMES["warnings"].dataType)).alias("stored")
    )
    version_stays = F.col("action").isin(Action.UNCHANGED, Action.DELETE)
    with_stored = of_run.join(stored, on=keys, how="left").withColumn(
        "warnings",
        F.when(version_stays & F.col("stored").isNotNull(), F.array_union("stored", "warnings")).otherwise(
            F.col("warnings")
        ),
    )
    unseen = (
        stored.filter(F.size("stored") > 0)
        # against every row of the run: a record it deleted is no unseen one
        .join(outcomes.select(*keys), on=keys, how="left_anti")
        .select(
            *keys,
            F.lit(None).cast("string").alias("record_url"),
            F.lit(str(Action.UNCHANGED)).alias("action"),
            F.lit(str(Outcome.UNCHANGED)).alias("outcome"),
            F.array().cast(OUTCOMES["reasons"].dataType).alias("reasons"),
            F.col("stored").alias("warnings"),
            F.lit(None).cast("string").alias("record_type"),
            F.lit(None).cast("string").alias("dcat_version"),
            F.lit(False).alias("of_run"),
        )
    )
    return with_stored.select(*columns).unionByName(unseen.select(*columns))


def current_warnings(rows: DataFrame) -> DataFrame:
    """OUTCOMES rows carrying the warnings the report shows, of ``report_rows``: every one but the deleted."""
    return rows.filter(F.col("outcome") != Outcome.DELETED).select(*OUTCOMES.fieldNames())
