"""Extract: fetch every source and split it into one row per record (EXTRACT_RECORDS) and one per source.

Two passes over Spark tasks, so neither a huge catalog nor a huge WAF ever sits on the driver:

1. Tasks over the sources (a few sources each) fetch the data.json catalog, the single ISO
   document, or the WAF listings (and a collection's parent record). data.json datasets and
   single documents become record rows right there; a WAF yields one "todo" per listed file.
2. The todos, joined with the catalog's validators for conditional requests, are spread over
   tasks by host (at most ``tasks_per_host`` tasks per host) and fetched by thread pools.

The first pass is persisted (its records, todos and statuses are read apart); the second is not: the
write of the records fetches the files, and the tasks of both passes tally each source's records
(``RecordTallies``) as they go, so the sources' statuses need no second look at the records.
"""

import logging
import math
import time
import uuid
from collections.abc import Callable, Iterator

import pyarrow as pa
from pyspark import AccumulatorParam, StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

from transforms.fetch import transport
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
# Files per fetch task: over HTTP a task waits on the network, so more tasks fetch more at once; on
# disk a file takes well under a millisecond and a task's own start is the cost (75,000 unchanged
# files on 2 cores: 10.5 s in tasks of 1,000, 6.6 s in tasks of 5,000).
FILES_PER_TASK = 1000
DISK_FILES_PER_TASK = 5000
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


# One source's tally: (records extracted, fetch errors, first errors as (position, message), budget spent).
Tally = tuple[int, int, tuple[tuple[int, str], ...], bool]
NO_TALLY: Tally = (0, 0, (), False)


def _merged(first: Tally, second: Tally) -> Tally:
    """Two tallies of one source as one; of the errors only the MAX_MESSAGES first in listing order stay."""
    messages = tuple(sorted(first[2] + second[2])[:MAX_MESSAGES])
    return first[0] + second[0], first[1] + second[1], messages, first[3] or second[3]


class RecordTallies(AccumulatorParam):
    """source_id -> Tally, added to by the tasks that make the record rows (once per task).

    Spark applies a successful task's update once, and a failed attempt's not at all, so the tallies
    count the rows the tasks handed on.
    """

    def zero(self, value: dict) -> dict:
        return {}

    def addInPlace(self, value1: dict, value2: dict) -> dict:
        for source_id, tally in value2.items():
            value1[source_id] = _merged(value1.get(source_id, NO_TALLY), tally)
        return value1


def _tallied(rows: Iterator[dict], tallies) -> Iterator[dict]:
    """The rows, unchanged; the tallies of the records among them go to the accumulator ``tallies`` once
    all are through."""
    # source_id -> [extracted, fetch errors, (position, error) of the errors, budget spent]
    counts: dict[str, list] = {}
    for row in rows:
        if row.get("kind", "record") != "record":  # a first-pass todo or status
            yield row
            continue
        tally = counts.get(row["source_id"])
        if tally is None:
            tally = counts[row["source_id"]] = [0, 0, [], False]
        # A null fetch_status is an error, as _REQUIRED makes it.
        if (row.get("fetch_status") or FetchStatus.ERROR) != FetchStatus.ERROR:
            tally[0] += 1
        else:
            position, error = row.get("position"), row.get("error")
            tally[1] += 1
            tally[2].append((-1 if position is None else position, error or ""))
            tally[3] = tally[3] or error == TIME_BUDGET_SPENT
            if len(tally[2]) >= 2 * MAX_MESSAGES:  # keep the first ones in listing order, and few
                tally[2] = sorted(tally[2])[:MAX_MESSAGES]
        yield row
    tallies.add({key: (a, b, tuple(sorted(c)[:MAX_MESSAGES]), d) for key, (a, b, c, d) in counts.items()})


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
    tallies,
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
        items = (
            item
            for batch in batches
            for index in batch.column("id").to_pylist()
            for item in counted(source_items(sources[index], policy, documents, carried))
        )
        yield from _arrow_batches(_tallied(items, tallies), schema)

    # A few sources per task rather than one: each Spark task costs tens of milliseconds of its own,
    # and a task's sources are read one after another while other tasks run beside it.
    tasks = min(len(sources), SOURCE_TASKS_PER_CORE * spark.sparkContext.defaultParallelism)
    # Spark reuses a persisted result whose plan is identical, so without a fresh literal the
    # next extract of the same sources would be answered from this call's cache, not the web.
    ids = spark.range(0, len(sources), 1, numPartitions=tasks).withColumn("call", F.lit(uuid.uuid4().hex))
    return ids.mapInArrow(run, ITEMS)


