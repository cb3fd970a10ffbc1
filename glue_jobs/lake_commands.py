"""`harvest reconcile`, `harvest unlock` and `harvest pointer`: the operator's commands for the lake's integrity.

Thin wrappers: the logic is in transforms/publish/reconcile.py, transforms/lake_lock.py and
transforms/publish/catalog_state.py.
"""

import argparse
import sys
from pathlib import Path

from glue_jobs.arguments import new_run_id
from transforms import lake, lake_lock
from transforms.publish.catalog_state import CatalogPointerError, complete_versions, read_pointer, set_current
from transforms.publish.db_config import DB_URL_ENVIRONMENT, configured_db_url


def _lake_root(value: str) -> str:
    return value if lake.is_s3(value) else str(Path(value).resolve())


def _fail(message: str, code: int = 2) -> int:
    print(f"harvest: {message}", file=sys.stderr)
    return code


def _pinned_sources(lake_root: str, version: str | None) -> list:
    """The full registry of the run that wrote ``version`` (organization and title of each source)."""
    from transforms.publish.catalog_state import version_info
    from transforms.registry import parse_registry
    from transforms.run_manifest import ManifestError, read_manifest

    info = version_info(lake_root, version) if version else None
    try:
        return parse_registry(read_manifest(lake_root, info["run_id"]).registry) if info else []
    except (ManifestError, ValueError):
        return []


def reconcile_command(lake_value: str, db_url_argument: str, dry_run: bool) -> int:
    """Compare the catalog database with the lake's CURRENT version and repair it (unless --dry-run)."""
    try:
        db_url = configured_db_url(db_url_argument)
    except ValueError as error:
        return _fail(str(error))
    if not db_url:
        return _fail(f"no catalog database: set {DB_URL_ENVIRONMENT} (or pass --db-url without a password)")
    lake_root, holder_id = _lake_root(lake_value), f"reconcile-{new_run_id()}"
    try:
        lake_lock.acquire(lake_root, holder_id, reentrant=False)
    except lake_lock.LakeLocked as error:
        return _fail(str(error))
    try:
        from glue_jobs.runtime import local_spark
        from transforms.publish.catalog_state import current_version
        from transforms.publish.reconcile import reconcile

        version = current_version(lake_root)
        spark = local_spark("harvest-reconcile")
        sources = _pinned_sources(lake_root, version)
        drift = reconcile(spark, lake_root, db_url, version, sources, repair=not dry_run, run_id=holder_id)
    except CatalogPointerError as error:
        return _fail(str(error))
    finally:
        lake_lock.release(lake_root, holder_id)
    print(drift.describe())
    return 1 if dry_run and drift.total else 0


def unlock_command(lake_value: str, run_id: str | None) -> int:
    """Clear a lock a run left behind, after checking it names that run and no live local process holds it."""
    try:
        print(lake_lock.unlock(_lake_root(lake_value), run_id))
    except lake_lock.LakeLocked as error:
        return _fail(str(error), 1)
    return 0


def pointer_command(lake_value: str, version: str | None) -> int:
    """Show catalog/CURRENT and the complete versions, or point CURRENT at a complete version."""
    lake_root = _lake_root(lake_value)
    if version is None:
        try:
            pointer = read_pointer(lake_root)
            print(f"CURRENT: {pointer['version'] if pointer else '(none: a new lake)'}")
            code = 0
        except CatalogPointerError as error:
            print(f"CURRENT: {error}")
            code = 1
        print("complete versions, newest last: " + (", ".join(complete_versions(lake_root)[-10:]) or "none"))
        return code
    holder_id = f"pointer-{new_run_id()}"
    try:
        lake_lock.acquire(lake_root, holder_id, reentrant=False)
    except lake_lock.LakeLocked as error:
        return _fail(str(error))
    try:
        print(set_current(lake_root, version))
    except (CatalogPointerError, ValueError) as error:
        return _fail(str(error))
    finally:
        lake_lock.release(lake_root, holder_id)
    print("a catalog database no longer matches; the next load reconciles it (or run `harvest reconcile`)")
    return 0


def add_lake_commands(commands: argparse._SubParsersAction) -> None:
    """Add reconcile, unlock and pointer to the harvest command's subcommands."""
    reconcile = commands.add_parser(
        "reconcile", help="compare the catalog database with the lake's current version and repair it"
    )
    reconcile.add_argument("--lake", required=True, help="lake root: a folder or an s3:// URI")
    reconcile.add_argument(
        "--db-url",
        default="",
        help=f"database URL without password, or a Secrets Manager ARN (default: ${DB_URL_ENVIRONMENT})",
    )
    reconcile.add_argument("--dry-run", action="store_true", help="report the drift, change nothing")
    reconcile.set_defaults(func=lambda a: reconcile_command(a.lake, a.db_url, a.dry_run))
    unlock = commands.add_parser("unlock", help="clear the lake lock a failed or killed run left behind")
    unlock.add_argument("--lake", required=True, help="lake root: a folder or an s3:// URI")
    unlock.add_argument("--run-id", help="the run holding the lock (as the refusal names it)")
    unlock.set_defaults(func=lambda a: unlock_command(a.lake, a.run_id))
    pointer = commands.add_parser("pointer", help="show catalog/CURRENT, or repair it with --set VERSION")
    pointer.add_argument("--lake", required=True, help="lake root: a folder or an s3:// URI")
    pointer.add_argument("--set", dest="version", help="a complete catalog version to make current")
    pointer.set_defaults(func=lambda a: pointer_command(a.lake, a.version))
