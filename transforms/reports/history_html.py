"""The lake's history page, runs/index.html: every recent run, and per source its last runs with a
small trend chart, streaks of failed or held runs marked.

Self-contained and offline like the run report (inline CSS, charts as inline SVG, no script), and
every string is escaped: source ids, reasons and messages may quote a publisher.
"""

from transforms import lake
from transforms.lake.run_history import (
    BAD_STATES,
    record_run,
    source_runs,
    streak_members,
    trailing_streak,
)
from transforms.reports.html_text import count as _n
from transforms.reports.html_text import html_text as _e
from transforms.reports.report_html import CSS, SEGMENTS, STATUS_COLOURS, status_badge
from transforms.schemas import RunOutcome

LAST_RUNS = 30  # runs shown, in the runs table and per source
COUNTS = ("extracted", "created", "updated", "deleted", "unchanged", "rejected", "held")
HISTORY_CSS = """
section.source-history{margin:18px 0 26px}section.source-history h3{font-size:16px;margin:0 0 4px}
tr.streak td{background:#fdecea}tr.streak td.status{font-weight:600}
.streak-note{display:inline-block;margin-left:10px;padding:0 8px;border-radius:10px;background:#c62828;color:#fff;font-size:12px}
.dry{color:#6a1b9a;font-size:12px}td.when,td.run-id{white-space:nowrap}
"""


def duration_text(seconds) -> str:
    """A run's duration for people: "3 min 12 s", "45 s", or a dash when unknown."""
    if seconds is None:
        return "—"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _status(status, dry_run=False) -> str:
    return status_badge(status) + (' <span class="dry">dry run</span>' if dry_run else "")


def _when(started) -> str:
    """A start time to the minute ("2026-11-27 02:00"); the full value stays in the cell's title."""
    text = "" if started is None else str(started)
    return f'<td class="when" title="{_e(text)}">{_e(text[:16].replace("T", " "))}</td>'


def _run_link(run_id) -> str:
    # The page is runs/index.html; each run's report is runs/<run_id>/report/report.html.
    return f'<a class="id" href="{_e(run_id)}/report/report.html">{_e(run_id)}</a>'


def _row(in_streak: bool, run: dict, status, counts: str, note) -> str:
    """One run's table row: run id (linked), start, status, the count cells, duration, the note."""
    return (
        f'<tr class="{"streak" if in_streak else "run"}"><td class="run-id">{_run_link(run.get("run_id"))}</td>'
        f'{_when(run.get("started"))}<td class="status">{_status(status, run.get("dry_run"))}</td>{counts}'
        f'<td>{duration_text(run.get("seconds"))}</td><td class="reason">{_e(note)}</td></tr>'
    )


def _trend(source_id: str, entries: list[dict], streak: set[int]) -> str:
    """One column per run, oldest left: the run's records stacked by outcome; failed and held runs marked."""
    column, gap, height, top = 22, 4, 90, 6
    largest = max([sum(_n(e.get(name)) for name, _ in SEGMENTS) for e in entries] + [1])
    parts = []
    for index, entry in enumerate(entries):
        x = index * (column + gap)
        status = entry.get("status")
        if status in BAD_STATES:
            colour = STATUS_COLOURS[status]
            outline = ' stroke="#b71c1c" stroke-width="2"' if index in streak else ""
            parts.append(
                f'<rect class="mark mark-{_e(status)}" x="{x}" y="{top}" width="{column}" height="{height}" '
                f'fill="{colour}" fill-opacity="0.18"{outline}><title>{_e(entry["run_id"])}: {_e(status)}: '
                f"{_e(entry.get('reason'))}</title></rect>"
            )
        y = float(top + height)
        for name, colour in SEGMENTS:
            count = _n(entry.get(name))
            if count:
                size = max(count / largest * height, 1.0)
                y -= size
                parts.append(
                    f'<rect class="bar bar-{name}" x="{x + 3}" y="{y:.1f}" width="{column - 6}" height="{size:.1f}" '
                    f'fill="{colour}"><title>{_e(entry["run_id"])}: {count} {name}</title></rect>'
                )
    width = max(len(entries), 1) * (column + gap)
    return (
        f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{top * 2 + height}" '
        f'role="img" aria-label="runs of {_e(source_id)} by outcome">{"".join(parts)}</svg>'
    )


