"""The validate stage: records against their DCAT-US schema (1.1, or 3.0 per class), batches against the GE suites.

Decision per row: "held" for every row of a held source; "reject" for a row the compare or
transform stage rejected or whose dataset fails the schema (reasons prefixed ``schema: ``; a record
the check itself fails on is rejected with ``validate: internal error (...)``); "accept" otherwise.
Bad data never fails the stage; a missing or unreadable suite does.
"""

import json
import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources.abc import Traversable

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema

from transforms.compare.changes import held_delete
from transforms.gate import holds as hold_decisions
from transforms.gate import suites as quality
from transforms.gate.schema_check import ERROR, DatasetChecker, checker, checker_name
from transforms.isolation import bounded, isolated
from transforms.registry import Source
from transforms.schemas import (
    CHANGING_ACTIONS,
    CHECKED,
    STRINGS,
    TRANSFORMED,
    VALIDATED,
    Action,
    Decision,
)

log = logging.getLogger(__name__)
RECORD_COLUMNS = [
    "source_id",
    "identifier",
    "title",
    "access_level",
    "modified",
    "has_email",
    "record_type",
    "distribution_urls",
]
# Records the record suite judges at once: the Python worker holds a batch and GE's work on it.
RECORD_BATCH_ROWS = 20_000
# Above this many read tasks, the record suite's work is shuffled by record key over the cores.
SHUFFLED_RECORD_TASKS = 8
# Up to this many records, the driver judges the record suite's batches, streamed to it one at a time;
# above it, the Spark tasks do. The driver has GE imported already (for the run's validation and Data
# Docs); each Python worker that judges a batch imports it first: 2.5 to 4.6 s of CPU per worker, against
# 0.35 s to judge a batch of 20,000 records (measured on 2 cores, 100,000 generated records).
DRIVER_JUDGES_AT_MOST = 200_000


def schema_findings(checker_of_source: DatasetChecker, text: str | None) -> tuple[list[str], list[str]]:
    """(errors, warnings) of one dataset, each prefixed ``schema: ``: the stage's one guard.

    Whatever checking one record raises (a ``RecursionError`` from a self-referencing chain nested
    too deep, a bug) rejects that record with a reason naming the error class, never the job.
    """

    def check() -> tuple[list[str], list[str]]:
        # bounded: a finding names the publisher's field and may quote its value
        findings = checker_of_source.check_text(text)
        return (
            [bounded(f"schema: {f}") for f in findings if f.severity == ERROR],
            [bounded(f"schema: {f}") for f in findings if f.severity != ERROR],
        )

    return isolated("validate", check, lambda reason: ([reason], []), text[:80] if text else None)


