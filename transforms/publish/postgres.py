"""The PostgreSQL catalog database: data.gov's harvest tables, which its catalog site reads, as a load target.

Schema ``public`` holds data.gov's tables (organization, harvest_source, harvest_job, harvest_record,
harvest_record_error, harvest_job_error, dataset; see migrations/ and docs/DATABASE.md); schema
``catalog`` this project's bookkeeping, among it ``schema_migrations``, which records which of the
versioned SQL files in migrations/ have run.

Each source's changes are applied in one transaction, inside Spark tasks (one connection per
partition, opened only when the partition has rows): COPY into a temporary staging table, then one
INSERT of the changes' harvest_record rows (in the run's harvest_job of the source), one DELETE
and one INSERT ... ON CONFLICT of dataset rows. How a bad record is isolated:

* what COPY itself cannot carry (a NUL character: PostgreSQL text cannot hold one) is checked in
  Python before the COPY and refused with the error PostgreSQL gives for it;
* everything else is left to the database, which knows its own rules best (invalid JSON for
  jsonb, a slug another record holds, a foreign key, ...). When the merge fails, it is
  rolled back to a savepoint and retried on halves of the staged rows, down to single rows, so
  each refused row carries the database's own error and all other rows of the source commit.
  That costs about log2(n) extra statements per bad row, and nothing when all rows are good.

A failure outside that (connection lost, COPY or commit failed) refuses the whole source.

The connection itself (``connect``, with its redacted errors) and the migrations (``ensure_schema``)
are ``transforms.publish.connection``'s, which every caller imports from there.
"""

import logging
from collections.abc import Iterator

import pandas as pd
import psycopg
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms.publish.connection import UTC_NOW, connect
from transforms.publish.datagov import register_sources
from transforms.publish.db_config import resolve_db_url
from transforms.publish.spatial import translated_spatial
from transforms.registry import Source
from transforms.schemas import DB_RESULTS

log = logging.getLogger(__name__)

COLUMNS = [
    "source_id",
    "identifier",
    "action",
    "slug",
    "dcat_json",
    "content_hash",
    "raw",
    "raw_format",
    "parent_identifier",
    "record_type",
    "translated_spatial",
]
NUL_ERROR = 'invalid byte sequence for encoding "UTF8": 0x00 (PostgreSQL text cannot contain NUL characters)'

STAGING = f"""CREATE TEMPORARY TABLE staging (row_no bigint NOT NULL, {", ".join(f"{c} text" for c in COLUMNS)})
ON COMMIT DROP"""
IN_RANGE = "s.row_no >= %(lo)s AND s.row_no < %(hi)s"
# One harvest_record per change, in this run's job of the source (opened by the first statement).
JOB = f"""INSERT INTO public.harvest_job (id, harvest_source_id, status, job_type, date_created)
VALUES (catalog.harvest_id('harvest-job', %(run_id)s, %(source_id)s), catalog.harvest_id('harvest-source', %(source_id)s),
    'in_progress', 'harvest', {UTC_NOW})
ON CONFLICT (id) DO NOTHING"""
RECORDS = f"""INSERT INTO public.harvest_record AS r (id, identifier, harvest_job_id, harvest_source_id, source_hash,
    source_raw, source_transform, date_created, date_finished, action, parent_identifier, status, record_type)
SELECT catalog.harvest_id('harvest-record', %(run_id)s, s.source_id, s.identifier), s.identifier,
    catalog.harvest_id('harvest-job', %(run_id)s, s.source_id), catalog.harvest_id('harvest-source', s.source_id),
    s.content_hash, s.raw, CASE WHEN s.raw_format = 'xml' THEN s.dcat_json::jsonb END, {UTC_NOW}, {UTC_NOW},
    s.action::public.record_action, s.parent_identifier, 'success', catalog.datagov_record_type(s.record_type)
FROM staging AS s WHERE {IN_RANGE}
ON CONFLICT (id) DO UPDATE SET source_hash = excluded.source_hash, source_raw = excluded.source_raw,
    source_transform = excluded.source_transform, date_finished = excluded.date_finished, action = excluded.action,
    parent_identifier = excluded.parent_identifier, status = excluded.status, record_type = excluded.record_type"""
