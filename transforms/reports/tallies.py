"""Every figure of the run report counted in one Spark aggregate, collected once.

Each row of the run (and each published record the run did not see, for the warnings it shows:
``transforms.reports.published_warnings``) becomes a few tally rows in Python: its outcome, its
record type, each rejection reason and warning, and each error and warning group
(``transforms.reports.reason_groups``). One aggregate counts them per source and tally, with the
first few examples of each, and only each source's top reasons and warnings (and every group, as
``ordered_groups`` folds the rest into one) reach the driver. One job per exchange, whatever the
number of figures: counting each figure with its own action ran the run's whole plan again each time.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import StringType, StructField, StructType

from transforms.gate.duplicates import is_cross_source_finding
from transforms.reports.reason_groups import (
    EXAMPLES as GROUP_EXAMPLES,
)
from transforms.reports.reason_groups import (
    NO_IDENTIFIER_EXAMPLE,
    GroupTally,
    ordered_groups,
    record_groups,
)
from transforms.schemas import RECORD_OUTCOMES, Action, Outcome, RecordType

REASON_EXAMPLES = 3  # identifiers shown per top reason or warning
TOP_REASONS = 10  # per source
# The tally kinds: what a tally row counts. A "reason" and a "warning" are exact texts (each source's
# top ones are kept); a group is a kind of problem (every group is kept).
OUTCOME, RECORD_TYPE, REASON, WARNING, WARNED = "outcome", "record_type", "reason", "warning", "warned"
# A row of the run that keeps a later run from carrying its source's verdicts (transforms.repeat_run):
# held, or with a reason or warning the duplicates check wrote (it depends on other sources' records).
NOT_CARRIABLE = "not_carriable"
# A group's tally kind -> its list in report.json.
GROUP_KINDS = {"error_group": "error_groups", "warning_group": "warning_groups"}
TALLY_ROWS = StructType(
    [
        StructField("source_id", StringType(), False),
        StructField("kind", StringType(), False),
        StructField("key", StringType()),
        StructField("detail", StringType()),  # a record type's outcome; a group's field
        StructField("example", StringType()),
    ]
)
# The report rows' columns the tallies read (REPORT_ROWS in published_warnings).
_INPUT = (
    "source_id",
    "identifier",
    "record_url",
    "action",
    "outcome",
    "reasons",
    "warnings",
    "record_type",
    "of_run",
)


@dataclass
class SourceTallies:
    """One source's figures: counts by outcome, record types, top reasons and warnings, and groups."""

    counts: dict[str, int] = field(default_factory=dict)
    record_types: dict[str, dict[str, int]] = field(default_factory=dict)
    warned: int = 0
    not_carriable: int = 0
    reasons: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    groups: dict[str, list[GroupTally]] = field(
        default_factory=lambda: {name: [] for name in GROUP_KINDS.values()}
    )

    def report_groups(self) -> dict[str, list[dict]]:
        """{"error_groups": [...], "warning_groups": [...]} as report.json lists them."""
        return {name: ordered_groups(tallies) for name, tallies in self.groups.items()}


def _outcome_names(action: str, outcome: str) -> list[str]:
    # Deletes are counted on their own: `deleted`, and a held delete in `deletes_held`.
    is_delete = action == Action.DELETE
    names = [outcome] if not is_delete and outcome in RECORD_OUTCOMES else []
    if outcome == Outcome.DELETED:
        names.append("deleted")
    if is_delete and outcome == Outcome.HELD:
        names.append("deletes_held")
    return names


def _cross_source(texts: list | None) -> bool:
    return any(is_cross_source_finding(text) for text in texts or [])


