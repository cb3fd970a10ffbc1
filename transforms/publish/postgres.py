"""The PostgreSQL catalog database: the table data.gov's catalog site reads, as a load target.

Schema ``catalog`` holds ``dataset`` (see migrations/) and ``schema_migrations``, which records
which of the versioned SQL files in migrations/ have run.

Each source's changes are applied in one transaction, inside Spark tasks (one connection per
partition, opened only when the partition has rows): COPY into a temporary staging table, then
one DELETE and one INSERT ... ON CONFLICT. How a bad record is isolated:

* what COPY itself cannot carry (a NUL character: PostgreSQL text cannot hold one) is checked in
  Python before the COPY and refused with the error PostgreSQL gives for it;
* everything else is left to the database, which knows its own rules best (invalid JSON for
  jsonb, a slug another record holds, a CHECK constraint, ...). When the merge fails, it is
  rolled back to a savepoint and retried on halves of the staged rows, down to single rows, so
  each refused row carries the database's own error and all other rows of the source commit.
  That costs about log2(n) extra statements per bad row, and nothing when all rows are good.

A failure outside that (connection lost, COPY or commit failed) refuses the whole source.
"""

import logging
from collections.abc import Iterator
from importlib import resources

import pandas as pd
import psycopg
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms.publish.db_config import checked_db_url, connection_failure, resolve_db_url
from transforms.registry import Source
from transforms.schemas import DB_RESULTS

log = logging.getLogger(__name__)

SCHEMA = "catalog"
COLUMNS = [
    "source_id",
    "identifier",
    "action",
    "slug",
    "dcat_json",
    "title",
    "organization",
    "source_title",
    "record_url",
    "content_hash",
    "dcat_version",
    "record_type",
]
NUL_ERROR = 'invalid byte sequence for encoding "UTF8": 0x00 (PostgreSQL text cannot contain NUL characters)'
MIGRATION_LOCK = 7_246_001  # pg_advisory_xact_lock key: one migrator at a time
# Per statement: a source's merge of 200,000 rows takes well under a minute; ten is a hang, not work.
STATEMENT_TIMEOUT_MS = 600_000

STAGING = f"""CREATE TEMPORARY TABLE staging (row_no bigint NOT NULL, {", ".join(f"{c} text" for c in COLUMNS)})
ON COMMIT DROP"""
DELETE = f"""DELETE FROM {SCHEMA}.dataset AS d USING staging AS s
WHERE s.action = 'delete' AND d.source_id = s.source_id AND d.identifier = s.identifier
  AND s.row_no >= %(lo)s AND s.row_no < %(hi)s"""
UPSERT = f"""INSERT INTO {SCHEMA}.dataset AS d (source_id, identifier, slug, title, organization, source_title,
    record_url, content_hash, dcat, last_harvested, last_run_id, dcat_version, record_type)
SELECT source_id, identifier, slug, title, organization, source_title, record_url, content_hash,
    dcat_json::jsonb, now(), %(run_id)s, coalesce(dcat_version, '1.1'), coalesce(record_type, 'Dataset')
FROM staging WHERE action IN ('create', 'update') AND row_no >= %(lo)s AND row_no < %(hi)s
ON CONFLICT (source_id, identifier) DO UPDATE SET slug = excluded.slug, title = excluded.title,
    organization = excluded.organization, source_title = excluded.source_title, record_url = excluded.record_url,
    content_hash = excluded.content_hash, dcat = excluded.dcat, last_harvested = excluded.last_harvested,
    last_run_id = excluded.last_run_id, dcat_version = excluded.dcat_version,
    record_type = excluded.record_type"""


class DatabaseUnreachable(psycopg.OperationalError):
    """The catalog database could not be connected to; the message names the database, never the URL."""


def connect(url: str, **options) -> psycopg.Connection:
    """A connection with the harvest's timeouts: no statement may hang a load (or hold its locks) for hours.

    Every connection to the catalog database is opened here (load, reconcile, the CLI), so this is
    where a URL is checked (DatabaseUrlError) and where a failure to connect becomes
    DatabaseUnreachable, told by ``db_config.connection_failure``: libpq's message may repeat the
    URL, password included, and is not passed on (nor chained: tracebacks would show it).
    """
    checked_db_url(url)
    try:
        return psycopg.connect(
            url, connect_timeout=30, options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}", **options
        )
    except psycopg.Error as error:
        raise DatabaseUnreachable(connection_failure(url, error)) from None


def migrations() -> list[tuple[str, str]]:
    """(version, SQL) of every migrations/*.sql file, in order; the version is the file name without .sql."""
    folder = resources.files("transforms.publish") / "migrations"  # works from a wheel or zip too
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".sql")), key=lambda e: e.name)
    return [(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")) for entry in files]


def ensure_schema(db_url: str) -> None:
    """Create the catalog schema when absent and run the migrations that have not run yet."""
    with connect(resolve_db_url(db_url)) as conn:  # one transaction, committed at exit
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute(f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations
            (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())""")
        done = {row[0] for row in conn.execute(f"SELECT version FROM {SCHEMA}.schema_migrations")}
        for version, sql in migrations():
            if version not in done:
                conn.execute(sql)
                conn.execute(f"INSERT INTO {SCHEMA}.schema_migrations (version) VALUES (%s)", (version,))
                log.info("catalog database: migration %s applied", version)


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
            self._attempt(lambda: conn.execute(STAGING))

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
        text = rows[COLUMNS].astype(object)
        has_nul = text.apply(lambda column: column.str.contains("\x00", regex=False).fillna(False)).any(
            axis=1
        )
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
        """DELETE then upsert staged rows lo..hi-1; on an error, bisect to the rows the database refuses."""
        bounds = {"lo": lo, "hi": hi, "run_id": self.run_id}
        self.conn.execute("SAVEPOINT merge")
        try:
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
    """Apply creates, updates and deletes per source; one row per input row with db_status and db_error."""
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
    spark = accepted.sparkSession
    registry = spark.createDataFrame(
        [(s.id, s.organization, s.title) for s in sources],
        "source_id string, organization string, source_title string",
    )
    results = publish_changes(accepted.join(registry, on="source_id", how="left"), db_url, run_id)
    results.write.mode("overwrite").parquet(results_uri)
    return refused_rows(spark, results_uri)


def refused_rows(spark: SparkSession, results_uri: str) -> DataFrame:
    """The rows a load's database publication refused, from its stored results."""
    return spark.read.schema(DB_RESULTS).parquet(results_uri).filter(F.col("db_status") == "refused")
