"""Make the catalog database match the lake's current version, and say how far apart they were.

The lake is the source of truth. The lake version's records are staged into the database
(catalog.lake_snapshot, by Spark tasks with COPY, as load publishes), and compared there with the
published datasets (public.dataset with its harvest_record) record by record: rows *missing* from the
database, *extra* rows the lake does not hold, and *stale* rows whose content hash, slug, DCAT document
(compared as jsonb) or spatial shape differ. Repairing first removes the jobs of a load that stopped
before the lake took its changes (their records, and the datasets those records published, go with
them), then deletes the extra and stale rows and publishes the lake's records in their place, in one
transaction that also notes the version the table now reflects (see db_sync). A record put back
points at the latest harvest_record that published the same content; when none is left, a record of
its own is written in a ``reconcile`` job (without ``source_raw``: the lake keeps no source text).
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
from transforms.publish.datagov import register_sources
from transforms.publish.db_config import resolve_db_url
from transforms.publish.db_sync import APPLYING, SYNCED, lake_key, read_note, write_note
from transforms.publish.postgres import UTC_NOW, connect, ensure_schema
from transforms.publish.spatial import translated_spatial
from transforms.registry import Source

log = logging.getLogger(__name__)

COLUMNS = ["source_id", "identifier", "slug", "content_hash", "dcat_json", "record_type"]
TIMES = ["first_harvested", "last_harvested"]
STAGED = "staged long, unrepresentable long, examples array<string>"
EXAMPLES = 5
SAME_KEY = "s.snapshot_id = %(id)s AND s.dataset_id = d.id"
DIFFERS = """(r.source_hash IS DISTINCT FROM s.content_hash OR d.slug IS DISTINCT FROM s.slug
    OR d.dcat IS DISTINCT FROM s.dcat_json::jsonb OR d.translated_spatial IS DISTINCT FROM s.translated_spatial::jsonb)"""
PUBLISHED = "public.dataset AS d JOIN public.harvest_record AS r ON r.id = d.harvest_record_id"
# How a database row is named in the examples: its registry source and identifier.
DATABASE_KEY = """coalesce((SELECT k.source_id FROM catalog.source_key AS k WHERE k.harvest_source_id = d.harvest_source_id),
    d.harvest_source_id) || ' / ' || r.identifier"""
# name -> (how a row is named, the rows that differ that way)
DRIFT = {
    "missing": (
        "s.source_id || ' / ' || s.identifier",
        "FROM catalog.lake_snapshot AS s WHERE s.snapshot_id = %(id)s AND NOT EXISTS "
        "(SELECT 1 FROM public.dataset AS d WHERE d.id = s.dataset_id)",
    ),
    "extra": (
        DATABASE_KEY,
        f"FROM {PUBLISHED} WHERE NOT EXISTS (SELECT 1 FROM catalog.lake_snapshot AS s WHERE {SAME_KEY})",
    ),
    "stale": (
        DATABASE_KEY,
        f"FROM {PUBLISHED} JOIN catalog.lake_snapshot AS s ON {SAME_KEY} WHERE {DIFFERS}",
    ),
}
# The harvest_record that last published a lake record's content, if the database still holds one.
LATEST_RECORD = """SELECT r.id FROM public.harvest_record AS r
    WHERE r.harvest_source_id = catalog.harvest_id('harvest-source', s.source_id)
        AND r.record_type = catalog.datagov_record_type(s.record_type) AND r.identifier = s.identifier
        AND r.status = 'success' AND r.action IN ('create', 'update') AND r.source_hash = s.content_hash
    ORDER BY r.date_created DESC LIMIT 1"""
MISSING = (
    "s.snapshot_id = %(id)s AND NOT EXISTS (SELECT 1 FROM public.dataset AS d WHERE d.id = s.dataset_id)"
)
# A load that stopped before the lake took its changes: its jobs go, with their records and the datasets
# those records published (ON DELETE CASCADE); the lake's versions are put back below.
ABANDONED_JOBS = """DELETE FROM public.harvest_job WHERE id IN (SELECT catalog.harvest_id('harvest-job', %(run_id)s,
    k.source_id) FROM catalog.source_key AS k)"""
# Lake records of a source neither the registry given nor the database knows (the manifest of the run that
# wrote the version is gone): a placeholder source and organization, named by the source id, as migration
# 0004 makes them, until a load registers the source (register_sources rewrites both).
UNKNOWN_SOURCES = "SELECT DISTINCT s.source_id FROM catalog.lake_snapshot AS s WHERE s.snapshot_id = %(id)s AND NOT EXISTS (SELECT 1 FROM catalog.source_key AS k WHERE k.source_id = s.source_id)"
PLACEHOLDERS = [
    f"""INSERT INTO public.organization (id, name, slug)
SELECT catalog.harvest_id('organization', u.source_id), u.source_id, 'source-' || u.source_id FROM ({UNKNOWN_SOURCES}) AS u
ON CONFLICT DO NOTHING""",
    f"""INSERT INTO public.harvest_source (id, organization_id, name, url, frequency, schema_type, source_type,
    notification_frequency)