def _schema_checks(schemas: dict[str, str]):
    """The mapInArrow function: each create/update record checked by its version's (and class's) schema."""
    schema = to_arrow_schema(CHECKED)

    def check(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            errors, warnings = [], []
            for source_id, version, record_type, text in zip(
                *(batch.column(name).to_pylist() for name in ("source_id", "dcat_version", "record_type")),
                batch.column("dcat_json").to_pylist(),
                strict=True,
            ):
                name = checker_name(schemas.get(source_id), version, record_type)
                found = schema_findings(checker(name), text)
                errors.append(found[0])
                warnings.append(found[1])
            # The other columns pass through as Arrow arrays, never converted to Python objects.
            columns = [
                *batch.columns,
                pa.array(errors, schema.field("schema_errors").type),
                pa.array(warnings, schema.field("schema_warnings").type),
            ]
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    return check


def check_schemas(transformed: DataFrame, sources: list[Source]) -> DataFrame:
    """TRANSFORMED plus schema_errors and schema_warnings (empty for rows that are not checked)."""
    schemas = {source.id: source.schema for source in sources}
    to_check = F.col("action").isin(*CHANGING_ACTIONS) & F.col("dcat_json").isNotNull()
    checked = (
        transformed.filter(to_check)
        .select(*TRANSFORMED.fieldNames())
        .mapInArrow(_schema_checks(schemas), CHECKED)
    )
    empty = F.array().cast(STRINGS)
    passed = transformed.filter(~to_check).select(
        *TRANSFORMED.fieldNames(), empty.alias("schema_errors"), empty.alias("schema_warnings")
    )
    return checked.unionByName(passed)


def record_frame(transformed: DataFrame) -> DataFrame:
    """The rows the transformed_records suite judges: typed columns of create/update datasets, each
    numbered (``POSITION``) in the order the records are read, the order GE's results list them in."""
    urls = F.when(F.size("distribution_urls") > 0, F.concat_ws(" ", "distribution_urls"))
    return transformed.filter(
        F.col("action").isin(*CHANGING_ACTIONS) & F.col("dcat_json").isNotNull()
    ).select(
        *RECORD_COLUMNS[:-1],
        urls.alias("distribution_urls"),
        F.monotonically_increasing_id().alias(quality.POSITION),
    )


def _record_chunks(records: DataFrame, count: int, rows: int) -> Iterator[pd.DataFrame]:
    """The record suite's rows on the driver, sorted by ``RECORD_KEY``, as frames of at most ``rows``
    rows, streamed: a key's rows are never in two partitions (range partitioning over ``count``
    records, about ``rows`` each), and the driver holds one partition's worth at a time."""
    partitions = -(-count // rows)
    spread = (
        records.repartitionByRange(partitions, *quality.RECORD_KEY) if partitions > 1 else records.coalesce(1)
    )
    ordered = spread.sortWithinPartitions(*quality.RECORD_KEY)
    columns, chunk = ordered.columns, []
    for row in ordered.toLocalIterator(prefetchPartitions=True):
        chunk.append(row)  # a Row is a tuple
        if len(chunk) == rows:
            yield pd.DataFrame.from_records(chunk, columns=columns)
            chunk = []
    if chunk:
        yield pd.DataFrame.from_records(chunk, columns=columns)


def run_suites(
    transformed,
    statuses,
    published_counts,
    suites_dir: str | Traversable,
    quality_dir: str,
    run_id: str,
    *,
    may_change: bool = True,
    records_at_most: int | None = None,
    batch_rows: int = RECORD_BATCH_ROWS,
    driver_rows: int = DRIVER_JUDGES_AT_MOST,
):
    """Both suites, each one validation over every source; returns (holds {source: [cause]}, failures, data_docs).

    The Data Docs are named after the harvest run ``run_id`` and link to its report (``suites``).

    The record suite judges ``batch_rows`` records at a time, every record of one source and
    identifier in one batch; the batches' results add up on the driver to exactly what one validation
    of every record gives, so the driver never holds the run's records. When ``records_at_most`` (the
    earlier stages' count of the rows the record suite may judge) is at most ``driver_rows``, the
    driver judges the batches, streamed to it a partition of about ``batch_rows`` records at a time;
    otherwise the Spark tasks judge them, and their verdicts and the change set's figures come back in
    one collect. Either way the same function judges each batch.

    A run that creates, updates and deletes nothing has nothing to hold back: no suite runs, no Data
    Docs are built and GE is not imported. ``may_change`` False (the earlier stages' counts say so)
    knows that without Spark. The suites are still read, so a missing or broken one stops every run.
    """
    suites = {name: quality.load_suite(suites_dir, name) for name in ("transformed_records", "change_set")}
    if not may_change:
        log.info("GE suites: not run, the run changes nothing")
        return {}, {}, None
    records = record_frame(transformed)
    judge = quality.batch_judge(suites["transformed_records"], batch_rows)
    figures = hold_decisions.change_set_figures(transformed, statuses, published_counts)
    by_driver = records_at_most is not None and records_at_most <= driver_rows
    parts: dict[str, list] = {}
    if by_driver:
        # The figures' job runs while GE's import (begun in the background) may still be going on; the
        # records come after it: the import freezes what is alive then, and the records are not to be.
        collected = figures.collect()
        quality.great_expectations()
        parts["records"] = [
            json.loads(payload)
            for verdict in judge(_record_chunks(records, records_at_most or 0, batch_rows))
            for payload in verdict["payload"]
        ]
    else:
        # Every record of a source and identifier in one task, in key order, so one batch holds them
        # all. A shuffle spreads GE's work over the cores but costs a Spark job: a run read in a few
        # tasks is judged in one.
        if records.rdd.getNumPartitions() > SHUFFLED_RECORD_TASKS:
            records = records.repartition(*quality.RECORD_KEY)
        else:
            records = records.coalesce(1)
        verdicts = (
            records.sortWithinPartitions(*quality.RECORD_KEY)
            .mapInPandas(judge, "payload string")
            .select(F.lit("records").alias("part"), "payload")
        )
        collected = verdicts.unionByName(figures).collect()
    for row in collected:
        parts.setdefault(row["part"], []).append(json.loads(row["payload"]))
    if not hold_decisions.changed_sources(parts):
        log.info("GE suites: not run, the run changes nothing")
        return {}, {}, None
    changes = hold_decisions.change_set_frame(parts)
    docs_dir = quality.new_docs_dir()
    try:
        runner = quality.SuiteRunner(docs_dir, run_id)
        started = time.perf_counter()
        record_failures = {}
        if parts.get("records"):  # else no create or update: the record suite does not run
            suite = suites["transformed_records"]
            judged = quality.combine_batches(suite, parts["records"])
            record_failures = quality.source_failures(
                runner.run_judged(suite, judged), judged.elements, key="identifier"
            )
        change_failures = quality.failures_by_source(
            runner.run(suites["change_set"], changes, ["source_id"]), changes, key="source_id"
        )
        log.info(
            "GE suites: %s record batches (judged %s), %s sources in %.1f s",
            len(parts.get("records", [])),
            "by the driver" if by_driver else "in Spark tasks",
            len(changes),
            time.perf_counter() - started,
        )
        data_docs = quality.publish_reports(runner, docs_dir, quality_dir)
    finally:
        shutil.rmtree(docs_dir, ignore_errors=True)
    holds, failures = hold_decisions.decide(record_failures, change_failures, changes)
    return holds, failures, data_docs


@dataclass
class Verdicts:
    """What the gate decided of a run's records and sources."""

    validated: DataFrame  # VALIDATED rows
    statuses: DataFrame  # SOURCE_STATUS with the holds noted (or the ones --force overrode)
    quality: dict  # the quality summary for the run report
    stopped: list[str]  # the sources that publish nothing: held here, or failed before


def suites_may_run(transform_counts: dict | None) -> bool:
    """Whether the run may create, update or delete, so that the suites run (``transform_counts``: the
    transform stage's rows per action; None when unknown)."""
    return transform_counts is None or any(
        transform_counts.get(action) for action in (*CHANGING_ACTIONS, Action.DELETE)
    )


def validate_records(
    transformed: DataFrame,
    statuses: DataFrame,
    sources: list[Source],
    published_counts: DataFrame,
    *,
    failed: list[str],
    force: bool,
    quality_dir: str,
    run_id: str,
    transform_counts: dict | None = None,
    suites_dir: str | Traversable = quality.PACKAGED_SUITES,
) -> Verdicts:
    """The gate's verdicts on TRANSFORMED rows and their SOURCE_STATUS.

    ``failed``: the sources whose status is failed (the caller knows them from extract's counts); a
    suite does not hold them, they stay failed. ``transform_counts``: the transform stage's rows per
    action, when known: a run with no create, update or delete runs no suite and starts no Spark job
    for them.
    """
    may_change = suites_may_run(transform_counts)
    # The record suite judges create and update rows (those with a document): at most this many.
    records_at_most = (
        None
        if transform_counts is None
        else sum(transform_counts.get(action, 0) for action in CHANGING_ACTIONS)
    )
    holds, failures, data_docs = run_suites(
        transformed,
        statuses,
        published_counts,
        suites_dir,
        quality_dir,
        run_id,
        may_change=may_change,
        records_at_most=records_at_most,
    )
    held = [] if force else sorted(set(holds) - set(failed))
    if held:
        log.warning("held %s source(s): %s", len(held), ", ".join(held))
    checked = check_schemas(transformed, sources)

    def appended(column: str, extra: str):
        return F.when(
            F.size(extra) > 0, F.concat(F.coalesce(column, F.array().cast(STRINGS)), F.col(extra))
        ).otherwise(F.col(column))

    rejected = (F.col("action") == Action.REJECT) | (F.size("schema_errors") > 0)
    validated = (
        checked.withColumn("reasons", appended("reasons", "schema_errors"))
        .withColumn("warnings", appended("warnings", "schema_warnings"))
        .withColumn(
            "decision",
            F.when(F.col("source_id").isin(held), F.lit(Decision.HELD))
            .when(held_delete(), F.lit(Decision.HELD))  # compare's: --force does not release it
            .when(rejected, F.lit(Decision.REJECT))
            .otherwise(F.lit(Decision.ACCEPT)),
        )
        .select(*VALIDATED.fieldNames())
    )
    summary = {
        "data_docs": data_docs,
        "sources": {
            source_id: {"failed_expectations": [f.summary() for f in failed]}
            for source_id, failed in failures.items()
        },
    }
    if holds:
        statuses = hold_decisions.apply_holds(transformed.sparkSession, statuses, holds, force)
    return Verdicts(validated, statuses, summary, sorted({*held, *failed}))
