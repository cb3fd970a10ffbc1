"""The run report: per-source counts that add up, the commonest reasons, and what held a source.

Counts are aggregated in Spark and only the small per-source summary reaches the driver.
Every extracted record is exactly one of created, updated, unchanged, rejected or held;
deletes are counted on their own (``deleted``; a held delete counts in ``deletes_held``).
"""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.registry import Source
from transforms.schemas import COUNT_NAMES, RECORD_OUTCOMES, Action, Outcome, RecordType

EXAMPLES = 3
TOP_REASONS = 10


def _outcome_counts(outcomes: DataFrame) -> dict[str, dict]:
    is_delete = F.col("action") == Action.DELETE
    aggregates = [
        F.sum(F.when(~is_delete & (F.col("outcome") == name), 1).otherwise(0)).alias(name)
        for name in RECORD_OUTCOMES
    ] + [
        F.sum(F.when(F.col("outcome") == Outcome.DELETED, 1).otherwise(0)).alias("deleted"),
        F.sum(F.when(is_delete & (F.col("outcome") == Outcome.HELD), 1).otherwise(0)).alias("deletes_held"),
        F.sum(F.when(F.size("warnings") > 0, 1).otherwise(0)).alias("warnings"),
    ]
    return {
        row["source_id"]: row.asDict() for row in outcomes.groupBy("source_id").agg(*aggregates).collect()
    }


def _record_types(outcomes: DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """source_id -> DCAT-US class -> records of that class seen this run, and their outcomes."""
    kinds = outcomes.filter(F.col("action") != Action.DELETE).groupBy(
        "source_id", F.coalesce("record_type", F.lit(RecordType.DATASET)).alias("record_type"), "outcome"
    )
    by_source: dict[str, dict[str, dict[str, int]]] = {}
    order = [str(kind) for kind in RecordType]
    for row in sorted(
        kinds.count().collect(), key=lambda r: (order + [r["record_type"]]).index(r["record_type"])
    ):
        tally = by_source.setdefault(row["source_id"], {}).setdefault(
            row["record_type"], {"records": 0, **dict.fromkeys(RECORD_OUTCOMES, 0)}
        )
        tally["records"] += row["count"]
        tally[row["outcome"]] += row["count"]
    return by_source


def _reasons(outcomes: DataFrame) -> DataFrame:
    """source_id, reason, count, examples: rejection reasons, most common first."""
    exploded = outcomes.filter(F.col("outcome") == Outcome.REJECTED).select(
        "source_id",
        F.coalesce("identifier", "record_url").alias("example"),
        F.explode("reasons").alias("reason"),
    )
    return exploded.groupBy("source_id", "reason").agg(
        F.count(F.lit(1)).alias("count"),
        F.slice(
            F.sort_array(F.collect_set(F.coalesce("example", F.lit("(no identifier)")))), 1, EXAMPLES
        ).alias("examples"),
    )


def _top_reasons_by_source(reasons: DataFrame) -> dict[str, list[dict]]:
    by_source: dict[str, list[dict]] = {}
    for row in reasons.orderBy(F.desc("count"), "reason").collect():
        entries = by_source.setdefault(row["source_id"], [])
        if len(entries) < TOP_REASONS:
            entries.append(
                {"reason": row["reason"], "count": row["count"], "examples": list(row["examples"])}
            )
    return by_source


def _top_reasons_overall(by_source: dict[str, list[dict]]) -> list[dict]:
    """Reasons across sources (from the per-source lists), with examples naming their source."""
    merged: dict[str, dict] = {}
    for source_id, entries in sorted(by_source.items()):
        for entry in entries:
            into = merged.setdefault(entry["reason"], {"reason": entry["reason"], "count": 0, "examples": []})
            into["count"] += entry["count"]
            room = EXAMPLES - len(into["examples"])
            into["examples"] += [
                {"source_id": source_id, "identifier": ex} for ex in entry["examples"][:room]
            ]
    return sorted(merged.values(), key=lambda entry: (-entry["count"], entry["reason"]))[:TOP_REASONS]


def build_report(
    run: dict, outcomes: DataFrame, statuses: DataFrame, sources: list[Source], quality: dict
) -> dict:
    """The report.json document (contract in README.md) for one run."""
    counts = _outcome_counts(outcomes)
    record_types = _record_types(outcomes)
    reasons = _top_reasons_by_source(_reasons(outcomes))
    registry = {source.id: source for source in sources}
    expectations = quality.get("sources", {})
    entries = []
    for status in sorted(statuses.collect(), key=lambda row: row["source_id"]):
        source = registry.get(status["source_id"])
        tally = counts.get(status["source_id"], {})
        entry = {
            "source_id": status["source_id"],
            "title": source.title if source else None,
            "organization": source.organization if source else None,
            "url": status["url"],
            "type": status["source_type"],
            "status": status["status"],
            "reason": status["reason"],
            "extracted": int(status["extracted"] or 0),
            **{
                name: int(tally.get(name) or 0)
                for name in (*RECORD_OUTCOMES, "deleted", "deletes_held", "warnings")
            },
            "errors": int(status["errors"] or 0),
            "error_messages": list(status["error_messages"] or []),
            "conforms_to": status["conforms_to"],
            "record_types": record_types.get(status["source_id"], {}),
            "top_reasons": reasons.get(status["source_id"], []),
            "failed_expectations": expectations.get(status["source_id"], {}).get("failed_expectations", []),
        }
        entries.append(entry)
    totals = {name: sum(entry[name] for entry in entries) for name in (*COUNT_NAMES, "deletes_held")}
    return {
        **run,
        "sources": entries,
        "totals": totals,
        "top_reasons": _top_reasons_overall(reasons),
        "quality_docs": quality.get("data_docs"),
        "outcomes": "report/outcomes",
    }


def unaccounted_records(report: dict) -> list[str]:
    """Sources whose counts do not add up (extracted != created+updated+unchanged+rejected+held)."""
    return [
        f"{entry['source_id']}: extracted {entry['extracted']} but outcomes add up to "
        f"{sum(entry[name] for name in RECORD_OUTCOMES)}"
        for entry in report["sources"]
        if entry["extracted"] != sum(entry[name] for name in RECORD_OUTCOMES)
    ]
