"""`harvest run` and `harvest resume` on this machine: checks first, the workflow, then one honest last line.

The exit code says how the run went (see ``harvest_cli.exit_codes``): 0 every source completed, 3
some source failed or was held, 1 a stage failed, 2 nothing started (a configuration error),
130 interrupted. A run that stopped early still leaves a report saying where and why.
"""

import contextlib
import json
import logging
import sys
from datetime import UTC, datetime

from glue_jobs.arguments import new_run_id
from harvest_cli import terminal
from harvest_cli.exit_codes import FAILED, INTERRUPTED, UsageError, exit_code, one_line
from harvest_cli.interrupts import cancel_spark_jobs, second_signal_exits, signals_interrupt
from harvest_cli.preflight import absolute_uri, checked_java, checked_lake, checked_registry, resolved_lake
from transforms import lake
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import CatalogPointerError, current_version
from transforms.lake.manifest import check_no_source_removed, manifest_uri
from transforms.registry import RegistryError, parse_registry
from transforms.schemas import RunOutcome, RunStatus

progress = logging.getLogger(terminal.PROGRESS_LOGGER)
# What a stage writes under runs/<run_id>/ (an interrupted stage's partial output is removed).
STAGE_FOLDERS = {"validate": ("validate", "quality"), "load": ("load", "report")}


def report_path(lake_root: str, run_id: str, name: str = "report.json") -> str:
    """Where a run's report (or report.html) is."""
    return lake.join(lake.run_path(lake_root, run_id, "report"), name)


def read_report(lake_root: str, run_id: str) -> dict | None:
    """A run's report.json, or None when it has none."""
    text = lake.read_text(report_path(lake_root, run_id))
    return json.loads(text) if text else None


def run_of_version(version: str) -> str:
    """The run that wrote a version: ``<run_id>`` or, for a load rerun after a crash, ``<run_id>.<n>``."""
    return version.split(".", 1)[0]


def run_started(lake_root: str, run_id: str) -> str | None:
    """When a run started, as extract pinned it in the run's manifest (None before extract ran)."""
    text = lake.read_text(manifest_uri(lake_root, run_id))
    return json.loads(text).get("started") if text else None


def runs_by_start(lake_root: str) -> list[str]:
    """The lake's run ids, oldest first: by the start time extract recorded, then by id.

    Glue's run ids (wr_…) do not sort by time, so the id alone cannot order them.
    """
    runs = lake.run_ids(lake_root)
    return sorted(runs, key=lambda run_id: (run_started(lake_root, run_id) or "", run_id))


RECENT_RUNS_NAMED = 5  # how many run ids the refusal of an unknown one lists


def no_such_run(lake_root: str, run_id: str) -> UsageError:
    """The refusal of a run id the lake has no run of, naming its most recent runs (a typo, most likely)."""
    recent = runs_by_start(lake_root)[-RECENT_RUNS_NAMED:]
    named = f"recent runs: {', '.join(reversed(recent))}" if recent else "it has no run yet"
    return UsageError(f"no run {run_id} in {lake_root}; {named}")


def published_by(lake_root: str, run_id: str) -> bool:
    """True when the current catalog version is one this run wrote (strictly read: a broken pointer raises)."""
    return run_of_version(current_version(lake_root) or "") == run_id


def catalog_note(lake_root: str, run_id: str) -> str:
    """What a stopped run did to the catalog, read from the pointer (never assumed)."""
    try:
        current = current_version(lake_root)
    except Exception as error:  # noqa: BLE001 - a broken pointer is reported, not raised, here
        return f"the catalog pointer could not be read ({one_line(error)})"
    if current is not None and run_of_version(current) == run_id:
        return f"this run's catalog version {run_id} was published"
    return f"the catalog is unchanged (current version: {current or 'none'})"


def remove_partial_output(lake_root: str, run_id: str, stage: str) -> None:
    """Remove what an interrupted stage half-wrote: its folders, and an unpublished catalog version of load."""
    for folder in STAGE_FOLDERS.get(stage, (stage,)):
        lake.remove_tree(lake.run_path(lake_root, run_id, folder))
    if stage == "load" and not published_by(lake_root, run_id):
        lake.remove_tree(lake.join(lake_root, "catalog", "versions", run_id))


