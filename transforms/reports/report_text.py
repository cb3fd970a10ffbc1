"""The terminal summary of a run report (`harvest report`), from the report.json dict load writes.

Every string in the report may come from a publisher, so each goes through ``transforms.text.plain_text``:
no escape sequence, line break or bidi override reaches the terminal.
"""

from transforms.schemas import COUNT_NAMES, NEEDS_ATTENTION
from transforms.text import plain_text

TOP_LINES = 5


def _n(value) -> int:
    return int(value or 0)


def _example(entry: dict) -> str:
    example = (entry.get("examples") or [None])[0]
    if isinstance(example, dict):
        example = f"{example.get('source_id')}: {example.get('identifier')}"
    return f"  (e.g. {plain_text(example, 80)})" if example else ""


def _table(report: dict) -> list[str]:
    sources = report.get("sources", [])
    name_width = max(
        [len(plain_text(s.get("source_id"), 32)) for s in sources] + [len("source"), len("total")]
    )
    header = f"{'source':<{name_width}}  {'status':<8}" + "".join(f"{c:>10}" for c in COUNT_NAMES)
    lines = [header, "-" * len(header)]
    for source in sources:
        counts = "".join(f"{_n(source.get(c)):>10}" for c in COUNT_NAMES)
        lines.append(
            f"{plain_text(source.get('source_id'), 32):<{name_width}}  {plain_text(source.get('status'), 8):<8}{counts}"
        )
    totals = report.get("totals", {})
    lines += [
        "-" * len(header),
        f"{'total':<{name_width}}  {'':<8}" + "".join(f"{_n(totals.get(c)):>10}" for c in COUNT_NAMES),
    ]
    return lines


def _changes(sources: list[dict]) -> list[str]:
    """Per source, its created, updated and deleted counts and the CSV (in the run folder) listing each."""
    lines = []
    for source in sources:
        parts = [
            f"{_n(source.get(change))} {change}"
            + (f" ({plain_text(source.get(f'{change}_csv'))})" if source.get(f"{change}_csv") else "")
            for change in ("created", "updated", "deleted")
            if _n(source.get(change))
        ]
        if parts:
            lines.append(f"  {plain_text(source.get('source_id'))}: {', '.join(parts)}")
    return ["", "Changed records (their identifiers in the CSVs):", *lines] if lines else []


def _warnings(sources: list[dict]) -> list[str]:
    """The current warnings of each source's records (unchanged ones included), most common first."""
    lines = []
    for source in sources:
        entries = source.get("top_warnings") or []
        if entries:
            lines.append(f"  {plain_text(source.get('source_id'))} ({_n(source.get('warnings'))} records):")
            lines += [
                f"  {_n(entry.get('count')):>6}  {plain_text(entry.get('warning'), 120)}{_example(entry)}"
                for entry in entries[:TOP_LINES]
            ]
    return ["", "Warnings by source:", *lines] if lines else []


def format_report_text(report: dict) -> str:
    """The terminal summary: where a stopped run stopped and why; sources, totals, reasons, warnings."""
    stage = report.get("failed_stage") or report.get("interrupted_stage")
    lines = [
        f"Harvest run {plain_text(report.get('run_id'))}: {plain_text(report.get('outcome') or report.get('status'))}"
        + (f" at {plain_text(stage)}" if stage else "")
        + f" (finished {plain_text(report.get('finished'))})",
    ]
    if report.get("message"):
        lines.append(plain_text(report["message"], 1000))
    sources = report.get("sources", [])
    if sources or not stage:
        lines += ["", *_table(report)]
    attention = [s for s in sources if s.get("status") in NEEDS_ATTENTION]
    if attention:
        lines += ["", "Sources needing attention:"]
        lines += [
            f"  {plain_text(s.get('source_id'))} ({plain_text(s.get('status'))}): {plain_text(s.get('reason'), 200)}"
            for s in attention
        ]
    reasons = report.get("top_reasons") or []
    if reasons:
        lines += ["", "Top rejection reasons:"]
        lines += [
            f"  {_n(entry.get('count')):>6}  {plain_text(entry.get('reason'), 120)}{_example(entry)}"
            for entry in reasons[:TOP_LINES]
        ]
    return "\n".join(lines + _changes(sources) + _warnings(sources)) + "\n"
