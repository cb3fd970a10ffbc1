"""Extract: fetch every source and split it into one row per record (EXTRACT_RECORDS) and one per source.

Two passes over Spark tasks, so neither a huge catalog nor a huge WAF ever sits on the driver:

1. Tasks over the sources (a few sources each) fetch the data.json catalog, the single ISO
   document, or the WAF listings (and a collection's parent record). data.json datasets and
   single documents become record rows right there; a WAF yields one "todo" per listed file.
2. The todos, joined with the catalog's validators for conditional requests, are spread over
   tasks by host (at most ``tasks_per_host`` tasks per host) and fetched by thread pools.

Both passes are persisted and materialised once, so writing the two outputs fetches nothing twice.
"""

import logging
import math
import time
import uuid
from collections.abc import Iterator

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

from transforms.fetch.http import FetchPolicy
from transforms.fetch.progress import ExtractProgress
from transforms.fetch.source_pass import source_items
from transforms.fetch.xml_files import TIME_BUDGET_SPENT, fetch_xml_records
from transforms.registry import Source, published_version
from transforms.schemas import (
    EXTRACT_RECORDS,
    SOURCE_STATUS,
    STRINGS,
    DcatVersion,
    FetchStatus,
    RecordType,
    SourceState,
)

log = logging.getLogger(__name__)

MAX_MESSAGES = 50
FILES_PER_TASK = 1000
SOURCE_TASKS_PER_CORE = 4
MAX_FETCH_TASKS = 2000
BATCH_ROWS = 500
BATCH_CHARS = 32 * 1024 * 1024  # keep one Arrow batch well under the 2 GB column limit

# Pass 1 output: record rows, todo rows (a WAF file to fetch) and one status row per source.
ITEMS = StructType(
    [StructField("kind", StringType(), False)]
    + [StructField(field.name, field.dataType, True) for field in EXTRACT_RECORDS.fields]
    + [
        StructField(name, kind, True)
        for name, kind in (
            ("listed_modified", StringType()),
            ("listed_etag", StringType()),
            ("status", StringType()),
            ("reason", StringType()),
            ("problems", STRINGS),
            ("conforms_to", StringType()),
            ("described_by", StringType()),
            ("document_sha256", StringType()),
            ("todo_count", LongType()),
            ("seconds", DoubleType()),
            ("deadline", DoubleType()),  # a todo's source's time budget, as time.time()
        )
    ]
)
_REQUIRED = {
    "source_id": "",
    "raw_format": "xml",
    "fetch_status": FetchStatus.ERROR,
}  # never null in practice


