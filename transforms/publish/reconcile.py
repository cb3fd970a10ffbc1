"""Make the catalog database match the lake's current version, and say how far apart they were.

The lake is the source of truth. The lake version's records are staged into the database
(catalog.lake_snapshot, by Spark tasks with COPY, as load publishes), with the registry's organization
of each record's source joined in, and compared there with the published datasets (public.dataset with
its harvest_record) record by record: rows *missing* from the database, *extra* rows the lake does not
hold, and *stale* rows where any column load writes differs (``EXPECTED``: the dataset's slug, DCAT
document compared as jsonb, organization, harvest source, spatial shape and type, and the
harvest_record it points at: the record's identifier, source and content hash).

Repairing happens in one transaction that first counts again, with public.dataset locked against
writers, and refuses (DriftChanged, nothing repaired) when the drift is no longer what was shown. It
then brings the sources' harvest_source and organization rows up to date, removes the jobs of a load
that stopped before the lake took its changes (their records, and the datasets those records published,
go with them), deletes the extra and stale rows and publishes the lake's records in their place, and
notes the version the table now reflects (see db_sync). A record put back points at the latest
harvest_record that published the same content; when none is left, a record of its own is written in a
``reconcile`` job (without ``source_raw``: the lake keeps no source text).

A database whose note names another lake is not reconciled with this one unless the caller adopts
the lake (``harvest reconcile --adopt-lake``): it would replace that lake's catalog with this one's.
"""

import contextlib
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pandas as pd
import psycopg
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms.lake.catalog_state import read_state
from transforms.publish.connection import UTC_NOW, connect, ensure_schema
from transforms.publish.datagov import register_sources
from transforms.publish.db_config import resolve_db_url
from transforms.publish.db_sync import APPLYING, SYNCED, SyncNote, lake_key, read_note, write_note
from transforms.publish.spatial import translated_spatial
from transforms.registry import Source

log = logging.getLogger(__name__)

# The lake record's columns staged (dcat_json must stay fifth: _stage_partition reads it by position),
# then the registry's organization of its source (migration 0005).
COLUMNS = ["source_id", "identifier", "slug", "content_hash", "dcat_json", "record_type", "organization"]
TIMES = ["first_harvested", "last_harvested"]
STAGED = "staged long, unrepresentable long, examples array<string>"
EXAMPLES = 5
SAME_KEY = "s.snapshot_id = %(id)s AND s.dataset_id = d.id"
SOURCE_OF = "catalog.harvest_id('harvest-source', s.source_id)"
# Every public.dataset column load writes from a record (postgres.UPSERT) -> what it holds for the lake's
# record s. The organization is the registry's (staged), else the one the database gives the source (a
# source no registry names any more), else the placeholder reconcile makes for an unknown source.
# last_harvested_date is not compared: every run moves it (last_harvested.touch_database).
EXPECTED = {
    "slug": "s.slug",
    "dcat": "s.dcat_json::jsonb",
    "organization_id": f"""coalesce(catalog.harvest_id('organization', s.organization),
        (SELECT h.organization_id FROM public.harvest_source AS h WHERE h.id = {SOURCE_OF}),
        catalog.harvest_id('organization', s.source_id))""",
    "harvest_source_id": SOURCE_OF,
    "translated_spatial": "s.translated_spatial::jsonb",
    "type": "catalog.datagov_record_type(s.record_type)",
}
# ... and the harvest_record a dataset points at (harvest_record_id): a record of this dataset with its content.
EXPECTED_RECORD = {
    "identifier": "s.identifier",
    "harvest_source_id": SOURCE_OF,
    "source_hash": "s.content_hash",
    "record_type": "catalog.datagov_record_type(s.record_type)",
}
DIFFERS = (
    "("
    + "\n    OR ".join(
        [f"d.{column} IS DISTINCT FROM {value}" for column, value in EXPECTED.items()]
        + [f"r.{column} IS DISTINCT FROM {value}" for column, value in EXPECTED_RECORD.items()]
    )
    + ")"
)
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