def _rows_of(record: dict) -> Iterator[tuple]:
    """The tally rows of one report row: (kind, key, detail, example)."""
    example = next(
        (value for value in (record["identifier"], record["record_url"]) if value is not None),
        NO_IDENTIFIER_EXAMPLE,
    )
    action, outcome = record["action"], record["outcome"]
    if record["of_run"]:  # the record counts: unseen published records only show their warnings
        for name in _outcome_names(action, outcome):
            yield OUTCOME, name, None, None
        if action != Action.DELETE:
            yield RECORD_TYPE, record["record_type"] or RecordType.DATASET, outcome, None
        if outcome == Outcome.REJECTED:
            for reason in record["reasons"] or []:
                yield REASON, reason, None, example
        if outcome == Outcome.HELD or _cross_source(record["reasons"]) or _cross_source(record["warnings"]):
            yield NOT_CARRIABLE, None, None, None
    if outcome == Outcome.DELETED:  # no longer published: it shows no warning
        return
    warnings = record["warnings"] or []
    for warning in warnings:
        yield WARNING, warning, None, example
    if warnings:
        yield WARNED, None, None, None
    rejected = outcome == Outcome.REJECTED and action != Action.DELETE
    for kind, group in record_groups(rejected, record["reasons"], warnings):
        yield f"{kind}_group", group.reason, group.field, example


def _tally_rows(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    schema = to_arrow_schema(TALLY_ROWS)
    for batch in batches:
        rows = [(record["source_id"], *tally) for record in batch.to_pylist() for tally in _rows_of(record)]
        columns = zip(*rows, strict=True) if rows else ([] for _ in schema.names)
        yield pa.RecordBatch.from_arrays(
            [pa.array(column, type=kind.type) for column, kind in zip(columns, schema, strict=True)],
            schema=schema,
        )


def tally_report_rows(rows: DataFrame) -> dict[str, SourceTallies]:
    """source_id -> its figures, from the run's report rows (``published_warnings.report_rows``)."""
    # One shuffle by source and kind serves every step below (each groups by a superset of these
    # columns); left to itself, Spark would shuffle for the examples and again for the top reasons.
    tallies = rows.select(*_INPUT).mapInArrow(_tally_rows, TALLY_ROWS).repartition("source_id", "kind")
    keys = ["source_id", "kind", "key", "detail"]
    # The first few examples of each tally by rank, so no tally collects every identifier it has; a
    # reason's examples are distinct identifiers, a group's the first few of its records.
    by_example = Window.partitionBy(*keys).orderBy("example")
    counted = (
        tallies.withColumn("nth", F.row_number().over(by_example))
        .withColumn("nth_distinct", F.dense_rank().over(by_example))
        .groupBy(*keys)
        .agg(
            F.count(F.lit(1)).alias("count"),
            F.collect_list(F.when(F.col("nth") <= GROUP_EXAMPLES, F.col("example"))).alias("examples"),
            F.collect_list(F.when(F.col("nth_distinct") <= REASON_EXAMPLES, F.col("example"))).alias(
                "distinct_examples"
            ),
        )
    )
    # Only each source's top reasons and warnings reach the driver: warnings can be as many as the records.
    rank = F.row_number().over(Window.partitionBy("source_id", "kind").orderBy(F.desc("count"), "key"))
    kept = counted.withColumn("rank", rank).filter(
        (F.col("rank") <= TOP_REASONS) | ~F.col("kind").isin(REASON, WARNING)
    )
    by_source: dict[str, SourceTallies] = {}
    for row in sorted(kept.collect(), key=lambda row: (-row["count"], row["key"] or "")):
        source = by_source.setdefault(row["source_id"], SourceTallies())
        kind, key, count = row["kind"], row["key"], row["count"]
        if kind == OUTCOME:
            source.counts[key] = count
        elif kind == RECORD_TYPE:
            tally = source.record_types.setdefault(key, {"records": 0, **dict.fromkeys(RECORD_OUTCOMES, 0)})
            tally["records"] += count
            tally[row["detail"]] += count
        elif kind == WARNED:
            source.warned = count
        elif kind == NOT_CARRIABLE:
            source.not_carriable = count
        elif kind in (REASON, WARNING):
            examples = sorted(set(row["distinct_examples"]))[:REASON_EXAMPLES]
            entry = {"reason": key, "count": count, "examples": examples}
            (source.reasons if kind == REASON else source.warnings).append(entry)
        else:
            source.groups[GROUP_KINDS[kind]].append(
                GroupTally(key, row["detail"], count, list(row["examples"]))
            )
    order = [str(kind) for kind in RecordType]
    for source in by_source.values():
        source.record_types = dict(
            sorted(source.record_types.items(), key=lambda item: (order + [item[0]]).index(item[0]))
        )
    return by_source
