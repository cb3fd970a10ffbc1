"""The run report: per-source counts that add up, the commonest reasons, and what held a source.

Counts are aggregated in Spark and only the small per-source summary reaches the driver.
Every extracted record is exactly one of created, updated, unchanged, rejected or held;
deletes are counted on their own (``deleted``; a held delete counts in ``deletes_held``).

The warnings a source's entry shows are those of every record currently published from it, and this
run's of the records it did not publish (``transforms.reports.published_warnings``): a record
unchanged for months keeps its warnings in every report until its publisher fixes them.
"""

import json
from datetime import UTC, datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import lake
from transforms.registry import Source
from transforms.reports.history_html import record_run_history
from transforms.reports.record_csvs import csv_links
from transforms.reports.report_html import render_report_html
from transforms.reports.report_pass import count_and_list
from transforms.reports.tallies import REASON_EXAMPLES, TOP_REASONS, SourceTallies
from transforms.schemas import (
    COUNT_NAMES,
    NEEDS_ATTENTION,
    OUTCOMES,
    RECORD_OUTCOMES,
    RunOutcome,
    RunStatus,
)

# Beside a run's figures but not in its report: per source, what ``repeat_run.carriable_sources`` reads
# (status, document hash, and how many rows keep a later run from carrying its verdicts).
CARRY_FACTS = "carry_facts"


def _top_reasons_overall(by_source: dict[str, list[dict]]) -> list[dict]:
    """Reasons across sources (from the per-source lists), with examples naming their source."""
    merged: dict[str, dict] = {}
    for source_id, entries in sorted(by_source.items()):
        for entry in entries:
            into = merged.setdefault(entry["reason"], {"reason": entry["reason"], "count": 0, "examples": []})
            into["count"] += entry["count"]
            room = REASON_EXAMPLES - len(into["examples"])
            into["examples"] += [
                {"source_id": source_id, "identifier": ex} for ex in entry["examples"][:room]
            ]
    return sorted(merged.values(), key=lambda entry: (-entry["count"], entry["reason"]))[:TOP_REASONS]


def build_report(
    run: dict, rows: DataFrame, statuses: DataFrame, sources: list[Source], quality: dict, report_folder: str
) -> dict:
    """The report.json document (contract in README.md) for one run, of its ``report_rows``; its record
    CSVs are written under ``report_folder``."""
    return _assemble(run, report_figures(rows, statuses, sources, quality, report_folder), quality)


def _assemble(run: dict, figures: dict, quality: dict) -> dict:
    shown = {name: value for name, value in figures.items() if name != CARRY_FACTS}
    return {**run, **shown, "quality_docs": quality.get("data_docs"), "outcomes": "report/outcomes"}


def report_figures(
    rows: DataFrame, statuses: DataFrame, sources: list[Source], quality: dict, report_folder: str
) -> dict:
    """The part of the report computed from the run's tables (the Spark work): its outcome, per-source
    entries (with the links to their record CSVs, written under ``report_folder`` by the same pass),
    totals and top reasons, and (``CARRY_FACTS``, left out of the report) what decides whether a later
    run may carry each source's verdicts. ``check_counts`` takes it as it takes a whole report.

    ``rows``: the run's ``published_warnings.report_rows`` (its outcomes, with the warnings the report
    shows, and the published records it did not see).
    """
    status_rows = statuses.collect()
    tallies, written = count_and_list(rows, report_folder)
    registry = {source.id: source for source in sources}
    expectations = quality.get("sources", {})
    entries = []
    carry_facts = {}
    for status in sorted(status_rows, key=lambda row: row["source_id"]):
        source = registry.get(status["source_id"])
        tally = tallies.get(status["source_id"], SourceTallies())
        entry = {
            "source_id": status["source_id"],
            "title": source.title if source else None,
            "organization": source.organization if source else None,
            "url": status["url"],
            "type": status["source_type"],
            "status": status["status"],
            "reason": status["reason"],
            "extracted": int(status["extracted"] or 0),
            **{name: tally.counts.get(name, 0) for name in (*RECORD_OUTCOMES, "deleted", "deletes_held")},
            "warnings": tally.warned,
            "errors": int(status["errors"] or 0),
            "error_messages": list(status["error_messages"] or []),
            "conforms_to": status["conforms_to"],
            "record_types": tally.record_types,
            "top_reasons": tally.reasons,
            "top_warnings": [{"warning": entry.pop("reason"), **entry} for entry in tally.warnings],
            "failed_expectations": expectations.get(status["source_id"], {}).get("failed_expectations", []),
            **tally.report_groups(),
            **csv_links(status["source_id"], written),
        }
        entries.append(entry)
        carry_facts[status["source_id"]] = {
            "status": status["status"],
            "document_sha256": status["document_sha256"],
            "rows_not_carriable": tally.not_carriable,
        }
    totals = {name: sum(entry[name] for entry in entries) for name in (*COUNT_NAMES, "deletes_held")}
    return {
        "outcome": run_outcome(entries),
        "sources": entries,
        "totals": totals,
        "top_reasons": _top_reasons_overall({entry["source_id"]: entry["top_reasons"] for entry in entries}),
        CARRY_FACTS: carry_facts,
    }


