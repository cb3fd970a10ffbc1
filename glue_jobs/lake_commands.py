"""The operator's commands on a lake (a folder or an s3:// URI): report, rollback, prune.

None of them starts Spark. rollback switches ``CURRENT`` through catalog_state's own pointer
functions, and rollback and prune record what they did in ``catalog/HISTORY.jsonl``.
"""

import json
import sys

from glue_jobs.exit_codes import FAILED, OK, UsageError, exit_code
from glue_jobs.run_command import read_report, report_path
from transforms import lake
from transforms.publish.catalog_state import read_pointer, switch_pointer
from transforms.publish.history import record_history
from transforms.schemas import RunOutcome, RunStatus, SourceState


def runs_by_start(lake_root: str) -> list[str]:
    """The lake's run ids, oldest first: by the start time extract recorded, then by id.

    Glue's run ids (wr_…) do not sort by time, so the id alone cannot order them.
    """
    runs = lake.list_folders(lake.join(lake_root, "runs"))

    def started(run_id: str) -> str:
        text = lake.read_text(lake.run_path(lake_root, run_id, "run.json"))
        return (json.loads(text).get("started") or "") if text else ""

    return sorted(runs, key=lambda run_id: (started(run_id), run_id))


def outcome_of(report: dict) -> str:
    """A report's outcome; reports written before ``outcome`` existed are judged from their status."""
    if report.get("outcome"):
        return report["outcome"]
    if report.get("status") != RunStatus.SUCCEEDED:
        return RunOutcome.FAILED
    stopped = any(
        source.get("status") in (SourceState.FAILED, SourceState.HELD) for source in report.get("sources", [])
    )
    return RunOutcome.PARTIAL if stopped else RunOutcome.COMPLETE


def show_report(lake_root: str, run_id: str | None) -> int:
    """Print a run's summary (default: the newest run with a report); the exit code follows its outcome."""
    from transforms.publish.report_text import format_report_text

    if run_id is None:
        reported = [run for run in runs_by_start(lake_root) if lake.read_text(report_path(lake_root, run))]
        run_id = reported[-1] if reported else None
    report = read_report(lake_root, run_id) if run_id else None
    if run_id is None or report is None:
        raise UsageError(f"no report for {run_id or 'any run'} in {lake_root}")
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


def catalog_versions(lake_root: str) -> list[str]:
    """The catalog versions the lake holds."""
    return lake.list_folders(lake.join(lake_root, "catalog", "versions"))


def rollback(lake_root: str, version: str, yes: bool = False) -> int:
    """Make an earlier catalog version current again, after a confirmation; recorded in the history."""
    current = read_pointer(lake_root).get("version")
    versions = catalog_versions(lake_root)
    if version not in versions:
        raise UsageError(
            f"no catalog version {version} in {lake_root}; versions: {', '.join(versions) or 'none'}"
        )
    if version == current:
        raise UsageError(f"catalog version {version} is already current")
    if not confirmed(f"switch the published catalog (CURRENT) from {current} back to {version}?", yes):
        print("rollback cancelled: CURRENT is unchanged", file=sys.stderr)
        return FAILED
    switch_pointer(lake_root, version, current)
    history = record_history(lake_root, "rollback", **{"from": current, "to": version})
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
    versions = sorted(catalog_versions(lake_root), key=lambda v: (order.get(v, -1), v))
    pointer = read_pointer(lake_root)
    kept_runs = set(runs[-keep:])
    protected = {pointer.get("version"), pointer.get("previous"), *versions[-keep:], *kept_runs}
    return [r for r in runs if r not in kept_runs], [v for v in versions if v not in protected]


def prune(lake_root: str, keep: int, yes: bool = False, dry_run: bool = False) -> int:
    """Remove old run folders and the catalog versions nothing needs any more."""
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
    current = read_pointer(lake_root).get("version")  # read again: a run may have finished meanwhile
    removed = [version for version in versions if version != current]
    for version in removed:
        lake.remove_tree(lake.join(lake_root, "catalog", "versions", version))
    history = record_history(lake_root, "prune", keep=keep, runs=runs, versions=removed)
    print(f"removed {len(runs)} run folders and {len(removed)} catalog versions; recorded in {history}")
    return OK
