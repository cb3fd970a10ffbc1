"""Make the catalog database match the lake's current version, and say how far apart they were.

The lake is the source of truth. The lake version's records are staged into the database
(catalog.lake_snapshot, by Spark tasks with COPY, as load publishes), and compared there with
catalog.dataset record by record: rows *missing* from the database, *extra* rows the lake does not
hold, and *stale* rows whose content hash, slug, record URL or DCAT document (compared as jsonb)
differ. Repairing deletes the extra and stale rows and inserts the lake's records in their place,
in one transaction that also notes the version the table now reflects (see db_sync).
"""

import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pandas as pd
import psycopg
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms.lake.catalog_state import read_state
from transforms.publish.db_config import resolve_db_url
from transforms.publish.db_sync import SYNCED, lake_key, read_note, write_note
from transforms.publish.postgres import connect, ensure_schema
from transforms.registry import Source

log = logging.getLogger(__name__)

COLUMNS = ["source_id", "identifier", "slug", "content_hash", "dcat_json", "record_url"]
TIMES = ["first_harvested", "last_harvested"]
STAGED = "staged long, unrepresentable long, examples array<string>"
EXAMPLES = 5
SAME_KEY = "s.snapshot_id = %(id)s AND s.source_id = d.source_id AND s.identifier = d.identifier"
DIFFERS = """(d.content_hash IS DISTINCT FROM s.content_hash OR d.slug IS DISTINCT FROM s.slug
    OR d.record_url IS DISTINCT FROM s.record_url OR d.dcat IS DISTINCT FROM s.dcat_json::jsonb)"""
# name -> (alias of the table whose key is shown, the rows that differ that way)
DRIFT = {
    "missing": (
        "s",
        "FROM catalog.lake_snapshot AS s WHERE s.snapshot_id = %(id)s AND NOT EXISTS "
        "(SELECT 1 FROM catalog.dataset AS d WHERE d.source_id = s.source_id AND d.identifier = s.identifier)",
    ),
    "extra": (
        "d",
        f"FROM catalog.dataset AS d WHERE NOT EXISTS (SELECT 1 FROM catalog.lake_snapshot AS s WHERE {SAME_KEY})",
    ),
    "stale": (
        "d",
        f"FROM catalog.dataset AS d JOIN catalog.lake_snapshot AS s ON {SAME_KEY} WHERE {DIFFERS}",
    ),
}
REPAIR = [
    f"DELETE FROM catalog.dataset AS d WHERE NOT EXISTS (SELECT 1 FROM catalog.lake_snapshot AS s WHERE {SAME_KEY})",
    f"DELETE FROM catalog.dataset AS d USING catalog.lake_snapshot AS s WHERE {SAME_KEY} AND {DIFFERS}",
    """INSERT INTO catalog.dataset AS d (source_id, identifier, slug, title, organization, source_title, record_url,
    content_hash, dcat, first_harvested, last_harvested, last_run_id)
SELECT s.source_id, s.identifier, s.slug, s.dcat_json::jsonb ->> 'title', r.organization, r.source_title,
    s.record_url, s.content_hash, s.dcat_json::jsonb, coalesce(s.first_harvested::timestamptz, now()),
    coalesce(s.last_harvested::timestamptz, now()), coalesce(s.last_run_id, '')
FROM catalog.lake_snapshot AS s LEFT JOIN registry AS r ON r.source_id = s.source_id
WHERE s.snapshot_id = %(id)s AND NOT EXISTS
    (SELECT 1 FROM catalog.dataset AS d WHERE d.source_id = s.source_id AND d.identifier = s.identifier)""",
]


def _count(conn: psycopg.Connection, sql: str, args: dict | None = None) -> int:
    row = conn.execute(sql, args).fetchone()
    return int(row[0]) if row else 0


class DatabaseNotReconciled(RuntimeError):
    """The database holds rows that were never reconciled with this lake; load will not overwrite them."""


@dataclass
class Drift:
    """How the database differed from a lake version (before any repair)."""

    version: str | None
    lake_records: int
    database_records: int
    counts: dict[str, int] = field(default_factory=dict)  # missing, extra, stale
    examples: dict[str, list[str]] = field(default_factory=dict)
    unrepresentable: int = 0  # lake records PostgreSQL cannot hold (a NUL character): never staged
    repaired: bool = False

    @property
    def total(self) -> int:
        """Rows that differ."""
        return sum(self.counts.values())

    def describe(self) -> str:
        """A short account for logs and the terminal."""
        head = f"lake version {self.version}: {self.lake_records} records; database: {self.database_records} rows"
        parts = [f"{name} {self.counts.get(name, 0)}" for name in DRIFT]
        lines = [head, "drift: " + ", ".join(parts)]
        lines += [f"  {name}: {', '.join(keys)}" for name, keys in self.examples.items() if keys]
        if self.unrepresentable:
            lines.append(
                f"  {self.unrepresentable} lake record(s) contain a NUL character PostgreSQL cannot hold"
            )
        if self.total:
            lines.append("repaired from the lake" if self.repaired else "not repaired (dry run)")
        return "\n".join(lines)