def run_outcome(sources: list[dict]) -> RunOutcome:
    """complete when every source completed; partial when one failed or was held."""
    return (
        RunOutcome.PARTIAL
        if any(entry["status"] in NEEDS_ATTENTION for entry in sources)
        else RunOutcome.COMPLETE
    )


def unaccounted_records(report: dict) -> list[str]:
    """Sources whose counts do not add up (extracted != created+updated+unchanged+rejected+held, or
    error groups that leave a rejected record out: a record counts under each of its reasons, so
    the groups add up to at least ``rejected``, and there are none when nothing was rejected)."""
    return [
        f"{entry['source_id']}: extracted {entry['extracted']} but outcomes add up to "
        f"{sum(entry[name] for name in RECORD_OUTCOMES)}"
        for entry in report["sources"]
        if entry["extracted"] != sum(entry[name] for name in RECORD_OUTCOMES)
    ] + [
        f"{entry['source_id']}: {entry['rejected']} rejected but error groups add up to "
        f"{sum(group['count'] for group in entry['error_groups'])}"
        for entry in report["sources"]
        if "error_groups" in entry and not _groups_cover(entry["rejected"], entry["error_groups"])
    ]


def _groups_cover(rejected: int, groups: list[dict]) -> bool:
    """Whether error groups can hold every rejected record once per reason: none for none rejected."""
    total = sum(group["count"] for group in groups)
    return total >= rejected and (total == 0) == (rejected == 0)


class CountsDoNotAddUp(RuntimeError):
    """The report's counts do not add up: a bug, never bad data; nothing is published on its strength."""


def check_counts(report: dict) -> None:
    """Refuse a report whose counts do not add up (load checks this before it publishes anything)."""
    problems = unaccounted_records(report)
    if problems:
        raise CountsDoNotAddUp("report counts do not add up: " + "; ".join(problems))


def write_report(
    lake_root: str,
    run: dict,
    rows: DataFrame,
    statuses: DataFrame,
    sources: list[Source],
    quality: dict,
    figures: dict | None = None,
) -> dict:
    """report.json, report.html and the outcomes table under runs/<run_id>/report/ (and the record CSVs,
    unless ``figures`` wrote them already); returns the report.

    ``run`` holds run_id, started, lake and force; status and finished are added here. ``rows``: the
    run's ``published_warnings.report_rows`` (read more than once here: the caller persists them).
    ``figures``: ``report_figures`` of these same rows into this run's report folder when the caller has
    them already (load's count check before publishing), so they are not computed twice.
    """
    folder = lake.run_path(lake_root, run["run_id"], "report")
    rows.filter(F.col("of_run")).select(*OUTCOMES.fieldNames()).write.mode("overwrite").parquet(
        lake.spark_uri(lake.join(folder, "outcomes"))
    )
    if quality.get("data_docs"):
        quality = {**quality, "data_docs": "quality/" + quality["data_docs"]}
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    run = {
        "run_id": run["run_id"],
        "status": RunStatus.SUCCEEDED,
        "started": run.get("started"),
        "finished": finished,
        **run,
    }
    if figures is None:
        figures = report_figures(rows, statuses, sources, quality, folder)
    report = _assemble(run, figures, quality)
    report["duplicates"] = _duplicates(lake_root, run["run_id"])
    check_counts(report)
    lake.write_text(lake.join(folder, "report.json"), json.dumps(report, indent=2) + "\n", "application/json")
    lake.write_text(lake.join(folder, "report.html"), render_report_html(report), "text/html; charset=utf-8")
    record_run_history(lake_root, report)  # runs/history.json and the history page, runs/index.html
    return report


def _duplicates(lake_root: str, run_id: str) -> dict:
    """What validate found about duplicates across sources (transforms.gate.duplicates)."""
    return json.loads(lake.read_text(lake.duplicates_uri(lake_root, run_id)) or "{}")
