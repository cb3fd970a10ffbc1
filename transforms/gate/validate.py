"""The validate stage: records against their DCAT-US schema (1.1, or 3.0 per class), batches against the GE suites.

Decision per row: "held" for every row of a held source; "reject" for a row the compare or
transform stage rejected or whose dataset fails the schema (reasons prefixed ``schema: ``);
"accept" otherwise. Bad data never fails the stage; a missing or unreadable suite does.
"""

import logging
import shutil
import time
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema

from transforms.gate import mass_deletion as circuit_breaker
from transforms.gate import suites as quality
from transforms.gate.schema_check import ERROR, checker, checker_name
from transforms.registry import Source
from transforms.schemas import (
    CHANGING_ACTIONS,
    CHECKED,
    SOURCE_STATUS,
    STRINGS,
    TRANSFORMED,
    VALIDATED,
    Action,
    Decision,
    SourceState,
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
                findings = checker(checker_name(schemas.get(source_id), version, record_type)).check_text(
                    text
                )
                errors.append([str(f) for f in findings if f.severity == ERROR])
                warnings.append([str(f) for f in findings if f.severity != ERROR])
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


def run_suites(transformed, statuses, published_counts, suites_dir: str, quality_dir: str):
    """Both suites in one GE run each; returns (holds {source: [cause]}, failures, data_docs)."""
    suites = {name: quality.load_suite(suites_dir, name) for name in ("transformed_records", "change_set")}
    records, changes = (
        record_frame(transformed),
        circuit_breaker.change_set_frame(transformed, statuses, published_counts),
    )
    docs_dir = quality.new_docs_dir()
    try:
        runner = quality.SuiteRunner(docs_dir)
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
    figures = changes.set_index("source_id").to_dict("index")
    holds: dict[str, list[str]] = {}
    failures: dict[str, list] = {}
    for source_id, failed in record_failures.items():
        failures.setdefault(source_id, []).extend(failed)
        causes = [circuit_breaker.expectation_words(f) for f in failed if f.severity == "critical"]
        if causes:
            holds.setdefault(source_id, []).extend(causes)
    for source_id, failed in change_failures.items():
        failures.setdefault(source_id, []).extend(failed)
        causes = [
            circuit_breaker.guard_words(f.column, f.kwargs, figures[source_id])
            for f in failed
            if f.severity == "critical"
        ]
        if causes:
            holds.setdefault(source_id, []).extend(causes)
    return holds, failures, data_docs


def _status_updates(spark, statuses: DataFrame, holds: dict[str, list[str]], force: bool) -> DataFrame:
    """SOURCE_STATUS with held sources (or forced ones noted); failed sources stay failed."""
    rows = [(source_id, circuit_breaker.hold_reason(causes, force)) for source_id, causes in holds.items()]
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


def validate_records(
    transformed: DataFrame,
    statuses: DataFrame,
    sources: list[Source],
    published_counts: DataFrame,
    *,
    force: bool,
    suites_dir: str,
    quality_dir: str,
) -> tuple[DataFrame, DataFrame, dict]:
    """Returns (validated VALIDATED rows, statuses with holds, quality summary for the run report)."""
    holds, failures, data_docs = run_suites(transformed, statuses, published_counts, suites_dir, quality_dir)
    failed_sources = {
        row["source_id"] for row in statuses.filter(F.col("status") == SourceState.FAILED).collect()
    }
    held = [] if force else sorted(set(holds) - failed_sources)
    if held:
        log.warning("held %s source(s): %s", len(held), ", ".join(held))
    checked = check_schemas(transformed, sources)

    def appended(column: str, extra: str):
        extra_text = F.transform(extra, lambda text: F.concat(F.lit("schema: "), text))
        return F.when(
            F.size(extra) > 0, F.concat(F.coalesce(column, F.array().cast(STRINGS)), extra_text)
        ).otherwise(F.col(column))

    rejected = (F.col("action") == Action.REJECT) | (F.size("schema_errors") > 0)
    validated = (
        checked.withColumn("reasons", appended("reasons", "schema_errors"))
        .withColumn("warnings", appended("warnings", "schema_warnings"))
        .withColumn(
            "decision",
            F.when(F.col("source_id").isin(held), F.lit(Decision.HELD))
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
    return validated, _status_updates(transformed.sparkSession, statuses, holds, force), summary
