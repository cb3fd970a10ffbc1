"""Each source's history across runs, from the runs' own reports.

    runs/history.json    {"runs": [run summary, ...]}: the newest KEEP_RUNS runs, oldest first

(the history page, ``runs/index.html``, is drawn from it by ``transforms.reports.history_html``.)

A run summary is the small part of a run's report.json a history needs: the run's status, start,
duration and totals, and per source its status, reason and counts. Load adds its run (a run loaded
again replaces its entry), so a history costs one small read, not one read per run; when the file
is missing (a lake from before it, or one it was deleted from), it is rebuilt from every
``runs/*/report/report.json``. A run that failed before load has a report only when `harvest run`
wrote one; it is listed among the runs, and has no per-source figures.
"""

import json
from datetime import datetime

from transforms import lake
from transforms.schemas import COUNT_NAMES, SourceState

KEEP_RUNS = 200
SOURCE_FIELDS = ("status", "reason", *COUNT_NAMES, "deletes_held")
BAD_STATES = (SourceState.FAILED, SourceState.HELD)  # a streak of these is marked on the history page


def history_uri(lake_root: str) -> str:
    """Where the run summaries are kept."""
    return lake.join(lake_root, "runs", "history.json")


def _seconds(started: str | None, finished: str | None) -> float | None:
    try:
        return (
            datetime.fromisoformat(finished or "") - datetime.fromisoformat(started or "")
        ).total_seconds()
    except ValueError:
        return None


def run_summary(report: dict) -> dict:
    """The part of one report.json the history keeps."""
    return {
        "run_id": report.get("run_id"),
        "started": report.get("started"),
        "finished": report.get("finished"),
        "seconds": _seconds(report.get("started"), report.get("finished")),
        # complete | partial | failed | interrupted where the report says (older reports: their status)
        "status": report.get("outcome") or report.get("status"),
        "dry_run": bool(report.get("dry_run")),
        "failed_stage": report.get("failed_stage") or report.get("interrupted_stage"),
        "message": report.get("message"),
        "totals": report.get("totals") or {},
        "sources": {
            entry["source_id"]: {name: entry.get(name) for name in SOURCE_FIELDS}
            for entry in report.get("sources") or []
        },
    }


def _order(summary: dict) -> tuple:
    return (summary.get("started") or summary.get("finished") or "", summary.get("run_id") or "")


def _report_uris(lake_root: str) -> list[str]:
    """runs/<run_id>/report/report.json of every run folder (a run without a report reads as None)."""
    return [lake.run_path(lake_root, run_id, "report", "report.json") for run_id in lake.run_ids(lake_root)]


def scan_reports(lake_root: str) -> list[dict]:
    """Run summaries rebuilt from every report in the lake, oldest first."""
    summaries = []
    for uri in _report_uris(lake_root):
        text = lake.read_text(uri)
        try:
            summaries.append(run_summary(json.loads(text or "")))
        except ValueError:  # a report being written, or damaged: it is not history
            continue
    return sorted(summaries, key=_order)[-KEEP_RUNS:]


def read_history(lake_root: str) -> list[dict]:
    """The lake's run summaries, oldest first (rebuilt from the reports when the history file is missing)."""
    text = lake.read_text(history_uri(lake_root))
    if text is None:
        return scan_reports(lake_root)
    return json.loads(text)["runs"]


def record_run(lake_root: str, report: dict) -> list[dict]:
    """Add (or replace) a run's summary and write the history; returns the summaries."""
    summary = run_summary(report)
    runs = [run for run in read_history(lake_root) if run.get("run_id") != summary["run_id"]]
    runs = sorted([*runs, summary], key=_order)[-KEEP_RUNS:]
    lake.write_text(history_uri(lake_root), json.dumps({"runs": runs}) + "\n", "application/json")
    return runs


def source_runs(runs: list[dict], source_id: str) -> list[dict]:
    """One source's entries, oldest first: its figures in each run that harvested it, with the run's fields."""
    return [
        {
            "run_id": run["run_id"],
            "started": run.get("started"),
            "seconds": run.get("seconds"),
            "dry_run": run.get("dry_run"),
            **run["sources"][source_id],
        }
        for run in runs
        if source_id in (run.get("sources") or {})
    ]


def trailing_streak(entries: list[dict], bad=BAD_STATES) -> int:
    """How many of the latest entries in a row have a bad status (failed or held)."""
    count = 0
    for entry in reversed(entries):
        if entry.get("status") not in bad:
            break
        count += 1
    return count


def streak_members(entries: list[dict], bad=BAD_STATES, length: int = 2) -> set[int]:
    """Indexes of entries in runs of at least ``length`` consecutive bad statuses."""
    members: set[int] = set()
    run: list[int] = []
    for index, entry in enumerate([*entries, {}]):
        if entry.get("status") in bad:
            run.append(index)
            continue
        if len(run) >= length:
            members.update(run)
        run = []
    return members