def _stage_partition(batches: Iterable[pd.DataFrame], url: str, snapshot_id: str) -> Iterator[pd.DataFrame]:
    """COPY a partition of lake records into the snapshot table; count what PostgreSQL could not hold."""
    staged, skipped, examples = 0, 0, list[str]()
    with connect(url, application_name="harvest-reconcile") as conn, conn.cursor() as cursor:
        names = ", ".join(["snapshot_id", *COLUMNS, *TIMES, "last_run_id"])
        with cursor.copy(f"COPY catalog.lake_snapshot ({names}) FROM STDIN") as copy:
            for batch in batches:
                text = batch.astype(object).where(batch.notna(), None)
                for record in text.itertuples(index=False, name=None):
                    if any(isinstance(v, str) and "\x00" in v for v in record) or "\\u0000" in (
                        record[4] or ""
                    ):
                        skipped += 1
                        examples = (examples + [f"{record[0]} / {record[1]}"])[:EXAMPLES]
                        continue
                    copy.write_row((snapshot_id, *record))
                    staged += 1
    yield pd.DataFrame({"staged": [staged], "unrepresentable": [skipped], "examples": [examples]})


def _stage(state: DataFrame, url: str, snapshot_id: str) -> tuple[int, int]:
    """Stage a lake version's records; (records staged, records PostgreSQL cannot hold)."""
    iso = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"  # with the offset, so the instant survives any time zone
    rows = state.select(
        *COLUMNS,
        *[F.date_format(name, iso).alias(name) for name in TIMES],
        F.col("last_changed_run").alias("last_run_id"),
    )
    totals = rows.mapInPandas(lambda batches: _stage_partition(batches, url, snapshot_id), STAGED).collect()
    return sum(r.staged for r in totals), sum(r.unrepresentable for r in totals)


def reconcile(
    spark: SparkSession,
    lake_root: str,
    db_url: str,
    version: str | None,
    sources: list[Source],
    repair: bool = True,
    run_id: str = "reconcile",
) -> Drift:
    """Compare the database with a lake version and, unless ``repair`` is False, make it match."""
    ensure_schema(db_url)
    url, snapshot_id = resolve_db_url(db_url), uuid.uuid4().hex
    try:
        staged, skipped = _stage(read_state(spark, lake_root, version), url, snapshot_id)
        with connect(url) as conn:
            conn.execute("ANALYZE catalog.lake_snapshot")
            rows = _count(conn, "SELECT count(*) FROM catalog.dataset")
            drift = Drift(version, staged + skipped, rows, unrepresentable=skipped)
            args = {"id": snapshot_id}
            for name, (alias, where) in DRIFT.items():
                drift.counts[name] = _count(conn, f"SELECT count(*) {where}", args)
                key = f"{alias}.source_id || ' / ' || {alias}.identifier"
                found = conn.execute(f"SELECT {key} {where} ORDER BY 1 LIMIT {EXAMPLES}", args).fetchall()
                drift.examples[name] = [example for (example,) in found]
            if repair:
                conn.execute(
                    "CREATE TEMPORARY TABLE registry (source_id text, organization text, source_title text) "
                    "ON COMMIT DROP"
                )
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO registry VALUES (%s, %s, %s)",
                        [(s.id, s.organization, s.title) for s in sources],
                    )
                for statement in REPAIR:
                    conn.execute(statement, {"id": snapshot_id})
                write_note(conn, lake_root, SYNCED, version, run_id)
                drift.repaired = True
    finally:
        with connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM catalog.lake_snapshot WHERE snapshot_id = %s", (snapshot_id,))
    log.info("reconcile %s", drift.describe().replace("\n", "; "))
    return drift


def ensure_database_matches(
    spark: SparkSession, lake_root: str, db_url: str, version: str | None, sources: list[Source], run_id: str
) -> Drift | None:
    """Before load changes the database: repair it when its note does not say it equals ``version``.

    None when the note says it does. A database with rows but no note of this lake (never
    reconciled with it, or another lake's) is refused rather than overwritten.
    """
    with connect(resolve_db_url(db_url)) as conn:
        note = read_note(conn)
        if note is not None and note.matches(lake_root, version):
            return None
        if note is None or note.lake != lake_key(lake_root):
            rows = _count(conn, "SELECT count(*) FROM catalog.dataset")
            if rows:
                owner = "was never reconciled with a lake" if note is None else f"reflects lake {note.lake}"
                raise DatabaseNotReconciled(
                    f"the catalog database holds {rows} datasets and {owner}, not {lake_key(lake_root)}; "
                    f"load will not overwrite it. Check the database and lake are the right pair, then run "
                    f"`harvest reconcile --lake {lake_root}` to make the database match the lake"
                )
    log.warning("catalog database does not reflect lake version %s (note: %s): reconciling", version, note)
    return reconcile(spark, lake_root, db_url, version, sources, repair=True, run_id=run_id)
