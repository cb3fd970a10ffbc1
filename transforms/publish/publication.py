"""Load's order of work, chosen so that a crash at any point is harmless or repaired by the next load.

1. Check: the run's pinned base must still be the lake's CURRENT (else the run is stale and refused),
   unless CURRENT is the version this run already published (a rerun: nothing is written again).
   The report's counts are checked by the caller before step 2; nothing is published before both.
2. Database (when there is one): if its note (db_sync) does not say it equals CURRENT, reconcile it
   from the lake first. Then note ``applying`` and apply the changes (one transaction per source).
3. Lake: write the new version, ``<run_id>`` or ``<run_id>.<n>`` (a folder no attempt used before:
   versions are never overwritten), with the changes the database did not refuse.
4. Switch CURRENT to it (one atomic write).
5. Note the database ``synced`` with the new CURRENT.

The database goes before the lake because the lake version must leave out what the database refused
(so the next run retries those records). The crash windows:

* in 2, or between 2 and 3 (database committed, no lake version): the note says ``applying``; the next
  load (or ``harvest reconcile``) puts the database back to CURRENT before applying anything;
* between 3 and 4 (version written, pointer not switched): the previous version stays current; the
  new folder is never read, and a rerun writes ``<run_id>.<n+1>``;
* between 4 and 5: CURRENT is the run's own version; a rerun finds it published and only reconciles
  the database (a no-op when every source committed).
"""

import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from transforms import lake
from transforms.kill_points import kill_point
from transforms.lake.catalog_state import (
    current_version,
    next_version_id,
    read_state,
    switch_pointer,
    version_info,
    write_version,
)
from transforms.lake.manifest import RunManifest
from transforms.publish.db_sync import APPLYING, SYNCED
from transforms.publish.next_version import accepted_changes, next_state, without_refused
from transforms.publish.slugs import assign_slugs
from transforms.registry import parse_registry

log = logging.getLogger(__name__)


class StaleRun(RuntimeError):
    """The run's base is no longer the current catalog version: its changes would undo newer ones."""


@dataclass(frozen=True)
class Plan:
    """What load found before publishing: the current version, and whether this run already published it."""

    current: str | None
    already_published: bool


@dataclass
class Publication:
    """What load published: the version now current, the changes applied, and the rows a database refused
    (None when it refused none)."""

    version: str | None
    changed: int
    refused: DataFrame | None


def plan_publication(lake_root: str, manifest: RunManifest) -> Plan:
    """Step 1: StaleRun unless the run's base is still CURRENT or CURRENT is the run's own version."""
    current = current_version(lake_root)
    info = version_info(lake_root, current) if current else None
    if info and info.get("run_id") == manifest.run_id:
        log.info(
            "catalog version %s was published by run %s already: nothing to write", current, manifest.run_id
        )
        return Plan(current, already_published=True)
    if current != manifest.base_version:
        raise StaleRun(
            f"run {manifest.run_id} was pinned to catalog version {manifest.base_version}, but the current "
            f"version is {current}: its changes were computed against an older catalog and would undo newer "
            "ones. Nothing was published; start a new run"
        )
    return Plan(current, already_published=False)


def publish_catalog(
    spark: SparkSession,
    lake_root: str,
    manifest: RunManifest,
    plan: Plan,
    validated: DataFrame,
    accepted_count: int,
    db_url: str,
    results_uri: str,
) -> Publication:
    """Steps 2 to 5 (see the module docstring).

    ``accepted_count``: how many accepted changes (creates, updates, deletes) ``validated`` holds, as the
    run's checked report counts them (created + updated + deleted), so no Spark job counts them again.
    """
    run_id, registry = manifest.run_id, parse_registry(manifest.registry)
    if db_url:
        from transforms.publish.connection import ensure_schema
        from transforms.publish.reconcile import ensure_database_matches

        ensure_schema(db_url)
        ensure_database_matches(spark, lake_root, db_url, plan.current, registry, run_id)
    if plan.already_published:
        refused = None
        if db_url and lake.folder_exists(results_uri):
            from transforms.publish.postgres import refused_rows

            refused, _ = _any_refused(refused_rows(spark, lake.spark_uri(results_uri)))
        _note_synced(db_url, lake_root, plan.current, run_id)
        return Publication(plan.current, 0, refused)
    if not db_url and not accepted_count:
        # Most days change nothing: no Spark work builds (and writes to disk) the accepted changes with
        # their slugs only to find none. A database still gets its pass below, which notes the run
        # whatever it applies.
        log.info("no accepted changes: catalog version %s stays current", plan.current)
        return Publication(plan.current, 0, None)
    state = read_state(spark, lake_root, plan.current)
    accepted = assign_slugs(accepted_changes(validated), state)
    if db_url:
        # Read twice, by the database's write and the version's: kept on disk between them, as extract's
        # caches (they carry each record's dataset JSON, the whole catalog on a first harvest; in memory
        # they filled the driver's heap in proportion to the run). Without a database only the version's
        # write reads them, and a cache would be one more write and read of every record's text.
        accepted = accepted.persist(StorageLevel.DISK_ONLY)
    version: str | None = next_version_id(lake_root, run_id)
    refused, refused_count = None, 0
    if db_url:
        from transforms.publish.postgres import publish_to_database

        _note(db_url, lake_root, APPLYING, version, run_id)
        refused, refused_count = _any_refused(
            publish_to_database(accepted, registry, db_url, run_id, lake.spark_uri(results_uri))
        )
    changed = accepted_count - refused_count  # the database refuses only accepted changes, each once
    if changed:
        assert version is not None
        applied = without_refused(accepted, refused)
        write_version(next_state(state, applied, run_id), lake_root, version, run_id, plan.current)
        switch_pointer(lake_root, version, plan.current)
        kill_point("load-after-pointer-switch")  # tests only: a run killed here is finished by resume
    else:
        log.info("no accepted changes: catalog version %s stays current", plan.current)
        version = plan.current
    _note_synced(db_url, lake_root, version, run_id)
    accepted.unpersist()
    return Publication(version, changed, refused)


def _any_refused(refused: DataFrame) -> tuple[DataFrame | None, int]:
    """(the refused rows, or None when there are none; how many)."""
    count = refused.count()
    return (refused if count else None), count


def _note(db_url: str, lake_root: str, state: str, version: str | None, run_id: str) -> None:
    from transforms.publish.connection import connect
    from transforms.publish.db_config import resolve_db_url
    from transforms.publish.db_sync import write_note

    with connect(resolve_db_url(db_url)) as conn:
        write_note(conn, lake_root, state, version, run_id)


def _note_synced(db_url: str, lake_root: str, version: str | None, run_id: str) -> None:
    if db_url:
        _note(db_url, lake_root, SYNCED, version, run_id)