class DatabaseOfAnotherLake(DatabaseNotReconciled):
    """The database holds rows and its note names another lake; only an explicit adoption re-points it."""


class DriftChanged(RuntimeError):
    """The database changed between the drift shown and the repair: nothing was repaired."""


def adopt_hint(lake_root: str) -> str:
    """How an operator re-points a database at a lake, when that is really what they mean."""
    return (
        f"if {lake_key(lake_root)} is now this database's lake, run `harvest reconcile --lake {lake_root} "
        "--adopt-lake` (it shows what would change and asks first)"
    )


def another_lake(note: SyncNote | None, rows: int, lake_root: str) -> DatabaseOfAnotherLake | None:
    """The refusal for a database holding rows whose note names a lake other than ``lake_root``, else None."""
    if note is None or note.lake == lake_key(lake_root) or not rows:
        return None
    return DatabaseOfAnotherLake(
        f"the catalog database holds {rows} datasets and is synced to lake {note.lake}, not "
        f"{lake_key(lake_root)}: making it match this lake would replace that lake's catalog. Check the "
        f"database and lake are the right pair; {adopt_hint(lake_root)}"
    )


def check_database_lake(db_url: str, lake_root: str, adopt: bool) -> None:
    """Before a reconciliation: DatabaseOfAnotherLake when the database is another lake's and not adopted.

    Cheap (no Spark): it reads the database's note and row count.
    """
    ensure_schema(db_url)
    with connect(resolve_db_url(db_url)) as conn:
        refusal = another_lake(
            read_note(conn), _count(conn, "SELECT count(*) FROM public.dataset"), lake_root
        )
    if refusal is not None and not adopt:
        raise refusal
    if refusal is not None:
        log.warning("adopting lake %s for a catalog database synced to another lake", lake_key(lake_root))


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
        if self.repaired and self.total:
            lines.append("repaired from the lake")
        return "\n".join(lines)

    def changes(self) -> str:
        """What a repair does to the database, in words."""
        counts = self.counts
        return (
            f"insert {counts.get('missing', 0)} missing rows, delete {counts.get('extra', 0)} extra rows "
            f"and replace {counts.get('stale', 0)} stale rows"
        )


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


def _stage(state: DataFrame, sources: list[Source], url: str, snapshot_id: str) -> tuple[int, int]:
    """Stage a lake version's records with their source's organization from the registry; (records staged,
    records PostgreSQL cannot hold)."""
    iso = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"  # with the offset, so the instant survives any time zone
    registry = state.sparkSession.createDataFrame(
        [(s.id, s.organization) for s in sources], "source_id string, organization string"
    )
    rows = state.join(F.broadcast(registry), on="source_id", how="left").select(
        *COLUMNS,
        *[F.date_format(name, iso).alias(name) for name in TIMES],
        F.col("last_changed_run").alias("last_run_id"),
    )
    totals = rows.mapInPandas(lambda batches: _stage_partition(batches, url, snapshot_id), STAGED).collect()
    return sum(r.staged for r in totals), sum(r.unrepresentable for r in totals)


