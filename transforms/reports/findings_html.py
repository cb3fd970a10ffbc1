"""Sections of the run's report page about what a publisher has to fix: each source's error and
warning groups (linked to the DCAT-US field they are about, with the source's CSVs), and the
duplicates across sources.

Every string may come from a publisher, so everything is escaped; links go only to the DCAT-US
documentation and to the run's own CSV files.
"""

import shlex

from transforms.reports.html_text import count as _n
from transforms.reports.html_text import html_text as _e
from transforms.reports.reason_groups import field_doc_url

_STYLE = (
    "<style>.groups h3{font-size:15px;margin:16px 0 4px}.groups td.reason{overflow-wrap:anywhere}"
    "tr.group-error td.n{color:#c62828}tr.group-warning td.n{color:#ef6c00}</style>"
)


def record_command(report: dict, source_id, identifier) -> str:
    """The `harvest record` command that tells one record's story, shell-quoted (the page shows it as text)."""
    lake = f" --lake {shlex.quote(str(report['lake']))}" if report.get("lake") else ""
    return f"harvest record {shlex.quote(str(source_id))} {shlex.quote(str(identifier))}{lake}"


def _field_cell(field: str | None) -> str:
    url = field_doc_url(field)
    if url:
        return f'<a class="field-doc" href="{_e(url)}" title="DCAT-US field documentation"><code>{_e(field)}</code></a>'
    return f"<code>{_e(field)}</code>" if field else '<span class="none">—</span>'


def _group_rows(groups: list[dict], kind: str) -> str:
    rows = []
    for group in groups:
        examples = _examples(group.get("examples"))
        rows.append(
            f'<tr class="group-{kind}"><td class="n">{_n(group.get("count"))}</td>'
            f'<td class="reason">{_e(group.get("reason"))}</td><td>{_field_cell(group.get("field"))}</td>'
            f"<td>{examples}</td></tr>"
        )
    return "".join(rows)


def _csv_link(path: str | None, label: str) -> str:
    # CSV paths are relative to the run folder; the page sits in runs/<run_id>/report/.
    if not path or not path.startswith("report/"):
        return ""
    return f'<a class="csv" href="{_e(path.removeprefix("report/"))}">{label}</a>'


def render_groups(report: dict) -> str:
    """Per source with any: its error groups (a rejected record counts under each of its reasons, which
    the page says beside the rejected count) and its warning groups, with links to the CSVs listing
    every record."""
    sections = []
    for source in report.get("sources", []):
        errors, warnings = source.get("error_groups") or [], source.get("warning_groups") or []
        if not errors and not warnings:
            continue
        links = " ".join(
            link
            for link in (
                _csv_link(source.get("errors_csv"), "every rejected record (CSV)"),
                _csv_link(source.get("warnings_csv"), "every record with warnings (CSV)"),
            )
            if link
        )
        heading = (
            f"<h3>{_e(source.get('source_id'))}: {_n(source.get('rejected'))} rejected, "
            f"{_n(source.get('warnings'))} with warnings</h3>"
        )
        table = (
            '<table class="groups-table"><thead><tr><th class="n">Records</th><th>Reason</th><th>Field</th>'
            f"<th>Examples</th></tr></thead><tbody>{_group_rows(errors, 'error')}{_group_rows(warnings, 'warning')}"
            "</tbody></table>"
        )
        example = next((x for group in errors + warnings for x in group.get("examples") or []), None)
        story = (
            f'<p class="none">One record\'s outcomes over the runs, raw text and DCAT-US: <code class="record-command">'
            f"{_e(record_command(report, source.get('source_id'), example))}</code></p>"
            if example is not None
            else ""
        )
        sections.append(
            f'<div class="source-groups" data-source="{_e(source.get("source_id"))}">{heading}'
            f"{_counted_note(source.get('rejected'), errors)}<p>{links}</p>{story}{table}</div>"
        )
    if not sections:
        return '<p class="none">No record was rejected or warned about.</p>'
    note = (
        '<p class="none">Errors (red) count each rejected record once under every problem it has, so a '
        "record with several problems is counted under each; the CSV lists all of a record's reasons. "
        "Warnings (orange) count each record once per kind of warning it has.</p>"
    )
    return f'{_STYLE}<div class="groups" id="groups">{note}{"".join(sections)}</div>'


def _counted_note(rejected, errors: list[dict]) -> str:
    """How a source's error counts relate to its rejected records, in words."""
    if not errors:
        return ""
    total = sum(_n(group.get("count")) for group in errors)
    return (
        f'<p class="counted">{_n(rejected)} records rejected; a record with several problems is counted '
        f"under each, so the error counts below add up to {total}.</p>"
    )


def _examples(values) -> str:
    return ", ".join(f'<span class="id">{_e(x)}</span>' for x in values or [])


def _pairs_table(entries: list[dict], other: str, other_label: str, table_id: str) -> str:
    rows = "".join(
        f"<tr><td>{_e(entry.get('source_id'))}</td><td>{_e(entry.get(other))}</td>"
        f'<td class="n">{_n(entry.get("count"))}</td><td>{_examples(entry.get("examples"))}</td></tr>'
        for entry in entries
    )
    return (
        f'<table id="{table_id}"><thead><tr><th>Source</th><th>{other_label}</th><th class="n">Records</th>'
        f"<th>Examples</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def render_duplicates(report: dict) -> str:
    """Records refused because another source publishes their identifier, and near-duplicates across
    sources, counted per pair of sources."""
    duplicates = report.get("duplicates") or {}
    refused, near = duplicates.get("refused") or [], duplicates.get("near_duplicates") or []
    parts = []
    if refused:
        parts.append(
            "<p>Refused: a dataset identifier is published by the first source that published it, until that "
            "source deletes it.</p>" + _pairs_table(refused, "owner", "Published by", "duplicates-refused")
        )
    if near:
        parts.append(
            "<p>Published with a warning: the same title and the same landingPage or downloadURL as a record "
            "of another source.</p>"
            + _pairs_table(near, "other_source_id", "Looks like a record of", "near-duplicates")
        )
    return "".join(parts) or '<p class="none">No duplicates across sources.</p>'


def render_dry_run_banner(report: dict) -> str:
    """A plain statement at the top of a dry run's page that nothing was published."""
    if not report.get("dry_run"):
        return ""
    return (
        '<p id="dry-run" style="border:2px solid #6a1b9a;background:#f3e5f5;padding:8px 12px;font-size:15px">'
        "<b>Dry run: nothing was published.</b> The counts below are what this run would have published.</p>"
    )