DELETE = f"""DELETE FROM public.dataset AS d USING staging AS s
WHERE s.action = 'delete' AND d.id = catalog.harvest_id('dataset', s.source_id, s.identifier) AND {IN_RANGE}"""
UPSERT = f"""INSERT INTO public.dataset AS d (id, slug, dcat, organization_id, harvest_source_id, harvest_record_id,
    last_harvested_date, translated_spatial, type)
SELECT catalog.harvest_id('dataset', s.source_id, s.identifier), s.slug, s.dcat_json::jsonb, h.organization_id, h.id,
    catalog.harvest_id('harvest-record', %(run_id)s, s.source_id, s.identifier), {UTC_NOW},
    s.translated_spatial::jsonb, catalog.datagov_record_type(s.record_type)
FROM staging AS s JOIN public.harvest_source AS h ON h.id = catalog.harvest_id('harvest-source', s.source_id)
WHERE s.action IN ('create', 'update') AND {IN_RANGE}
ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, dcat = excluded.dcat, organization_id = excluded.organization_id,
    harvest_source_id = excluded.harvest_source_id, harvest_record_id = excluded.harvest_record_id,
    last_harvested_date = excluded.last_harvested_date, translated_spatial = excluded.translated_spatial,
    type = excluded.type"""


def _describe(error: psycopg.Error) -> str:
    """The database's message, with its detail (which names the offending key) when there is one."""
    diag = getattr(error, "diag", None)
    primary = (diag.message_primary if diag else None) or str(error).strip().splitlines()[0]
    detail = diag.message_detail if diag else None
    return f"{primary} ({detail})" if detail else primary


class _SourceLoad:
    """One source's transaction: stage its rows as they stream in, then merge and commit."""

    def __init__(self, conn: psycopg.Connection | None, source_id: str, run_id: str, failure: str | None):
        self.conn, self.source_id, self.run_id, self.failure = conn, source_id, run_id, failure
        self.identifiers: list[str | None] = []
        self.refused: dict[int, str] = {}  # row number -> the database's error
        if self.failure is None:
            self._attempt(
                lambda: (conn.execute(STAGING), conn.execute(JOB, {"run_id": run_id, "source_id": source_id}))
            )

    def _attempt(self, step) -> None:
        try:
            step()
        except psycopg.Error as error:
            self.failure = _describe(error)
            log.warning("catalog database refused source %s: %s", self.source_id, self.failure)

    def add(self, rows: pd.DataFrame) -> None:
        """Stage a batch of this source's rows (COPY), setting aside rows COPY cannot carry."""
        first = len(self.identifiers)
        self.identifiers.extend(rows["identifier"].tolist())
        if self.failure is not None:
            return
        text = rows.assign(translated_spatial=rows["dcat_json"].map(translated_spatial))[COLUMNS].astype(
            object
        )
        # na=False marks a missing value as no NUL directly (fillna on the object result downcasts, deprecated)
        has_nul = text.apply(lambda column: column.str.contains("\x00", regex=False, na=False)).any(axis=1)
        for offset in has_nul.to_numpy().nonzero()[0]:
            self.refused[first + int(offset)] = NUL_ERROR
        records = text.where(text.notna(), None).itertuples(index=False, name=None)
        staged = [(first + i, *record) for i, record in enumerate(records) if not has_nul.iat[i]]

        def copy_rows() -> None:
            with (
                self.conn.cursor() as cursor,
                cursor.copy(f"COPY staging (row_no, {', '.join(COLUMNS)}) FROM STDIN") as copy,
            ):
                for record in staged:
                    copy.write_row(record)

        self._attempt(copy_rows)

    def _merge(self, lo: int, hi: int) -> None:
        """Record, DELETE, then upsert staged rows lo..hi-1; on an error, bisect to the rows the database refuses."""
        bounds = {"lo": lo, "hi": hi, "run_id": self.run_id}
        self.conn.execute("SAVEPOINT merge")
        try:
            self.conn.execute(RECORDS, bounds)
            self.conn.execute(DELETE, bounds)
            self.conn.execute(UPSERT, bounds)
        except psycopg.errors.DatabaseError as error:
            self.conn.execute("ROLLBACK TO SAVEPOINT merge")
            if hi - lo <= 1:
                self.refused[lo] = _describe(error)
                return
            if lo == 0 and hi == len(self.identifiers):  # first failure: help the many small statements ahead
                self.conn.execute("CREATE INDEX ON staging (row_no)")
                self.conn.execute("ANALYZE staging")
            middle = (lo + hi) // 2
            self._merge(lo, middle)
            self._merge(middle, hi)
            return
        self.conn.execute("RELEASE SAVEPOINT merge")

    def finish(self) -> pd.DataFrame:
        """Merge and commit (or roll back), then one result row per staged row."""
        if self.failure is None:
            self._attempt(lambda: (self._merge(0, len(self.identifiers)), self.conn.commit()))
        if self.failure is not None and self.conn is not None and not self.conn.closed:
            self.conn.rollback()
        errors = [self.refused.get(i, self.failure) for i in range(len(self.identifiers))]
        if self.refused:
            log.warning(
                "catalog database refused %s of %s rows of source %s",
                len(self.refused),
                len(self.identifiers),
                self.source_id,
            )
        return pd.DataFrame(
            {
                "source_id": self.source_id,
                "identifier": self.identifiers,
                "db_status": ["ok" if error is None else "refused" for error in errors],
                "db_error": errors,
            }
        )


