"""The validate stage: records against their DCAT-US schema (1.1, or 3.0 per class), batches against the GE suites.

Decision per row: "held" for every row of a held source; "reject" for a row the compare or
transform stage rejected or whose dataset fails the schema (reasons prefixed ``schema: ``; a record
the check itself fails on is rejected with ``validate: internal error (...)``); "accept" otherwise.
Bad data never fails the stage; a missing or unreadable suite does.
"""

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

from transforms.compare.changes import changes_catalog, held_delete
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


def record_frame(transformed: DataFrame) -> pd.DataFrame:
    """The batch the transformed_records suite judges: typed columns of create/update datasets."""
    urls = F.when(F.size("distribution_urls") > 0, F.concat_ws(" ", "distribution_urls"))
    return (
        transformed.filter(F.col("action").isin(*CHANGING_ACTIONS) & F.col("dcat_json").isNotNull())
        .select(*RECORD_COLUMNS[:-1], urls.alias("distribution_urls"))
        .toPandas()
    )


def run_suites(
    transformed, statuses, published_counts, suites_dir: str | Traversable, quality_dir: str, run_id: str
):
    """Both suites in one GE run each; returns (holds {source: [cause]}, failures, data_docs).

    The Data Docs are named after the harvest run ``run_id`` and link to its report (``suites``).

    A run that creates, updates and deletes nothing has nothing to hold back: no suite runs and no
    Data Docs are built (their set-up alone is seconds, most of an unchanged re-harvest's gate).
    The suites are still read, so a missing or broken one stops every run, changed or not.
    """
    suites = {name: quality.load_suite(suites_dir, name) for name in ("transformed_records", "change_set")}
    if transformed.filter(changes_catalog()).isEmpty():
        log.info("GE suites: not run, the run changes nothing")
        return {}, {}, None
    records, changes = (
        record_frame(transformed),
        hold_decisions.change_set_frame(transformed, statuses, published_counts),
    )
    docs_dir = quality.new_docs_dir()
    try:
        runner = quality.SuiteRunner(docs_dir, run_id)
        started = time.perf_counter()
        record_failures = quality.failures_by_source(
            runner.run(suites["transformed_records"], records, ["source_id", "identifier"]), records
        )
        change_failures = quality.failures_by_source(
            runner.run(suites["change_set"], changes, ["source_id"]), changes, key="source_id"
        )
        log.info(
            "GE suites: %s records, %s sources in %.1f s",
            len(records),
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
    suites_dir: str | Traversable = quality.PACKAGED_SUITES,
) -> Verdicts:
    """The gate's verdicts on TRANSFORMED rows and their SOURCE_STATUS.

    ``failed``: the sources whose status is failed (the caller knows them from extract's counts); a
    suite does not hold them, they stay failed.
    """
    holds, failures, data_docs = run_suites(
        transformed, statuses, published_counts, suites_dir, quality_dir, run_id
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
