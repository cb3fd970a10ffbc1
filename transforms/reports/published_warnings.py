"""The warnings a run report shows: those of every record currently published, and of what the run judged.

A publisher reads the latest report as the state of their source, so a record unchanged since an
earlier run keeps showing the warnings its published version got, until they fix it.
"""

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from transforms.schemas import OUTCOMES, Action, Outcome


def report_rows(outcomes: DataFrame, published: DataFrame | None, source_ids: list[str]) -> DataFrame:
    """Every row of the run (OUTCOMES, ``of_run`` true) with the warnings the report shows for it, and a
    row of its own (``of_run`` false) for each published record of ``source_ids`` the run did not see.

    The cheapest correct way: each catalog version stores the warnings of every record version it
    publishes (``CATALOG_STATE.warnings``, written by load with the record), so the run's base version
    (``published``) already holds them. A row whose published version stays as it is (an unchanged
    record, read again or carried, even in a held source; a held delete) gets that version's stored
    warnings back by its key (an extract warning it has again is not repeated); a
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
        *keys,
        F.lit(None).cast("string").alias("record_url"),
        F.lit(str(Action.UNCHANGED)).alias("action"),
        F.lit(str(Outcome.UNCHANGED)).alias("outcome"),
        F.array().cast(OUTCOMES["reasons"].dataType).alias("reasons"),
        F.coalesce("warnings", F.array().cast(OUTCOMES["warnings"].dataType)).alias("warnings"),
        F.lit(None).cast("string").alias("record_type"),
        F.lit(None).cast("string").alias("dcat_version"),
        F.lit(False).alias("of_run"),
    )
    # The run's rows and the published ones meet by key in one shuffle by source (each window below
    # needs no other): two joins, one for the stored warnings and one for the unseen records, would
    # broadcast a side each, a job each.
    rows = of_run.select(*columns).unionByName(stored).repartition("source_id")
    by_key = Window.partitionBy(*keys)
    # The warnings the catalog stores under the key: null for a row of the run whose key it does not publish.
    stored_warnings = F.max(F.when(~F.col("of_run"), F.col("warnings")))
    version_stays = F.col("action").isin(Action.UNCHANGED, Action.DELETE)
    return (
        rows.withColumn("stored", stored_warnings.over(by_key))
        # against every row of the run: a record it deleted is no unseen one
        .withColumn("seen", F.max("of_run").over(by_key))
        .filter(F.col("of_run") | (~F.col("seen") & (F.size("warnings") > 0)))
        .withColumn(
            "warnings",
            F.when(
                F.col("of_run") & version_stays & F.col("stored").isNotNull(),
                F.array_union("stored", "warnings"),
            ).otherwise(F.col("warnings")),
        )
        .select(*columns)
    )


def current_warnings(rows: DataFrame) -> DataFrame:
    """OUTCOMES rows carrying the warnings the report shows, of ``report_rows``: every one but the deleted."""
    return rows.filter(F.col("outcome") != Outcome.DELETED).select(*OUTCOMES.fieldNames())
