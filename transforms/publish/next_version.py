"""Load: the accepted changes become the next catalog version; every row gets its outcome.

Rejected and held rows never touch the catalog: their previous version (if any) stays.
Rows a catalog database refused are treated as rejected here too, so they are not in the
lake's state and the next run tries them again.
"""

from pyspark.sql import DataFrame, Window
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
    """The catalog after applying `accepted` (with a `slug` column) to `state`.

    One shuffle by source_id brings each key's published row and accepted change together; it is the
    partitioning a catalog version is written with (catalog_state.write_version), so the write needs
    no other shuffle, and neither side is broadcast.
    """
    now = F.current_timestamp()
    stamps = {
        "first_harvested": F.coalesce("previous_first_harvested", now),
        "last_harvested": now,
        "last_changed_run": F.lit(run_id),
    }
    fields = CATALOG_STATE.fieldNames()
    published = state.select(*fields, F.lit(False).alias("accepted"), F.lit(False).alias("upsert"))
    changes = accepted.select(
        *(
            F.lit(None).cast(CATALOG_STATE[name].dataType).alias(name) if name in stamps else name
            for name in fields
        ),
        F.lit(True).alias("accepted"),
        F.col("action").isin(*CHANGING_ACTIONS).alias("upsert"),
    )
    # A key with a null part matches nothing, as in a join: its published row stays, its change is new.
    same_key = Window.partitionBy(*KEYS)
    known = F.col("source_id").isNotNull() & F.col("identifier").isNotNull()
    previous = F.max(F.when(~F.col("accepted"), F.col("first_harvested"))).over(same_key)
    return (
        published.unionByName(changes)
        .repartition("source_id")
        .withColumn("touched", known & F.max("accepted").over(same_key))
        .withColumn("previous_first_harvested", F.when(known, previous))
        # A change replaces its key's published row; a delete leaves nothing.
        .filter(F.when(F.col("accepted"), F.col("upsert")).otherwise(~F.col("touched")))
        .select(
            *(
                F.when(F.col("accepted"), stamps[name]).otherwise(F.col(name)).alias(name)
                if name in stamps
                else name
                for name in fields
            )
        )
    )


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