def fetch_tasks(todo_counts: dict[str, int], sources: list[Source]) -> int:
    """How many tasks fetch the WAF files: ``todo_counts`` is each source's number of files to fetch."""
    on_disk = sum(todo_counts.get(source.id, 0) for source in sources if transport.is_on_disk(source.url))
    over_http = sum(todo_counts.values()) - on_disk
    tasks = math.ceil(over_http / FILES_PER_TASK) + math.ceil(on_disk / DISK_FILES_PER_TASK)
    return max(1, min(MAX_FETCH_TASKS, tasks))


def _second_pass(
    todo: DataFrame,
    partitions: int,
    sources: list[Source],
    policy: FetchPolicy,
    counter: ExtractProgress,
    tallies,
) -> DataFrame:
    """The record rows of the todos, fetched by ``partitions`` tasks; ``todo`` also holds the catalog's
    validators (see _todo_and_known)."""
    schema = to_arrow_schema(EXTRACT_RECORDS)
    files_fetched = counter.files

    def run(batches):
        known: dict[tuple, tuple] = {}

        def todos():  # a task's validators come first (sorted so), then its todos, each with its validators
            for batch in batches:
                for row in batch.to_pylist():
                    key = (row["source_id"], row["record_url"])
                    if row["kind"] == KNOWN:
                        known.setdefault(key, (row["etag"], row["last_modified"]))
                    else:
                        row["etag"], row["last_modified"] = known.pop(key, (None, None))
                        yield row

        for fetched in _arrow_batches(_tallied(fetch_xml_records(todos(), policy, sources), tallies), schema):
            files_fetched.add(fetched.num_rows)
            yield fetched

    # A web host's files land in at most tasks_per_host tasks, which bounds the load on its server.
    # Files on disk (no host) have no server to spare and are spread over every task, so no one
    # task has to hold a whole big folder. A validator lands in its file's task: one shuffle, no join.
    host = F.lower(F.expr("parse_url(record_url, 'HOST')"))
    slots = F.when(F.coalesce(host, F.lit("")) == "", F.lit(partitions)).otherwise(
        F.lit(policy.tasks_per_host)
    )
    group = F.concat_ws("#", host, F.pmod(F.hash("record_url"), slots))
    return todo.repartition(partitions, group).sortWithinPartitions("kind").mapInArrow(run, EXTRACT_RECORDS)


KNOWN = "known"  # a validator row beside the todos: sorts before "todo"


def _todo_and_known(items: DataFrame, validators: DataFrame | None, waf_sources: list[str]) -> DataFrame:
    """The todo rows, and the catalog's validators (etag, last_modified) of the same WAFs as "known" rows."""
    todo = items.filter(F.col("kind") == "todo").select(
        "kind",
        "source_id",
        "record_url",
        "parent_identifier",
        "position",
        "listed_modified",
        "listed_etag",
        "deadline",
    )
    if validators is None:
        return todo
    known = validators.filter(F.col("source_id").isin(waf_sources)).select(
        F.lit(KNOWN).alias("kind"), "source_id", "record_url", "etag", "last_modified"
    )
    return todo.unionByName(known, allowMissingColumns=True)


def _as_records(items: DataFrame) -> DataFrame:
    """EXTRACT_RECORDS columns from item rows, never null where the schema says so."""

    def column(field):
        value = F.col(field.name).cast(field.dataType)
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


