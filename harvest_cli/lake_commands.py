"""The operator's commands on a lake (a folder or an s3:// URI): report, rollback, prune, reconcile,
unlock and pointer.

None of them but reconcile starts Spark. Every command that changes the lake takes the lake lock
first, so it never races a run. rollback and pointer move ``CURRENT`` through catalog_state's own
functions (a version must be complete); rollback and prune record what they did in
``catalog/HISTORY.jsonl``. The logic lives in transforms/: reconcile.py, lake_lock.py, catalog_state.py.
"""

import contextlib
import sys
from collections.abc import Iterator

from glue_jobs.arguments import new_run_id
from harvest_cli.exit_codes import FAILED, OK, CommandError, UsageError, exit_code
from harvest_cli.preflight import checked_java, existing_lake, readable_lake, resolved_lake
from harvest_cli.run_command import (
    no_such_run,
    read_report,
    report_path,
    run_of_version,
    run_started,
    runs_by_start,
)
from transforms import lake
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_history import record_history
from transforms.lake.catalog_state import (
    CatalogPointerError,
    complete_versions,
    damaged_versions,
    read_pointer,
    set_current,
)
from transforms.publish.db_config import DB_URL_ENVIRONMENT, configured_db_url
from transforms.schemas import NEEDS_ATTENTION, RunOutcome, RunStatus

# After CURRENT moved by hand, the catalog database still holds the version it replaced.
DATABASE_BEHIND = (
    "a catalog database no longer matches; the next load reconciles it (or run `harvest reconcile`)"
)


def outcome_of(report: dict) -> str:
    """A report's outcome; reports written before ``outcome`` existed are judged from their status."""
    if report.get("outcome"):
        return report["outcome"]
    if report.get("status") != RunStatus.SUCCEEDED:
        return RunOutcome.FAILED
    stopped = any(source.get("status") in NEEDS_ATTENTION for source in report.get("sources", []))
    return RunOutcome.PARTIAL if stopped else RunOutcome.COMPLETE


def show_report(lake_root: str, run_id: str | None) -> int:
    """Print a run's summary (default: the newest run with a report); the exit code follows its outcome."""
    from transforms.reports.report_text import format_report_text

    lake_root = readable_lake(lake_root)
    if run_id is None:
        reported = [run for run in runs_by_start(lake_root) if lake.read_text(report_path(lake_root, run))]
        run_id = reported[-1] if reported else None
    report = read_report(lake_root, run_id) if run_id else None
    if run_id is not None and report is None and run_started(lake_root, run_id):  # pinned, never reported
        raise UsageError(
            f"run {run_id} has no report: it is still running, or it stopped without writing one (killed); "
            f"once it no longer runs, `harvest resume {run_id} --lake {lake_root}` finishes it"
        )
    if run_id is None:
        raise UsageError(f"no run has been reported in {lake_root} yet")
    if report is None and not lake.folder_exists(lake.run_path(lake_root, run_id)):
        raise no_such_run(lake_root, run_id)
    if report is None:
        raise UsageError(f"run {run_id} in {lake_root} stopped before it pinned its inputs: it has no report")
    print(format_report_text(report), end="")
    print(f"report: {report_path(lake_root, run_id, 'report.html')}")
    return exit_code(outcome_of(report))