def _arrow_batches(rows: Iterator[dict], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Group dict rows into Arrow batches bounded by row count and text size."""
    batch, chars = [], 0
    for row in rows:
        batch.append(row)
        chars += len(row.get("raw") or "")
        if len(batch) >= BATCH_ROWS or chars >= BATCH_CHARS:
            yield pa.RecordBatch.from_pylist(batch, schema=schema)
            batch, chars = [], 0
    if batch:
        yield pa.RecordBatch.from_pylist(batch, schema=schema)


def _first_pass(
    spark: SparkSession,
    sources: list[Source],
    policy: FetchPolicy,
    documents: dict,
    carried: dict[str, str],
    counter: ExtractProgress,
) -> DataFrame:
    schema = to_arrow_schema(ITEMS)
    sources_read, records_read = counter.sources, counter.records

    def counted(items: Iterator[dict]) -> Iterator[dict]:
        for item in items:
            if item["kind"] == "record":
                records_read.add(1)
            yield item
        sources_read.add(1)

    def run(batches):
        for batch in batches:
            for index in batch.column("id").to_pylist():
                items = source_items(sources[index], policy, documents, carried)
                yield from _arrow_batches(counted(items), schema)

    # A few sources per task rather than one: each Spark task costs tens of milliseconds of its own,
    # and a task's sources are read one after another while other tasks run beside it.
    tasks = min(len(sources), SOURCE_TASKS_PER_CORE * spark.sparkContext.defaultParallelism)
    # Spark reuses a persisted result whose plan is identical, so without a fresh literal the
    # next extract of the same sources would be answered from this call's cache, not the web.
    ids = spark.range(0, len(sources), 1, numPartitions=tasks).withColumn("call", F.lit(uuid.uuid4().hex))
    return ids.mapInArrow(run, ITEMS)


def _second_pass(
    todo: DataFrame, total: int, sources: list[Source], policy: FetchPolicy, counter: ExtractProgress
) -> DataFrame:
    schema = to_arrow_schema(EXTRACT_RECORDS)
    files_fetched = counter.files

    def run(batches):
        todos = (row for batch in batches for row in batch.to_pylist())
        for fetched in _arrow_batches(fetch_xml_records(todos, policy, sources), schema):
            files_fetched.add(fetched.num_rows)
            yield fetched

    # A web host's files land in at most tasks_per_host tasks, which bounds the load on its server.
    # Files on disk (no host) have no server to spare and are spread over every task, so no one
    # task (and no one cached partition) has to hold a whole big folder.
    partitions = max(1, min(MAX_FETCH_TASKS, math.ceil(total / FILES_PER_TASK)))
    host = F.lower(F.expr("parse_url(record_url, 'HOST')"))
    slots = F.when(F.coalesce(host, F.lit("")) == "", F.lit(partitions)).otherwise(
        F.lit(policy.tasks_per_host)
    )
    group = F.concat_ws("#", host, F.pmod(F.hash("record_url"), slots))
    return todo.repartition(partitions, group).mapInArrow(run, EXTRACT_RECORDS)


def _todo_with_validators(items: DataFrame, validators: DataFrame | None) -> DataFrame:
    todo = items.filter(F.col("kind") == "todo").select(
        "source_id",
        "record_url",
        "parent_identifier",
        "position",
        "listed_modified",
        "listed_etag",
        "deadline",
    )
    if validators is None:
        return todo.withColumn("etag", F.lit(None).cast("string")).withColumn(
            "last_modified", F.lit(None).cast("string")
        )
    known = validators.select("source_id", "record_url", "etag", "last_modified").dropDuplicates(
        ["source_id", "record_url"]
    )
    return todo.join(known, on=["source_id", "record_url"], how="left")


def _not_modified(todo: DataFrame) -> DataFrame:
    """EXTRACT_RECORDS rows for todos known to be unchanged, as a 304 answer would make them."""
    fields = {
        "identifier": F.col("record_url"),
        "file_identifier": F.lit(None),
        "raw_format": F.lit("xml"),
        "raw": F.lit(None),
        "fetch_status": F.lit(FetchStatus.NOT_MODIFIED),
        "error": F.lit(None),
        "warnings": F.array(),
        "last_modified": F.coalesce("last_modified", "listed_modified"),
        "record_type": F.lit(None),
        "dcat_version": F.lit(None),
    }
    return _as_records(todo.drop("deadline"), fields)


def _as_records(items: DataFrame, fields: dict | None = None) -> DataFrame:
    """EXTRACT_RECORDS columns from item rows (``fields`` overrides some), never null where the schema says so."""
    fields = fields or {}

    def column(field):
        value = fields.get(field.name, F.col(field.name)).cast(field.dataType)
        return (F.coalesce(value, F.lit(_REQUIRED[field.name])) if field.name in _REQUIRED else value).alias(
            field.name
        )

    return items.select(*[column(field) for field in EXTRACT_RECORDS.fields])


def _document_validators(sources: list[Source], validators: DataFrame | None) -> dict:
    """(source_id, url) -> (etag, last_modified) for single-document sources: one row each, small."""
    ids = [source.id for source in sources if source.type == "iso-document"]
    if validators is None or not ids:
        return {}
    rows = validators.filter(F.col("source_id").isin(ids)).select(
        "source_id", "record_url", "etag", "last_modified"
    )
    return {(row.source_id, row.record_url): (row.etag, row.last_modified) for row in rows.collect()}


def _record_tallies(records: DataFrame) -> dict:
    """source_id -> (extracted, fetch errors, first fetch error messages in listing order, budget spent)."""
    is_error = F.col("fetch_status") == FetchStatus.ERROR
    tallies = records.groupBy("source_id").agg(
        F.sum(F.when(is_error, 0).otherwise(1)).alias("extracted"),
        F.sum(F.when(is_error, 1).otherwise(0)).alias("errors"),
        F.slice(
            F.array_sort(F.collect_list(F.when(is_error, F.struct("position", "error")))), 1, MAX_MESSAGES
        ).alias("messages"),
        F.max(F.coalesce(F.col("error") == TIME_BUDGET_SPENT, F.lit(False))).alias("budget_spent"),
    )
    return {
        row.source_id: (row.extracted, row.errors, [m.error for m in row.messages], row.budget_spent)
        for row in tallies.collect()
    }


def _status_row(source: Source, item, tally: tuple) -> dict:
    extracted, fetch_errors, fetch_messages, budget_spent = tally
    status, reason = item.status, item.reason
    if budget_spent and status != SourceState.FAILED:  # files the second pass had no time left for
        status = SourceState.FAILED
        reason = f"the source's time budget of {source.time_budget_s:g} s ran out while fetching its files"
    messages = list(item.problems or []) + fetch_messages
    errors = len(item.problems or []) + fetch_errors
    if errors > MAX_MESSAGES:
        messages = messages[:MAX_MESSAGES] + [f"... and {errors - MAX_MESSAGES} more"]
    return {
        "source_id": source.id,
        "source_type": source.type,
        "schema": source.schema,
        "url": source.url,
        "status": str(status),  # a plain str: Spark cannot unpickle the enum on the JVM side
        "reason": reason,
        "extracted": extracted if status != SourceState.FAILED else 0,
        "errors": errors,
        "error_messages": messages,
        "conforms_to": item.conforms_to,
        "described_by": item.described_by,
        "document_sha256": item.document_sha256,
    }


def _versions(sources: list[Source], publish_as: str) -> F.Column:
    """source_id -> the DCAT-US version its records are published in, as a map column."""
    pairs = [F.lit(x) for source in sources for x in (source.id, str(published_version(source, publish_as)))]
    return F.create_map(*pairs)


def _with_versions(validators: DataFrame | None, versions: F.Column) -> DataFrame | None:
    """Validators only of records published in the version they will be now: a record whose version
    changes (``publish_as`` was set) must be fetched again, not answered 304 Not Modified."""
    if validators is None or "dcat_version" not in validators.columns:
        return validators
    published = F.coalesce(F.col("dcat_version"), F.lit(DcatVersion.V1_1))
    return validators.filter(published == versions[F.col("source_id")])


def extract_sources(
    spark: SparkSession,
    sources: list[Source],
    validators: DataFrame | None = None,
    policy: FetchPolicy | None = None,
    publish_as: str = "",
    carried: dict[str, str] | None = None,
) -> tuple[DataFrame, DataFrame]:
    """Fetch every source. Returns (records, statuses).

    records: EXTRACT_RECORDS, one row per record seen (failed sources contribute none);
    statuses: SOURCE_STATUS, one row per source ("complete", "partial" or "failed"). One source
    failing never fails the function or touches another source's rows. ``publish_as`` ("dcatus3.0")
    asks for every record of the run to be published as DCAT-US 3.0 (``Source.publish_as`` per source).
    ``carried``: source id -> sha256 of a data.json whose last verdicts the run may carry; a source
    whose document still has it yields no records and the status "carried" (transforms.repeat_run).
    """
    policy = policy or FetchPolicy()
    if not sources:
        return spark.createDataFrame([], EXTRACT_RECORDS), spark.createDataFrame([], SOURCE_STATUS)
    versions = _versions(sources, publish_as)
    validators = _with_versions(validators, versions)
    started, counter = time.monotonic(), ExtractProgress(spark)
    documents = _document_validators(sources, validators)
    items = _first_pass(spark, sources, policy, documents, carried or {}, counter)
    # On disk, like the second pass: the first pass holds every data.json record's text (about 0.5 GB
    # at 430,000 records), and in memory it kept the driver's heap full for the rest of extract.
    items = items.persist(StorageLevel.DISK_ONLY)
    with counter.reporting(lambda: counter.first_pass_line(len(sources))):
        status_items = {row.source_id: row for row in items.filter(F.col("kind") == "status").collect()}
    total = sum(row.todo_count or 0 for row in status_items.values())
    log.info(
        "extract: %d sources read in %.1f s; %d WAF files to fetch",
        len(sources),
        time.monotonic() - started,
        total,
    )

    todo = _todo_with_validators(items, validators)
    # A listing that already shows the catalog's ETag (a folder on disk) needs no fetch at all.
    listed_unchanged = F.coalesce(F.col("listed_etag") == F.col("etag"), F.lit(False))
    fetched = _second_pass(
        todo.filter(~listed_unchanged).drop("listed_etag"), total, sources, policy, counter
    ).unionByName(_not_modified(todo.filter(listed_unchanged)))
    # On disk only: the fetched text is the whole harvest (14 GB of XML at data.gov's size), and an
    # in-memory cache of it ran the driver out of heap at 430,000 records.
    fetched = fetched.persist(StorageLevel.DISK_ONLY)
    fetch_started = time.monotonic()
    with counter.reporting(lambda: counter.second_pass_line(total)):
        fetched.count()
    log.info("extract: fetched %d WAF files in %.1f s", total, time.monotonic() - fetch_started)

    first_records = _as_records(items.filter(F.col("kind") == "record"))
    # Every record is a Dataset unless a 3.0 catalog said otherwise; its version is its source's.
    records = (
        first_records.unionByName(fetched)
        .withColumn(
            "record_type",
            F.when(F.col("record_type").isNull(), F.lit(RecordType.DATASET)).otherwise(F.col("record_type")),
        )
        .withColumn("dcat_version", versions[F.col("source_id")])
    )
    tallies = _record_tallies(records)
    rows = [
        _status_row(source, status_items[source.id], tallies.get(source.id, (0, 0, [], False)))
        for source in sources
    ]
    failed = [row["source_id"] for row in rows if row["status"] == SourceState.FAILED]
    if failed:  # a failed source contributes no records: nothing of it is published or deleted
        records = records.filter(~F.col("source_id").isin(failed))
    for source, row in zip(sources, rows, strict=True):
        # The first pass's time: a whole data.json or document, but only a WAF's listings (its files
        # are fetched by many tasks at once, with no one duration of their own).
        log.info(
            "extract %s (%s): %s, %d records, %d errors; %s read in %.2f s%s",
            source.id,
            source.type,
            row["status"],
            row["extracted"],
            row["errors"],
            "listings" if source.type.startswith("waf") else "source",
            status_items[source.id].seconds or 0.0,
            f" ({row['reason']})" if row["reason"] else "",
        )
    return records, spark.createDataFrame(rows, SOURCE_STATUS)


CLEARED = "cleared: nothing is read, and every record the source publishes is withdrawn"


def withdrawn_sources(spark: SparkSession, sources: list[Source]) -> tuple[DataFrame, DataFrame]:
    """Extract's output for a ``clear`` run: no records, and each source ``complete`` (read in full, and empty).

    Compare then deletes every record the sources publish, through the one delete rule of a normal run,
    and validate, load, the report and the database treat those deletes as any other.
    """
    rows = [
        {
            "source_id": source.id,
            "source_type": source.type,
            "schema": source.schema,
            "url": source.url,
            "status": str(SourceState.COMPLETE),
            "reason": CLEARED,
            "extracted": 0,
            "errors": 0,
            "error_messages": [],
        }
        for source in sources
    ]
    return spark.createDataFrame([], EXTRACT_RECORDS), spark.createDataFrame(rows, SOURCE_STATUS)