def _status_row(source: Source, item, tally: Tally) -> dict:
    extracted, fetch_errors, first_errors, budget_spent = tally
    fetch_messages = [message for _position, message in first_errors]
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


def kept_on_disk(records: DataFrame) -> DataFrame:
    """The records persisted on disk and materialised: the fetch runs once, whatever reads them after.

    On disk only: the fetched text is the whole harvest (14 GB of XML at data.gov's size), and an
    in-memory cache of it ran the driver out of heap at 430,000 records.
    """
    kept = records.persist(StorageLevel.DISK_ONLY)
    kept.count()
    return kept


def extract_sources(
    spark: SparkSession,
    sources: list[Source],
    validators: DataFrame | None = None,
    policy: FetchPolicy | None = None,
    publish_as: str = "",
    carried: dict[str, str] | None = None,
    write: Callable[[DataFrame], DataFrame] = kept_on_disk,
) -> tuple[DataFrame, DataFrame]:
    """Fetch every source. Returns (records, statuses).

    records: EXTRACT_RECORDS, one row per record seen (failed sources contribute none);
    statuses: SOURCE_STATUS, one row per source ("complete", "partial" or "failed"). One source
    failing never fails the function or touches another source's rows. ``publish_as`` ("dcatus3.0")
    asks for every record of the run to be published as DCAT-US 3.0 (``Source.publish_as`` per source).
    ``carried``: source id -> sha256 of a data.json whose last verdicts the run may carry; a source
    whose document still has it yields no records and the status "carried" (transforms.repeat_run).
    ``write``: the one action that fetches the WAF files, given the records, returning the same rows
    materialised (the extract job writes them to the lake and reads them back); run again, on those
    rows, for a source that ran out of time while its files were fetched.
    """
    policy = policy or FetchPolicy()
    if not sources:
        return spark.createDataFrame([], EXTRACT_RECORDS), spark.createDataFrame([], SOURCE_STATUS)
    versions = _versions(sources, publish_as)
    validators = _with_versions(validators, versions)
    started, counter = time.monotonic(), ExtractProgress(spark)
    tallies = spark.sparkContext.accumulator({}, RecordTallies())
    documents = _document_validators(sources, validators)
    items = _first_pass(spark, sources, policy, documents, carried or {}, counter, tallies)
    # On disk, like the records: the first pass holds every data.json record's text (about 0.5 GB
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
    # A source that failed in the first pass contributes no records: nothing of it is published or deleted.
    failed = [source_id for source_id, item in status_items.items() if item.status == SourceState.FAILED]
    read = items.filter(~F.col("source_id").isin(failed))
    first_records = _as_records(read.filter(F.col("kind") == "record"))
    wafs = [source_id for source_id, item in status_items.items() if item.todo_count]
    tasks = fetch_tasks(
        {source_id: item.todo_count or 0 for source_id, item in status_items.items()}, sources
    )
    fetched = _second_pass(_todo_and_known(read, validators, wafs), tasks, sources, policy, counter, tallies)
    # Every record is a Dataset unless a 3.0 catalog said otherwise; its version is its source's.
    records = (
        first_records.unionByName(fetched)
        .withColumn(
            "record_type",
            F.when(F.col("record_type").isNull(), F.lit(RecordType.DATASET)).otherwise(F.col("record_type")),
        )
        .withColumn("dcat_version", versions[F.col("source_id")])
    )
    fetch_started = time.monotonic()
    with counter.reporting(lambda: counter.second_pass_line(total)):
        records = write(records)
    log.info("extract: fetched %d WAF files in %.1f s", total, time.monotonic() - fetch_started)
    rows = [
        _status_row(source, status_items[source.id], tallies.value.get(source.id, NO_TALLY))
        for source in sources
    ]
    out_of_time = [
        row["source_id"]
        for row in rows
        if row["status"] == SourceState.FAILED and row["source_id"] not in failed
    ]
    if out_of_time:  # rare: written again without them (cut from its source: the rows are rewritten in place)
        records = write(records.filter(~F.col("source_id").isin(out_of_time)).localCheckpoint())
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