def write_stopped_report(lake_root: str, run_id: str, result, options: dict) -> str:
    """report.json (and .html) of a run that failed or was interrupted; returns its message.

    Writing it must never turn into a second error: a lake that cannot be written is said in one line.
    """
    from transforms.reports.report_html import render_report_html

    interrupted = result.interrupted_stage is not None
    stage = result.interrupted_stage or result.failed_stage
    note = catalog_note(lake_root, run_id)
    if interrupted:
        message = f"the run was interrupted during {stage}; {note}"
    else:
        message = f"the {stage} job failed: {result.error}; {note}"
    report = {
        "run_id": run_id,
        "status": RunStatus.INTERRUPTED if interrupted else RunStatus.FAILED,
        "outcome": RunOutcome.INTERRUPTED if interrupted else RunOutcome.FAILED,
        ("interrupted_stage" if interrupted else "failed_stage"): stage,
        "message": message,
        "error": None if interrupted else result.error,
        "started": run_started(lake_root, run_id),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "lake": lake_root,
        "options": options,
        "sources": [],
        "totals": {},
    }
    try:
        lake.write_text(
            report_path(lake_root, run_id), json.dumps(report, indent=2) + "\n", "application/json"
        )
        html = render_report_html(report)
        lake.write_text(report_path(lake_root, run_id, "report.html"), html, "text/html; charset=utf-8")
        from transforms.reports.history_html import record_run_history

        record_run_history(lake_root, report)
    except Exception as error:  # noqa: BLE001 - the run's own error is the one that matters
        print(f"harvest: the report could not be written to the lake: {one_line(error)}", file=sys.stderr)
    return message


def record_stopped_run(lake_root: str, run_id: str, result, options: dict) -> None:
    """A run that stopped early: cancel its Spark work and remove its partial output when it was interrupted,
    then write its report (``result.message`` is what it says). Called while the run still holds the lake."""
    stage = result.interrupted_stage or result.failed_stage
    with second_signal_exits():
        if result.interrupted_stage:
            with contextlib.suppress(Exception):
                cancel_spark_jobs()
            with contextlib.suppress(Exception):
                remove_partial_output(lake_root, run_id, stage)
        result.message = write_stopped_report(lake_root, run_id, result, options)


def finish_run(lake_root: str, run_id: str, result, debug: bool = False) -> int:
    """Report how the run ended; returns its exit code. The last line says it all."""
    stage = result.interrupted_stage or result.failed_stage
    if stage:
        if debug and result.traceback:
            print(result.traceback, file=sys.stderr)
        progress.info(f"report: {report_path(lake_root, run_id, 'report.html')}")
        progress.info(f"to continue from {stage}: harvest resume {run_id} --lake {lake_root}")
        print(f"run {run_id}: {result.message}", file=sys.stderr)
        return INTERRUPTED if result.interrupted_stage else FAILED
    report = read_report(lake_root, run_id)
    html = report_path(lake_root, run_id, "report.html")
    if report is None:  # load succeeded, so this is a lake that lost it: say so, never "complete"
        print(f"run {run_id}: every job succeeded, but there is no report at {html}", file=sys.stderr)
        return FAILED
    progress.info(f"report: {report_path(lake_root, run_id)}")
    if report.get("dry_run"):
        print(f"run {run_id} was a dry run: nothing was published")
    summary = terminal.sources_summary(report)
    if summary:
        print(f"{summary}: see {html}")
    else:
        totals = {name: report.get("totals", {}).get(name, 0) for name in ("created", "updated", "deleted")}
        changed = terminal.counts_text(totals) or "no change"
        print(
            f"run {run_id} complete: {terminal.plural(len(report.get('sources', [])), 'source')}, {changed}: see {html}"
        )
    return exit_code(report.get("outcome"))