def confirmed(question: str, yes: bool) -> bool:
    """True when --yes was given or the person at the terminal answers y; refuses to guess without a terminal."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError(f"{question.rstrip('?')}: pass --yes to confirm without a terminal")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


@contextlib.contextmanager
def _holding_the_lake(lake_root: str, action: str) -> Iterator[str]:
    """Hold the lake lock while the block runs (yields the holder id), so it never races a run.

    UsageError when a run holds it.
    """
    holder_id = f"{action}-{new_run_id()}"
    try:
        lake_lock.acquire(lake_root, holder_id, reentrant=False)
    except lake_lock.LakeLocked as error:
        raise UsageError(str(error)) from None
    try:
        yield holder_id
    finally:
        lake_lock.release(lake_root, holder_id)


def rollback(lake_root: str, version: str, yes: bool = False) -> int:
    """Make an earlier complete catalog version current again, after a confirmation; recorded in the history."""
    current = (read_pointer(lake_root) or {}).get("version")
    versions, damaged = complete_versions(lake_root), damaged_versions(lake_root)
    if version in damaged:
        raise UsageError(
            f"catalog version {version} is damaged ({damaged[version]}): it cannot be made current"
        )
    if version not in versions:
        raise UsageError(
            f"no complete catalog version {version} in {lake_root}; versions: {', '.join(versions) or 'none'}"
        )
    if version == current:
        raise UsageError(f"catalog version {version} is already current")
    if not confirmed(f"switch the published catalog (CURRENT) from {current} back to {version}?", yes):
        print("rollback cancelled: CURRENT is unchanged", file=sys.stderr)
        return FAILED

    with _holding_the_lake(lake_root, "rollback"):
        set_current(lake_root, version)
        history = record_history(lake_root, "rollback", **{"from": current, "to": version})
        print(DATABASE_BEHIND)
        print(f"CURRENT switched from {current} to {version}; recorded in {history}")
    return OK


def prune_plan(lake_root: str, keep: int) -> tuple[list[str], list[str]]:
    """(run folders, catalog versions) that prune --keep N removes.

    Kept: the newest N runs; CURRENT, the version it replaced, the newest N versions and every kept
    run's own version. A failed run among the newest N resumes against a version still kept: at
    most N-1 versions were published after it started.
    """
    if keep < 1:
        raise UsageError("--keep must be at least 1")
    runs = runs_by_start(lake_root)
    order = {run_id: index for index, run_id in enumerate(runs)}
    folders = lake.list_folders(lake.join(lake_root, "catalog", "versions"))
    versions = sorted(folders, key=lambda v: (order.get(run_of_version(v), -1), v))
    pointer = read_pointer(lake_root) or {}
    kept_runs = set(runs[-keep:])
    protected = {pointer.get("version"), pointer.get("previous"), *versions[-keep:]}
    return [r for r in runs if r not in kept_runs], [
        v for v in versions if v not in protected and run_of_version(v) not in kept_runs
    ]


def prune(lake_root: str, keep: int, yes: bool = False, dry_run: bool = False) -> int:
    """Remove old run folders and the catalog versions nothing needs any more (holding the lake lock)."""
    with _holding_the_lake(lake_root, "prune"):
        return _prune(lake_root, keep, yes, dry_run)


def _prune(lake_root: str, keep: int, yes: bool, dry_run: bool) -> int:
    runs, versions = prune_plan(lake_root, keep)
    if not runs and not versions:
        print(f"nothing to prune: {lake_root} holds at most {keep} runs and the versions they need")
        return OK
    print(f"run folders to remove ({len(runs)}): {', '.join(runs) or 'none'}")
    print(f"catalog versions to remove ({len(versions)}): {', '.join(versions) or 'none'}")
    if dry_run or not confirmed(f"remove {len(runs)} run folders and {len(versions)} catalog versions?", yes):
        print("nothing was removed" + (" (dry run)" if dry_run else ""))
        return OK if dry_run else FAILED
    for run_id in runs:
        lake.remove_tree(lake.run_path(lake_root, run_id))
    current = (read_pointer(lake_root) or {}).get("version")  # read again: a run may have finished meanwhile
    removed = [version for version in versions if version != current]
    for version in removed:
        lake.remove_tree(lake.join(lake_root, "catalog", "versions", version))
    history = record_history(lake_root, "prune", keep=keep, runs=runs, versions=removed)
    print(f"removed {len(runs)} run folders and {len(removed)} catalog versions; recorded in {history}")
    return OK


def _pinned_sources(lake_root: str, version: str | None) -> list:
    """The full registry of the run that wrote ``version`` (organization and title of each source)."""
    from transforms.lake.catalog_state import version_info
    from transforms.lake.manifest import ManifestError, read_manifest
    from transforms.registry import parse_registry

    info = version_info(lake_root, version) if version else None
    try:
        return parse_registry(read_manifest(lake_root, info["run_id"]).registry) if info else []
    except (ManifestError, ValueError):
        return []


def reconcile_command(
    lake_value: str, db_url_argument: str, dry_run: bool, yes: bool = False, adopt_lake: bool = False
) -> int:
    """Compare the catalog database with the lake's CURRENT version, show the drift and, once confirmed,
    repair it (never with --dry-run).

    Refused (exit 2) before Spark starts: a lake that does not exist, and a database synced to another
    lake unless ``adopt_lake``. Without --yes the repair asks first, and without a terminal it is refused.
    """
    try:
        db_url = configured_db_url(db_url_argument)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not db_url:
        raise UsageError(
            f"no catalog database: set {DB_URL_ENVIRONMENT} (or pass --db-url without a password)"
        )
    lake_root = existing_lake(lake_value)
    with _holding_the_lake(lake_root, "reconcile") as holder_id:
        from glue_jobs.runtime import local_spark
        from transforms.lake.catalog_state import current_version
        from transforms.publish.reconcile import DatabaseOfAnotherLake, check_database_lake, staged_snapshot

        try:
            version = current_version(lake_root)
            check_database_lake(db_url, lake_root, adopt_lake)
        except (CatalogPointerError, DatabaseOfAnotherLake) as error:
            raise UsageError(str(error)) from None
        checked_java()
        spark = local_spark("harvest-reconcile")
        with staged_snapshot(
            spark, lake_root, db_url, version, _pinned_sources(lake_root, version)
        ) as snapshot:
            drift = snapshot.drift()
            print(drift.describe())
            if dry_run:
                print("dry run: the catalog database is unchanged")
                return FAILED if drift.total else OK
            question = f"repair the catalog database from lake {lake_root}: {drift.changes()}?"
            if drift.total and not confirmed(question, yes):
                print("reconcile cancelled: the catalog database is unchanged", file=sys.stderr)
                return FAILED
            repaired = snapshot.repair(drift, holder_id)
    print(f"repaired from the lake: {repaired.changes()}" if repaired.total else "nothing to repair")
    return OK


def unlock_command(lake_value: str, run_id: str | None) -> int:
    """Clear a lock a run left behind, after checking it names that run and no live local process holds it."""
    try:
        print(lake_lock.unlock(resolved_lake(lake_value), run_id))
    except lake_lock.LakeLocked as error:
        raise CommandError(str(error)) from None
    return OK


def pointer_command(lake_value: str, version: str | None) -> int:
    """Show catalog/CURRENT and the complete versions, or point CURRENT at a complete version."""
    lake_root = resolved_lake(lake_value)
    if version is None:
        try:
            pointer = read_pointer(lake_root)
            print(f"CURRENT: {pointer['version'] if pointer else '(none: a new lake)'}")
            code = OK
        except CatalogPointerError as error:
            print(f"CURRENT: {error}")
            code = FAILED
        print("complete versions, newest last: " + (", ".join(complete_versions(lake_root)[-10:]) or "none"))
        for name, reason in damaged_versions(lake_root).items():
            print(f"damaged version {name}: {reason}")
        return code
    with _holding_the_lake(lake_root, "pointer"):
        try:
            print(set_current(lake_root, version))
        except (CatalogPointerError, ValueError) as error:
            raise UsageError(str(error)) from None
    print(DATABASE_BEHIND)
    return OK


def add_lake_commands(commands, common, add_command) -> None:
    """Add reconcile, unlock and pointer (``add_command`` is the CLI's subcommand builder)."""
    from harvest_cli.parser import add_lake_option

    reconcile = add_command(
        commands,
        "reconcile",
        "compare the catalog database with the lake's current version and repair it",
        "Reads the lake's CURRENT catalog version, shows how the database differs (missing, extra and\n"
        "stale rows) and, once confirmed, makes the database hold exactly its records; with --dry-run it\n"
        "only reports the drift (exit code 1 when there is some). A database synced to another lake is\n"
        "refused unless --adopt-lake says this lake is now its lake.",
        "harvest reconcile --lake ./lake --dry-run",
        common,
    )
    add_lake_option(reconcile)
    reconcile.add_argument(
        "--db-url",
        default="",
        help=f"database URL without password, or a Secrets Manager ARN (default: ${DB_URL_ENVIRONMENT})",
    )
    reconcile.add_argument("--dry-run", action="store_true", help="report the drift, change nothing")
    reconcile.add_argument("--yes", action="store_true", help="repair without asking for a confirmation")
    reconcile.add_argument(
        "--adopt-lake",
        action="store_true",
        help="reconcile a database synced to another lake with this one (it becomes this lake's)",
    )
    reconcile.set_defaults(func=lambda a: reconcile_command(a.lake, a.db_url, a.dry_run, a.yes, a.adopt_lake))
    unlock = add_command(
        commands,
        "unlock",
        "clear the lake lock a failed or killed run left behind",
        "Clears the lock only when it names that run and no live process on this machine holds it.",
        "harvest unlock --lake ./lake --run-id 20261127T020000Z-1a2b3c",
        common,
    )
    add_lake_option(unlock)
    unlock.add_argument("--run-id", help="the run holding the lock (as the refusal names it)")
    unlock.set_defaults(func=lambda a: unlock_command(a.lake, a.run_id))
    pointer = add_command(
        commands,
        "pointer",
        "show catalog/CURRENT, or repair it with --set VERSION",
        "Without --set it prints the version CURRENT names and the newest complete versions; with --set\n"
        "it points CURRENT at a complete version (holding the lake lock).",
        "harvest pointer --lake ./lake --set 20261126T020000Z-9f8e7d",
        common,
    )
    add_lake_option(pointer)
    pointer.add_argument("--set", dest="version", help="a complete catalog version to make current")
    pointer.set_defaults(func=lambda a: pointer_command(a.lake, a.version))