SELECT catalog.harvest_id('harvest-source', u.source_id), catalog.harvest_id('organization', u.source_id), u.source_id,
    'urn:harvest-source:' || u.source_id, 'manual', 'dcatus1.1: federal', 'document', 'on_error'
FROM ({UNKNOWN_SOURCES}) AS u ON CONFLICT DO NOTHING""",
    f"""INSERT INTO catalog.source_key (source_id, harvest_source_id)
SELECT u.source_id, catalog.harvest_id('harvest-source', u.source_id) FROM ({UNKNOWN_SOURCES}) AS u""",
]
REPAIR = [
    f"DELETE FROM public.dataset AS d WHERE NOT EXISTS (SELECT 1 FROM catalog.lake_snapshot AS s WHERE {SAME_KEY})",
    f"""DELETE FROM public.dataset AS d USING catalog.lake_snapshot AS s, public.harvest_record AS r
    WHERE {SAME_KEY} AND r.id = d.harvest_record_id AND {DIFFERS}""",
    f"""INSERT INTO public.harvest_job (id, harvest_source_id, status, job_type, date_created, date_finished,
    records_total, records_added, records_updated, records_deleted, records_errored, records_ignored,
    records_validated, records_warned)
SELECT catalog.harvest_id('harvest-job', %(id)s, s.source_id), catalog.harvest_id('harvest-source', s.source_id),
    'complete', 'reconcile', {UTC_NOW}, {UTC_NOW}, count(*), count(*), 0, 0, 0, 0, count(*), 0
FROM catalog.lake_snapshot AS s WHERE {MISSING} AND NOT EXISTS ({LATEST_RECORD}) GROUP BY s.source_id""",
    f"""INSERT INTO public.harvest_record (id, identifier, harvest_job_id, harvest_source_id, source_hash,
    date_created, date_finished, action, status, record_type)
SELECT catalog.harvest_id('harvest-record', %(id)s, s.source_id, s.identifier), s.identifier,
    catalog.harvest_id('harvest-job', %(id)s, s.source_id), catalog.harvest_id('harvest-source', s.source_id),
    s.content_hash, {UTC_NOW}, {UTC_NOW}, 'create', 'success', catalog.datagov_record_type(s.record_type)
FROM catalog.lake_snapshot AS s WHERE {MISSING} AND NOT EXISTS ({LATEST_RECORD})""",
    f"""INSERT INTO public.dataset (id, slug, dcat, organization_id, harvest_source_id, harvest_record_id,
    last_harvested_date, translated_spatial, type)
SELECT s.dataset_id, s.slug, s.dcat_json::jsonb, h.organization_id, h.id, ({LATEST_RECORD}),
    coalesce(s.last_harvested::timestamptz, now()) AT TIME ZONE 'UTC', s.translated_spatial::jsonb,
    catalog.datagov_record_type(s.record_type)
FROM catalog.lake_snapshot AS s JOIN public.harvest_source AS h ON h.id = catalog.harvest_id('harvest-source', s.source_id)
WHERE {MISSING}""",
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
        names = ", ".join(["snapshot_id", *COLUMNS, *TIMES, "last_run_id", "translated_spatial"])
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
                    copy.write_row((snapshot_id, *record, translated_spatial(record[4])))
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
            rows = _count(conn, "SELECT count(*) FROM public.dataset")
            drift = Drift(version, staged + skipped, rows, unrepresentable=skipped)
            args = {"id": snapshot_id}
            for name, (key, where) in DRIFT.items():
                drift.counts[name] = _count(conn, f"SELECT count(*) {where}", args)
                found = conn.execute(f"SELECT {key} {where} ORDER BY 1 LIMIT {EXAMPLES}", args).fetchall()
                drift.examples[name] = [example for (example,) in found]
            if repair:
                register_sources(conn, sources)
                note = read_note(conn)
                if (
                    note
                    and note.state == APPLYING
                    and note.lake == lake_key(lake_root)
                    and note.version != version
                ):
                    conn.execute(ABANDONED_JOBS, {"run_id": note.run_id})
                for statement in [*PLACEHOLDERS, *REPAIR]:
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
            rows = _count(conn, "SELECT count(*) FROM public.dataset")
            if rows:
                owner = "was never reconciled with a lake" if note is None else f"reflects lake {note.lake}"
                raise DatabaseNotReconciled(
                    f"the catalog database holds {rows} datasets and {owner}, not {lake_key(lake_root)}; "
                    f"load will not overwrite it. Check the database and lake are the right pair, then run "
                    f"`harvest reconcile --lake {lake_root}` to make the database match the lake"
                )
    log.warning("catalog database does not reflect lake version %s (note: %s): reconciling", version, note)
    return reconcile(spark, lake_root, db_url, version, sources, repair=True, run_id=run_id)