def run_harvest(
    sources: str,
    lake_root: str = "lake",
    run_id: str | None = None,
    force: bool = False,
    only_sources: str = "",
    db_url: str = "",
    *,
    publish_as: str = "",
    start_at: str | None = None,
    mode: str = terminal.NORMAL,
    debug: bool = False,
    dry_run: bool = False,
    new_lake: bool = False,
    due_only: bool = False,
    clear: bool = False,
) -> int:
    """Run the workflow locally (from ``start_at``); print progress and the last line. Returns the exit code.

    Which sources: ``only_sources`` (whatever their schedule), else with ``due_only`` those due by their
    frequency, else every enabled one (transforms.lake.manifest). ``clear`` withdraws the only_sources'
    records (`harvest clear`).

    Raises UsageError (exit code 2) before Spark starts for a bad registry, an unknown source id, a
    registry that drops a source the catalog still publishes, a catalog database URL that is not one,
    a lake that does not exist (unless ``new_lake``: then it is made) or cannot be written, or a Java
    that Spark cannot start.
    """
    from glue_jobs.runtime import jvm_console_level
    from harvest_cli.workflow import run_workflow
    from transforms.publish.db_config import DatabaseUrlError, configured_db_url

    job_log_level = terminal.configure(mode)
    try:
        configured_db_url(db_url)  # the jobs read it again; checked here so a bad one never starts Spark
    except DatabaseUrlError as error:
        raise UsageError(str(error)) from None
    try:
        run_id = lake.check_run_id(run_id) if run_id else new_run_id()
    except lake.InvalidRunId as error:
        raise UsageError(str(error)) from None
    if due_only and only_sources.strip():
        raise UsageError("--only-sources names the sources itself, whatever their schedule: drop --due-only")
    selected = checked_registry(sources, only_sources)
    checked_java()  # before the lake: a refused run makes no new lake
    lake_root, sources = checked_lake(lake_root, new_lake), absolute_uri(sources)
    held_by = lake_lock.holder(lake_root)
    if held_by is not None:  # refused before Spark starts; run_workflow takes the lock itself
        raise UsageError(str(lake_lock.refusal(lake_root, run_id, held_by)))
    if start_at is None:  # extract pins the run and checks this again; here it is refused before Spark
        try:
            check_no_source_removed(
                lake_root, current_version(lake_root), parse_registry(lake.read_text(sources) or "")
            )
        except RegistryError as error:
            raise UsageError(f"{sources}: {error}") from None
        except CatalogPointerError:
            pass  # a broken pointer is extract's to report, in the run's report, as it always was
    picked = "the sources due of " if due_only else ""
    progress.info(
        f"harvest run {run_id}: {picked}{terminal.plural(len(selected), 'source')}, lake {lake_root}"
    )
    options = {
        "sources": sources,
        "only_sources": only_sources,
        "force": force,
        "publish_as": publish_as,
        "dry_run": dry_run,
        "due_only": due_only,
        "clear": clear,
    }
    overrides = {
        "lake": lake_root,
        "sources": sources,
        "run-id": run_id,
        "force": str(force).lower(),
        "only-sources": only_sources,
        "db-url": db_url,
        "publish-as": publish_as,
        "log-level": job_log_level,
        "dry-run": str(dry_run).lower(),
        "due-only": str(due_only).lower(),
        "clear": str(clear).lower(),
    }
    try:
        # No Java stack trace reaches the terminal: the stage's error is one line; --debug shows the JVM's log.
        with signals_interrupt(), jvm_console_level("error" if debug else "off"):
            result = run_workflow(
                overrides,
                start_at=start_at,
                on_stop=lambda stopped: record_stopped_run(lake_root, run_id, stopped, options),
            )
    except lake_lock.LakeLocked as error:
        raise UsageError(str(error)) from None
    return finish_run(lake_root, run_id, result, debug)


