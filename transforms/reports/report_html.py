"""The harvest report for people: one self-contained HTML page per run (the terminal summary is report_text).

It reads the report.json dict that load writes. Every string in it may come from a publisher
(titles, identifiers, reasons quoting their data), so the page escapes everything. The page
needs nothing from the network: inline CSS, the chart as inline SVG.
"""

from urllib.parse import urlsplit

from transforms.reports.findings_html import (
    record_command,
    render_dry_run_banner,
    render_duplicates,
    render_groups,
)
from transforms.reports.html_text import count as _n
from transforms.reports.html_text import html_text as _e
from transforms.schemas import COUNT_NAMES, Outcome, SourceState

CHANGES = (Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED)  # the lists of changed records, in this order
# Said beside the Data Docs link: the two can disagree about one source, and neither is wrong.
BATCH_NOTE = (
    "Great Expectations judges the whole batch, every source of the run at once, so an expectation its "
    "Data Docs show as succeeded can still fail here for one source: this report judges each source on its "
    "own share of the records (the same rule, mostly, applied per source)."
)
SEGMENTS = (  # (count, colour): the stacked bar of each source, in this order
    ("created", "#2e7d32"),
    ("updated", "#1565c0"),
    ("deleted", "#6a1b9a"),
    ("unchanged", "#9e9e9e"),
    ("rejected", "#c62828"),
    ("held", "#ef6c00"),
)
STATUS_COLOURS = {
    "complete": "#2e7d32",
    "succeeded": "#2e7d32",
    "partial": "#f9a825",
    "failed": "#c62828",
    "held": "#ef6c00",
    "interrupted": "#616161",
}
CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:24px;color:#212121;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555}.meta span{margin-right:18px}
table{border-collapse:collapse;width:100%;margin:6px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
.wide{overflow-x:auto}td.reason,td.src{overflow-wrap:anywhere}td.reason{min-width:200px}td.src{min-width:150px}th.n{font-size:12px}
th{background:#f5f5f5}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.total td{font-weight:600;background:#fafafa}
.badge{white-space:nowrap;display:inline-block;padding:0 8px;border-radius:10px;color:#fff;font-size:12px}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
code,.id{font-family:ui-monospace,Consolas,monospace;font-size:12px;word-break:break-all}.none{color:#777}
"""


def status_badge(status) -> str:
    """A run's or a source's status as a coloured badge (the history page uses it too)."""
    colour = STATUS_COLOURS.get(status, "#616161")
    return f'<span class="badge status-{_e(status)}" style="background:{colour}">{_e(status)}</span>'


def _link(url) -> str:
    """A link only for http(s) URLs: a publisher's javascript: URL stays inert text."""
    if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{_e(url)}">{_e(url)}</a>'
    return _e(url)


def _record_types(source: dict) -> str:
    """Records per DCAT-US class (Dataset 6 · DataService 2), each with its outcomes on hover."""
    parts = []
    for kind, tally in (source.get("record_types") or {}).items():
        outcomes = ", ".join(f"{_n(n)} {name}" for name, n in tally.items() if name != "records" and n)
        parts.append(f'<span title="{_e(kind)}: {_e(outcomes)}">{_e(kind)} {_n(tally.get("records"))}</span>')
    return f'<br><span class="classes none">{" · ".join(parts)}</span>' if parts else ""


def _sources_table(report: dict) -> str:
    head = "".join(f'<th class="n">{name}</th>' for name in COUNT_NAMES)
    rows = []
    for source in report.get("sources", []):
        counts = "".join(f'<td class="n">{_n(source.get(name))}</td>' for name in COUNT_NAMES)
        rows.append(
            f'<tr class="source" data-source="{_e(source.get("source_id"))}"><td class="src"><b>{_e(source.get("source_id"))}</b><br>'
            f'{_e(source.get("title"))}<br><span class="none">{_e(source.get("organization"))}</span>'
            f"{_record_types(source)}</td>"
            f"<td>{_e(source.get('type'))}</td><td>{status_badge(source.get('status'))}</td>{counts}"
            f'<td class="reason">{_e(source.get("reason"))}</td></tr>'
        )
    totals = report.get("totals", {})
    total_cells = "".join(f'<td class="n">{_n(totals.get(name))}</td>' for name in COUNT_NAMES)
    rows.append(f'<tr class="total"><td>Total</td><td></td><td></td>{total_cells}<td></td></tr>')
    return (
        f'<div class="wide"><table id="sources"><thead><tr><th>Source</th><th>Type</th><th>Status</th>{head}<th>Reason</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _chart(report: dict) -> str:
    """Horizontal stacked bars, one per source, scaled to the largest source."""
    sources = report.get("sources", [])
    label_width, bar_width, row_height, top = 220, 700, 26, 10
    largest = max([sum(_n(s.get(name)) for name, _ in SEGMENTS) for s in sources] + [1])
    parts = []
    for index, source in enumerate(sources):
        y = top + index * row_height
        name = source.get("source_id")
        label = (
            name if len(str(name)) <= 32 else f"{str(name)[:31]}…"
        )  # long ids must not run off the left edge
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end"><title>{_e(name)}</title>{_e(label)}</text>'
        )
        x = float(label_width)
        for segment, colour in SEGMENTS:
            count = _n(source.get(segment))
            if count:
                width = count / largest * bar_width
                parts.append(
                    f'<rect class="bar bar-{segment}" x="{x:.1f}" y="{y}" width="{max(width, 1):.1f}" height="{row_height - 6}" '
                    f'fill="{colour}"><title>{_e(name)}: {count} {segment}</title></rect>'
                )
                x += width
        total = sum(_n(source.get(s)) for s, _ in SEGMENTS)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" fill="#555">{total}</text>')
    height = top * 2 + max(len(sources), 1) * row_height
    legend = "".join(f'<span><i style="background:{colour}"></i>{name}</span>' for name, colour in SEGMENTS)
    return (
        f'<div class="legend">{legend}</div><svg id="chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{label_width + bar_width + 60}" height="{height}" font-size="12" role="img" '
        f'aria-label="records per source by outcome">{"".join(parts)}</svg>'
    )


def _run_file_link(path, label: str) -> str:
    # Paths of the run's own files are relative to the run folder; the page sits in runs/<run_id>/report/.
    if not isinstance(path, str) or not path.startswith("report/"):
        return ""
    return f'<a class="csv" href="{_e(path.removeprefix("report/"))}">{label}</a>'


def _changes(report: dict) -> str:
    """Per source, how many records were created, updated and deleted, each beside the CSV listing them."""
    rows = []
    for source in report.get("sources", []):
        if not any(_n(source.get(change)) for change in CHANGES):
            continue
        cells = "".join(
            f'<td class="n change-{change}">{_n(source.get(change))}</td>'
            f"<td>{_run_file_link(source.get(f'{change}_csv'), 'CSV')}</td>"
            for change in CHANGES
        )
        rows.append(
            f'<tr data-source="{_e(source.get("source_id"))}"><td>{_e(source.get("source_id"))}</td>{cells}</tr>'
        )
    if not rows:
        return '<p class="none">No record was created, updated or deleted.</p>'
    head = "".join(f'<th class="n">{change}</th><th>identifiers</th>' for change in CHANGES)
    return f'<table id="changes"><thead><tr><th>Source</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _reasons(report: dict) -> str:
    reasons = report.get("top_reasons") or []
    if not reasons:
        return '<p class="none">No record was rejected.</p>'
    rows = []
    for entry in reasons:
        examples = ", ".join(
            f'<span class="id">{_e(ex.get("source_id"))}: {_e(ex.get("identifier"))}</span>'
            f'<br><code class="record-command">{_e(record_command(report, ex.get("source_id"), ex.get("identifier")))}</code>'
            if isinstance(ex, dict)
            else f'<span class="id">{_e(ex)}</span>'
            for ex in entry.get("examples", [])
        )
        rows.append(
            f'<tr><td class="n">{_n(entry.get("count"))}</td><td>{_e(entry.get("reason"))}</td><td>{examples}</td></tr>'
        )
    return (
        f'<table id="reasons"><thead><tr><th class="n">Records</th><th>Reason</th><th>Examples</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _sources_with_status(report: dict, status: str, empty: str) -> str:
    chosen = [s for s in report.get("sources", []) if s.get("status") == status]
    if not chosen:
        return f'<p class="none">{empty}</p>'
    items = []
    for source in chosen:
        messages = "".join(f"<li><code>{_e(m)}</code></li>" for m in source.get("error_messages") or [])
        items.append(
            f"<li><b>{_e(source.get('source_id'))}</b> ({_link(source.get('url'))}): {_e(source.get('reason'))}"
            f"{f'<ul>{messages}</ul>' if messages else ''}</li>"
        )
    return f'<ul id="{status}-sources">{"".join(items)}</ul>'


def _warnings(report: dict) -> str:
    """The current warnings (fix-ups, schema recommendations) of each source's records, most common first:
    those of every record it publishes, unchanged ones included, and of the records this run refused."""
    rows = []
    for source in report.get("sources", []):
        for entry in source.get("top_warnings") or []:
            examples = ", ".join(f'<span class="id">{_e(x)}</span>' for x in entry.get("examples") or [])
            rows.append(
                f'<tr><td>{_e(source.get("source_id"))}</td><td class="n">{_n(entry.get("count"))}</td>'
                f"<td>{_e(entry.get('warning'))}</td><td>{examples}</td></tr>"
            )
    if not rows:
        return '<p class="none">No record has a warning.</p>'
    return (
        '<p class="none">The warnings of every record each source publishes, those unchanged this run included '
        "(as last found), and of the records this run refused.</p>"
        '<table id="warnings"><thead><tr><th>Source</th><th class="n">Records</th><th>Warning</th>'
        f"<th>Examples</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _expectations(report: dict) -> str:
    rows = []
    for source in report.get("sources", []):
        for failed in source.get("failed_expectations") or []:
            examples = ", ".join(f'<span class="id">{_e(x)}</span>' for x in failed.get("examples") or [])
            rows.append(
                f"<tr><td>{_e(source.get('source_id'))}</td><td><code>{_e(failed.get('expectation'))}</code></td>"
                f"<td>{_e(failed.get('column'))}</td><td>{_e(failed.get('severity'))}</td>"
                f'<td class="n">{_n(failed.get("unexpected_count"))}</td><td>{examples}</td></tr>'
            )
    if not rows:
        return '<p class="none">Every expectation was met.</p>'
    return (
        '<table id="expectations"><thead><tr><th>Source</th><th>Expectation</th><th>Column</th><th>Severity</th>'
        f'<th class="n">Unexpected</th><th>Examples</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _data_docs(report: dict) -> str:
    """The link to this run's Data Docs (their pages link back here), and how their verdicts differ from ours."""
    docs = report.get("quality_docs")
    if not docs:
        return '<p><span class="none">No Data Docs for this run.</span></p>'
    # The page sits in runs/<run_id>/report/; quality_docs is relative to runs/<run_id>/.
    return (
        f'<p><a id="data-docs" href="../{_e(docs)}">Great Expectations Data Docs of run {_e(report.get("run_id"))}</a>'
        f'</p><p id="batch-note" class="none">{BATCH_NOTE}</p>'
    )


def render_report_html(report: dict) -> str:
    """The run's report page (written to runs/<run_id>/report/report.html)."""
    message = f'<p id="message"><b>{_e(report["message"])}</b></p>' if report.get("message") else ""
    meta = "".join(
        f"<span>{label}: <b>{_e(report.get(key))}</b></span>"
        for label, key in (
            ("Started", "started"),
            ("Finished", "finished"),
            ("Lake", "lake"),
        )
    )
    if report.get("force"):  # said only when set: the guard was released for this run
        meta += "<span><b>forced</b>: sources held by the mass-deletion guard were released</span>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Harvest report {_e(report.get("run_id"))}</title><style>{CSS}</style></head>
<body>
<h1>Harvest run {_e(report.get("run_id"))} {status_badge(report.get("outcome") or report.get("status"))}</h1>
{render_dry_run_banner(report)}
<p class="meta">{meta}</p>{message}
<h2>Sources</h2>{_sources_table(report)}
<h2>Records per source</h2>{_chart(report)}
<h2>Created, updated and deleted records</h2>{_changes(report)}
<h2>Most common rejection reasons</h2>{_reasons(report)}
<h2>Errors and warnings by source</h2>{render_groups(report)}
<h2>Duplicates across sources</h2>{render_duplicates(report)}
<h2>Held sources</h2>{_sources_with_status(report, SourceState.HELD, "No source was held.")}
<h2>Failed sources</h2>{_sources_with_status(report, SourceState.FAILED, "No source failed.")}
<h2>Partly read sources (nothing deleted)</h2>{_sources_with_status(report, SourceState.PARTIAL, "Every source was read in full.")}
<h2>Warnings by source</h2>{_warnings(report)}
<h2>Failed expectations</h2>{_expectations(report)}
{_data_docs(report)}
</body></html>
"""