def _source_section(source_id: str, runs: list[dict]) -> str:
    entries = source_runs(runs, source_id)[-LAST_RUNS:]
    streak = streak_members(entries)
    current = trailing_streak(entries)
    note = (
        f'<span class="streak-note">{_e(entries[-1]["status"])} in the last {current} runs</span>'
        if current >= 2
        else ""
    )
    head = "".join(f'<th class="n">{name}</th>' for name in COUNTS)
    rows = []
    for index in reversed(range(len(entries))):
        entry = entries[index]
        counts = "".join(f'<td class="n">{_n(entry.get(name))}</td>' for name in COUNTS)
        rows.append(_row(index in streak, entry, entry.get("status"), counts, entry.get("reason")))
    return (
        f'<section class="source-history" data-source="{_e(source_id)}" data-streak="{current}">'
        f"<h3>{_e(source_id)}{note}</h3>{_trend(source_id, entries, streak)}"
        # The duration is the whole run's (no source's own time is recorded), and is headed so.
        f'<div class="wide"><table><thead><tr><th>Run</th><th>Started</th><th>Status</th>{head}'
        f'<th title="the whole run\'s duration, all sources">Run took</th>'
        f"<th>Reason</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _runs_table(runs: list[dict]) -> str:
    shown = runs[-LAST_RUNS:]
    streak = streak_members(shown, bad=(RunOutcome.FAILED, RunOutcome.INTERRUPTED))
    head = "".join(f'<th class="n">{name}</th>' for name in COUNTS)
    rows = []
    for index in reversed(range(len(shown))):
        run = shown[index]
        totals = run.get("totals") or {}
        counts = "".join(f'<td class="n">{_n(totals.get(name))}</td>' for name in COUNTS)
        why = run.get("message") or (f"failed at {run['failed_stage']}" if run.get("failed_stage") else "")
        rows.append(_row(index in streak, run, run.get("status"), counts, why))
    return (
        f'<div class="wide"><table id="runs"><thead><tr><th>Run</th><th>Started</th><th>Status</th>{head}'
        f"<th>Duration</th><th>Note</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def render_history_html(runs: list[dict]) -> str:
    """The history page of a lake's run summaries (oldest first): sources in trouble first, then by id."""
    shown = runs[-LAST_RUNS:]
    source_ids = sorted({source_id for run in shown for source_id in run.get("sources") or {}})
    streaks = {source_id: trailing_streak(source_runs(shown, source_id)) for source_id in source_ids}
    ordered = sorted(source_ids, key=lambda source_id: (-streaks[source_id], source_id))
    sections = "".join(_source_section(source_id, shown) for source_id in ordered)
    legend = "".join(f'<span><i style="background:{colour}"></i>{name}</span>' for name, colour in SEGMENTS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Harvest history</title><style>{CSS}{HISTORY_CSS}</style></head>
<body>
<h1>Harvest history</h1>
<p class="meta"><span>Runs: <b>{len(shown)}</b> (newest first, at most {LAST_RUNS})</span>
<span>Sources: <b>{len(source_ids)}</b></span></p>
<h2>Runs</h2>{_runs_table(runs) if runs else '<p class="none">No run has been reported yet.</p>'}
<h2>Sources</h2><div class="legend">{legend}<span>shaded column: a failed or held run (outlined: part of a streak)</span></div>
{sections or '<p class="none">No source has been harvested yet.</p>'}
</body></html>
"""


def page_uri(lake_root: str) -> str:
    """Where the history page is written."""
    return lake.join(lake_root, "runs", "index.html")


def record_run_history(lake_root: str, report: dict) -> list[dict]:
    """Add (or replace) a run in ``runs/history.json`` and rewrite the history page; returns the summaries."""
    runs = record_run(lake_root, report)
    lake.write_text(page_uri(lake_root), render_history_html(runs), "text/html; charset=utf-8")
    return runs
