"""Load: the accepted changes become the next catalog version; every row gets its outcome.

Rejected and held rows never touch the catalog: their previous version (if any) stays.
Rows a catalog database refused are treated as rejected here too, so they are not in the
lake's state and the next run tries them again.
"""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.schemas import (
    CATALOG_STATE,
    CHANGING_ACTIONS,
    OUTCOME_OF_ACTION,
    OUTCOMES,
    Action,
    Decision,
    Outcome,
)

KEYS = ["source_id", "identifier"]


def accepted_changes(validated: DataFrame) -> DataFrame:
    """Rows the gate accepted that change the catalog: create, update, delete."""
    return validated.filter(
        (F.col("decision") == Decision.ACCEPT) & F.col("action").isin(*CHANGING_ACTIONS, Action.DELETE)
    )


def without_refused(accepted: DataFrame, refused: DataFrame | None) -> DataFrame:
    """The accepted changes less those a catalog database refused (columns source_id, identifier)."""
    if refused is None:
        return accepted
    return accepted.join(F.broadcast(refused.select(*KEYS)), on=KEYS, how="left_anti")


def next_state(state: DataFrame, accepted: DataFrame, run_id: str) -> DataFrame:
    """The catalog after applying `accepted` (with a `slug` column) to `state`."""
    # Only keys and timestamps are broadcast; neither the state nor the changes are shuffled.
    untouched = state.join(F.broadcast(accepted.select(*KEYS)), on=KEYS, how="left_anti")
    previous = state.select(*KEYS, F.col("first_harvested").alias("previous_first_harvested"))
    now = F.current_timestamp()
    upserts = (
        accepted.filter(F.col("action").isin(*CHANGING_ACTIONS))
        .join(F.broadcast(previous), on=KEYS, how="left")
        .withColumn("first_harvested", F.coalesce("previous_first_harvested", now))
        .withColumn("last_harvested", now)
        .withColumn("last_changed_run", F.lit(run_id))
        .select(*CATALOG_STATE.fieldNames())
    )
    return untouched.select(*CATALOG_STATE.fieldNames()).unionByName(upserts)


def record_outcomes(
    validated: DataFrame, refused: DataFrame | None = None, keep: tuple[str, ...] = ()
) -> DataFrame:
    """OUTCOMES: the final word on every row of the run; ``keep`` names columns of ``validated`` to carry along."""
    rows = validated
    refused_reason = F.lit(None).cast("string")
    if refused is not None:
        marks = refused.select(*KEYS, F.concat(F.lit("database: "), F.col("db_error")).alias("db_reason"))
        rows = rows.join(F.broadcast(marks), on=KEYS, how="left")
        refused_reason = F.col("db_reason")
    outcome = (
        F.when(refused_reason.isNotNull(), Outcome.REJECTED)
        .when(F.col("decision") == Decision.REJECT, Outcome.REJECTED)
        .when(F.col("decision") == Decision.HELD, Outcome.HELD)
        .otherwise(
            F.element_at(
                F.create_map(*[F.lit(x) for pair in OUTCOME_OF_ACTION.items() for x in pair]), F.col("action")
            )
        )
    )
    reasons = F.when(
        refused_reason.isNotNull(), F.concat(F.coalesce("reasons", F.array()), F.array(refused_reason))
    )
    return rows.select(
        "source_id",
        "identifier",
        "record_url",
        "action",
        outcome.alias("outcome"),
        F.coalesce(reasons.otherwise(F.col("reasons")), F.array())
        .cast(OUTCOMES["reasons"].dataType)
        .alias("reasons"),
        F.coalesce("warnings", F.array()).cast(OUTCOMES["warnings"].dataType).alias("warnings"),
        "record_type",
        "dcat_version",
        *keep,
    )