@dataclass
class Snapshot:
    """A lake version's records staged in the database (deleted when ``staged_snapshot`` ends)."""

    url: str
    snapshot_id: str
    lake_root: str
    version: str | None
    staged: int
    unrepresentable: int
    sources: list[Source] = field(default_factory=list)

    def measure(self, conn: psycopg.Connection) -> Drift:
        """How the database differs from the staged version now."""
        rows = _count(conn, "SELECT count(*) FROM public.dataset")
        drift = Drift(
            self.version, self.staged + self.unrepresentable, rows, unrepresentable=self.unrepresentable
        )
        args = {"id": self.snapshot_id}
        for name, (key, where) in DRIFT.items():
            drift.counts[name] = _count(conn, f"SELECT count(*) {where}", args)
            found = conn.execute(f"SELECT {key} {where} ORDER BY 1 LIMIT {EXAMPLES}", args).fetchall()
            drift.examples[name] = [example for (example,) in found]
        return drift

    def drift(self) -> Drift:
        """Measure the drift (changes nothing)."""
        with connect(self.url) as conn:
            conn.execute("ANALYZE catalog.lake_snapshot")
            return self.measure(conn)

    def repair(self, shown: Drift, run_id: str) -> Drift:
        """Make the database hold exactly the staged records, in one transaction, and note it synced.

        The drift is counted again inside the transaction, with public.dataset locked against writers:
        DriftChanged (nothing repaired) when it is no longer ``shown``, what the operator agreed to.
        Then the sources' rows are brought up to date (``register_sources``), the jobs of a load that
        stopped before the lake took its changes removed, and the rows repaired.
        """
        with connect(self.url) as conn:
            conn.execute("LOCK TABLE public.dataset IN SHARE ROW EXCLUSIVE MODE")
            drift = self.measure(conn)
            if drift.counts != shown.counts:
                raise DriftChanged(
                    f"the catalog database changed while reconciling (drift was {shown.counts}, is now "
                    f"{drift.counts}): nothing was repaired; run the command again"
                )
            register_sources(conn, self.sources)
            note = read_note(conn)
            lake = lake_key(self.lake_root)
            if note and note.state == APPLYING and note.lake == lake and note.version != self.version:
                conn.execute(ABANDONED_JOBS, {"run_id": note.run_id})
            for statement in [*PLACEHOLDERS, *REPAIR]:
                conn.execute(statement, {"id": self.snapshot_id})
            write_note(conn, self.lake_root, SYNCED, self.version, run_id)
        drift.repaired = True
        log.info("reconcile %s", drift.describe().replace("\n", "; "))
        return drift


@contextlib.contextmanager
def staged_snapshot(
    spark: SparkSession, lake_root: str, db_url: str, version: str | None, sources: list[Source]
) -> Iterator[Snapshot]:
    """Stage a lake version's records in the database for the block; its rows are deleted at the end."""
    ensure_schema(db_url)
    url, snapshot_id = resolve_db_url(db_url), uuid.uuid4().hex
    try:
        staged, skipped = _stage(read_state(spark, lake_root, version), sources, url, snapshot_id)
        yield Snapshot(url, snapshot_id, lake_root, version, staged, skipped, sources)
    finally:
        with connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM catalog.lake_snapshot WHERE snapshot_id = %s", (snapshot_id,))


def reconcile(
    spark: SparkSession,
    lake_root: str,
    db_url: str,
    version: str | None,
    sources: list[Source],
    repair: bool = True,
    run_id: str = "reconcile",
) -> Drift:
    """Compare the database with a lake version and, unless ``repair`` is False, make it match (without asking:
    the CLI shows the drift and asks first, see ``harvest_cli.lake_commands``)."""
    with staged_snapshot(spark, lake_root, db_url, version, sources) as snapshot:
        drift = snapshot.drift()
        if repair:
            return snapshot.repair(drift, run_id)
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
            refusal = another_lake(note, rows, lake_root)
            if refusal is not None:
                raise refusal
            if rows:
                raise DatabaseNotReconciled(
                    f"the catalog database holds {rows} datasets and was never reconciled with a lake, not "
                    f"{lake_key(lake_root)}; load will not overwrite it. Check the database and lake are the "
                    f"right pair, then run `harvest reconcile --lake {lake_root}` to make the database match the lake"
                )
    # A new, empty database is filled from the lake as a matter of course; other drift is worth a warning.
    (log.info if note is None else log.warning)(
        "catalog database does not reflect lake version %s (note: %s): reconciling", version, note
    )
    return reconcile(spark, lake_root, db_url, version, sources, repair=True, run_id=run_id)
