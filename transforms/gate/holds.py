"""The hold decision: which sources the gate holds back, and why, in words a publisher can act on.

A publisher's bad day (a truncated catalog, a broken export) looks like a source whose
records vanished. The ``change_set`` suite judges one row of figures per source (the
mass-deletion guard); a source that fails a critical expectation there, or in the
``transformed_records`` suite, is held: none of its changes load until a run with ``--force``.
"""

import json
from collections import Counter
from collections.abc import Iterator

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.compare.changes import changes_catalog
from transforms.schemas import SOURCE_STATUS, Action, SourceState

FORCE_HINT = "run with --force to apply"


FIGURES = "part string, payload string"


def change_set_figures(transformed: DataFrame, statuses: DataFrame, published_counts: DataFrame) -> DataFrame:
    """The change set's figures as FIGURES rows, for the stage to collect with its other small results:
    ``extracted`` per extracted (not failed) source, ``published`` per source in the catalog, and per task
    ``changes``: {source: [rows that change the catalog, deletes among them]}.

    The changes are counted per task and added up by ``change_set_frame``: no shuffle, no job of their own.
    """
    extracted = statuses.filter(F.col("status") != SourceState.FAILED).select(
        F.lit("extracted").alias("part"),
        F.to_json(
            F.struct("source_id", F.coalesce(F.col("extracted"), F.lit(0)).cast("long").alias("extracted"))
        ).alias("payload"),
    )
    published = published_counts.select(
        F.lit("published").alias("part"),
        F.to_json(F.struct("source_id", F.col("published").cast("long").alias("published"))).alias("payload"),
    )
    # A delete compare held back (transforms.compare.changes) changes nothing: it is not counted.
    changes = (
        transformed.filter(changes_catalog())
        .select("source_id", (F.col("action") == Action.DELETE).alias("is_delete"))
        .mapInPandas(_count_changes, FIGURES)
    )
    return extracted.unionByName(published).unionByName(changes)


def _count_changes(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    counts: dict[str, list[int]] = {}
    for frame in frames:
        for source_id, is_delete in zip(frame["source_id"], frame["is_delete"], strict=True):
            count = counts.setdefault(source_id, [0, 0])
            count[0] += 1
            count[1] += bool(is_delete)
    if counts:
        yield pd.DataFrame({"part": ["changes"], "payload": [json.dumps(counts)]})


def changed_sources(figures: dict[str, list[dict]]) -> set[str]:
    """The sources with a row that changes the catalog, from the collected ``change_set_figures``."""
    return {source_id for counts in figures.get("changes", []) for source_id in counts}


def change_set_frame(figures: dict[str, list[dict]]) -> pd.DataFrame:
    """One row per extracted (not failed) source: published, extracted, deletes and their shares, from
    the collected ``change_set_figures`` (payloads by part)."""
    published = {row["source_id"]: row["published"] for row in figures.get("published", [])}
    deletes: Counter = Counter()
    for counts in figures.get("changes", []):
        deletes.update({source_id: count[1] for source_id, count in counts.items()})
    rows = [
        (row["source_id"], published.get(row["source_id"], 0), row["extracted"], deletes[row["source_id"]])
        for row in figures.get("extracted", [])
    ]
    frame = pd.DataFrame(rows, columns=["source_id", "published", "extracted", "deletes"]).astype(
        {"published": "int64", "extracted": "int64", "deletes": "int64"}
    )
    has_published = frame["published"] > 0
    # Shares are null (skipped by the expectations) for a source with nothing published yet.
    frame["delete_share"] = (frame["deletes"] / frame["published"]).where(has_published)
    frame["extracted_share"] = (frame["extracted"] / frame["published"]).where(has_published)
    return frame


def _percent(share: float) -> str:
    return f"{share:.0%}"


def guard_words(column: str, kwargs: dict, figures: dict) -> str:
    """The figures of a tripped change-set guard, in words."""
    published, deletes, extracted = figures["published"], figures["deletes"], figures["extracted"]
    if column == "delete_share":
        return (
            f"{deletes} of {published} published records would be deleted "
            f"({_percent(deletes / published)} > {_percent(kwargs['max_value'])} allowed)"
        )
    if column == "extracted_share":
        return (
            f"only {extracted} records extracted for {published} published "
            f"({_percent(extracted / published)} < {_percent(kwargs['min_value'])} required)"
        )
    return f"{column} outside {kwargs}"


def expectation_words(failure) -> str:
    """A failed critical record expectation, in words."""
    target = failure.column or ", ".join(failure.kwargs.get("column_list", []))
    return (
        f"expectation {failure.expectation} on {target} failed for "
        f"{failure.unexpected_count} of {failure.element_count} records"
    )


def hold_reason(causes: list[str], forced: bool) -> str:
    """The source status reason: held (with the way out), or released by --force."""
    if forced:
        return "forced: " + "; ".join(causes) + " (guard overridden with --force)"
    return "held: " + "; ".join(causes) + f"; {FORCE_HINT}"


def decide(record_failures: dict, change_failures: dict, change_set: pd.DataFrame) -> tuple[dict, dict]:
    """(holds {source: [cause in words]}, failures {source: [failed expectations]}) from both suites' results.

    Only critical expectations hold a source; every failed expectation is reported.
    """
    figures = change_set.set_index("source_id").to_dict("index")
    holds: dict[str, list[str]] = {}
    failures: dict[str, list] = {}
    for source_id, failed in record_failures.items():
        failures.setdefault(source_id, []).extend(failed)
        causes = [expectation_words(f) for f in failed if f.severity == "critical"]
        if causes:
            holds.setdefault(source_id, []).extend(causes)
    for source_id, failed in change_failures.items():
        failures.setdefault(source_id, []).extend(failed)
        causes = [
            guard_words(f.column, f.kwargs, figures[source_id]) for f in failed if f.severity == "critical"
        ]
        if causes:
            holds.setdefault(source_id, []).extend(causes)
    return holds, failures


def apply_holds(spark, statuses: DataFrame, holds: dict[str, list[str]], force: bool) -> DataFrame:
    """SOURCE_STATUS with held sources (or forced ones noted); failed sources stay failed."""
    rows = [(source_id, hold_reason(causes, force)) for source_id, causes in holds.items()]
    updates = spark.createDataFrame(rows, "source_id string, hold_reason string")
    usable = F.col("hold_reason").isNotNull() & (F.col("status") != SourceState.FAILED)
    return (
        statuses.join(updates, on="source_id", how="left")
        .withColumn(
            "status", F.when(usable & F.lit(not force), F.lit(SourceState.HELD)).otherwise(F.col("status"))
        )
        .withColumn("reason", F.when(usable, F.col("hold_reason")).otherwise(F.col("reason")))
        .select(*SOURCE_STATUS.fieldNames())
    )