def stage_to_resume(lake_root: str, run_id: str) -> str:
    """The first stage a run did not finish; UsageError when it finished every stage.

    The run's progress record says which stages finished (transforms.lake.progress), and which code ran
    them: one that other code ran is run again, from the first such stage (``_first_to_run``). A run
    without a record (a Glue run, or one from before the record) resumes where its stopped report says,
    else from load when its catalog version is current (every stage before load finished), else from
    extract.
    """
    from harvest_cli.workflow import job_graph, load_template
    from transforms.lake.progress import completed_stages

    completed = completed_stages(lake_root, run_id)
    report = read_report(lake_root, run_id)
    if completed is not None:
        missing = [step.stage for step in job_graph(load_template()) if step.stage not in completed]
        if missing:
            return _first_to_run(lake_root, run_id, missing[0])
    elif report is None:
        return "load" if published_by(lake_root, run_id) else "extract"
    elif stopped_at := report.get("failed_stage") or report.get("interrupted_stage"):
        return stopped_at
    if report is None:
        raise UsageError(f"run {run_id} finished every stage: nothing to resume")
    raise UsageError(f"run {run_id} did not stop early (outcome {report.get('outcome')}): nothing to resume")


def _first_to_run(lake_root: str, run_id: str, unfinished: str) -> str:
    """The run's first ``unfinished`` stage, or the first finished one that other code ran (upgraded or
    changed since): from there on, this code writes every table it reads. Once the run's catalog version
    is published, load finishes it from where it is, with a warning."""
    from transforms.lake.progress import stages_run_by_other_code

    other = stages_run_by_other_code(lake_root, run_id)
    if not other:
        return unfinished
    ran = f"run {run_id}: {', '.join(other)} ran under other code than this (upgraded or changed since)"
    if published_by(lake_root, run_id):
        progress.warning(f"{ran}; its catalog version is published, so {unfinished} finishes it as it is")
        return unfinished
    progress.info(f"{ran}: {other[0]} and every stage after it run again with this code")
    return other[0]


def resume_options(lake_root: str, run_id: str) -> dict:
    """The options a run was started with: its manifest's, or its stopped report's when extract never pinned it."""
    from transforms.lake.manifest import read_manifest

    if lake.read_text(manifest_uri(lake_root, run_id)) is not None:
        manifest = read_manifest(lake_root, run_id)
        return {
            "sources": manifest.registry_uri,
            "only_sources": manifest.only_sources,
            "force": manifest.force,
            "publish_as": manifest.publish_as,
            "dry_run": manifest.dry_run,
            "due_only": manifest.due_only,
            "clear": manifest.clear,
        }
    options = (read_report(lake_root, run_id) or {}).get("options") or {}
    if not options.get("sources"):
        raise UsageError(f"run {run_id} does not say which registry it used: run it again instead")
    return options


def resume_harvest(
    run_id: str, lake_root: str, db_url: str = "", mode: str = terminal.NORMAL, debug: bool = False
) -> int:
    """Finish a run that stopped early (failed, interrupted or killed), from the first stage it did not finish.

    It runs with the run's own options. The lock of a run killed on this machine is taken over (its
    process is gone); any other holder is refused as ``harvest run`` refuses it.
    """
    terminal.configure(mode)
    try:
        holds_the_run = lake.folder_exists(lake.run_path(resolved_lake(lake_root), run_id))
    except lake.InvalidRunId as error:
        raise UsageError(str(error)) from None
    lake_root = checked_lake(lake_root, new_lake=holds_the_run)  # a lake made before lakes had a mark
    if not lake.folder_exists(lake.run_path(lake_root, run_id)):
        raise no_such_run(lake_root, run_id)
    stage = stage_to_resume(lake_root, run_id)
    options = resume_options(lake_root, run_id)
    if lake_lock.reclaim(lake_root, run_id):
        progress.info(f"run {run_id} was killed holding the lake: its lock is taken over")
    progress.info(f"resuming run {run_id} from {stage}")
    return run_harvest(
        options["sources"],
        lake_root,
        run_id,
        bool(options.get("force")),
        options.get("only_sources") or "",
        db_url,
        publish_as=options.get("publish_as") or "",
        start_at=stage,
        mode=mode,
        debug=debug,
        dry_run=bool(options.get("dry_run")),
        due_only=bool(options.get("due_only")),
        clear=bool(options.get("clear")),
    )