def _publish_partition(batches: Iterator[pd.DataFrame], url: str, run_id: str) -> Iterator[pd.DataFrame]:
    """Apply a partition's changes, sorted by source, one transaction per source."""
    conn, connect_failure, load = None, None, None
    try:
        for batch in batches:
            for source_id, rows in batch.groupby("source_id", sort=False):
                if load is None or load.source_id != source_id:
                    if load is not None:
                        yield load.finish()
                    if conn is None and connect_failure is None:  # lazily: empty partitions open nothing
                        try:
                            conn = connect(url, application_name="harvest-load")
                        except psycopg.Error as error:
                            connect_failure = _describe(error)
                    failure = connect_failure or ("connection lost" if conn.closed else None)
                    load = _SourceLoad(conn, source_id, run_id, failure)
                load.add(rows)
        if load is not None:
            yield load.finish()
    finally:
        if conn is not None:
            conn.close()


def publish_changes(accepted: DataFrame, db_url: str, run_id: str) -> DataFrame:
    """Apply creates, updates and deletes per source; one row per input row with db_status and db_error.

    The sources must be registered (``datagov.register_sources``): each change is recorded in its
    source's harvest_job of this run, and its dataset row names the source's organization.
    """
    url = resolve_db_url(db_url)  # once, on the driver: not one Secrets Manager call per task
    present = set(accepted.columns)
    rows = accepted.select(
        *[F.col(c).cast("string") if c in present else F.lit(None).cast("string").alias(c) for c in COLUMNS]
    )
    ordered = rows.repartition("source_id").sortWithinPartitions("source_id", "identifier")
    return ordered.mapInPandas(lambda batches: _publish_partition(batches, url, run_id), DB_RESULTS)


def publish_to_database(
    accepted: DataFrame, sources: list[Source], db_url: str, run_id: str, results_uri: str
) -> DataFrame:
    """Apply a run's accepted changes (with slugs); returns the rows the database refused.

    The results are written to ``results_uri`` once and read back: a lazy re-evaluation must never
    apply the same changes to the database twice.
    """
    with connect(resolve_db_url(db_url)) as conn:
        register_sources(conn, sources)
    results = publish_changes(accepted, db_url, run_id)
    results.write.mode("overwrite").parquet(results_uri)
    return refused_rows(accepted.sparkSession, results_uri)


def refused_rows(spark: SparkSession, results_uri: str) -> DataFrame:
    """The rows a load's database publication refused, from its stored results."""
    return spark.read.schema(DB_RESULTS).parquet(results_uri).filter(F.col("db_status") == "refused")
