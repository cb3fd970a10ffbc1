"""The publisher's and operator's commands of `harvest` that need no Spark: validate and history.

``add_publisher_commands`` registers them on the `harvest` parser (one call from ``harvest_cli.main``).
Everything printed may come from a publisher, so it goes through ``transforms.text.plain_text`` before
it reaches the terminal.
"""

import argparse
import json
from pathlib import Path
from urllib.parse import urlsplit

from harvest_cli.exit_codes import FAILED, OK, UsageError
from harvest_cli.preflight import readable_lake
from harvest_cli.suggestions import unknown_source
from transforms.registry import DATAJSON_SCHEMAS, XML_SCHEMAS
from transforms.reports.reason_groups import field_doc_url
from transforms.text import plain_text as plain

VALIDATE_TYPES = ("datajson", "iso-document", "waf")


def format_groups(title: str, groups: list[dict]) -> list[str]:
    """Lines for one list of groups: count, reason, field (and its documentation), examples."""
    if not groups:
        return []
    lines = ["", title]
    for group in groups:
        lines.append(f"  {int(group['count']):>6}  {plain(group['reason'], 160)}")
        if group.get("field"):
            docs = field_doc_url(group["field"])
            lines.append(f"          field {plain(group['field'])}" + (f"  ({docs})" if docs else ""))
        if group.get("examples"):
            lines.append("          e.g. " + ", ".join(plain(x, 80) for x in group["examples"]))
    return lines


def format_validation(summary: dict) -> str:
    """The terminal text of a validation summary (``Validation.summary()``)."""
    lines = [f"{plain(summary['url'])} ({summary['type']}, schema {summary['schema']})"]
    if summary["status"] == "failed":
        lines.append(f"NOT HARVESTABLE: {plain(summary['reason'], 400)}")
    elif summary["status"] != "complete":  # partial: a WAF listing that could not be read in full
        lines.append(f"{plain(summary['status']).upper()}: {plain(summary['reason'], 400)}")
    publishable = summary["extracted"] - summary["rejected"]
    lines.append(
        f"{summary['extracted']} record(s): {publishable} would be published, {summary['rejected']} would be "
        f"rejected, {summary['warnings']} with warnings"
    )
    lines += [f"  file not read: {plain(error, 300)}" for error in summary["file_errors"]]
    lines += format_groups(
        f"Errors ({summary['rejected']} record(s) rejected; a record with several problems is counted "
        "under each; --json lists every record's):",
        summary["error_groups"],
    )
    lines += format_groups("Warnings (published, but worth fixing):", summary["warning_groups"])
    return "\n".join(lines) + "\n"


def _guess_type(location: str) -> str | None:
    path = urlsplit(location).path if "://" in location else location
    if path.lower().endswith(".json"):
        return "datajson"
    if path.lower().endswith(".xml"):
        return "iso-document"
    if path.endswith("/") or ("://" not in location and Path(location).is_dir()):
        return "waf"
    return None


def validate_command(args: argparse.Namespace) -> int:
    """Judge a file or URL as a harvest would; exit 1 when a record would be rejected or it cannot be read."""
    from transforms.gate.publisher_validator import document_source, validate_document

    location, on_disk = args.location, "://" not in args.location
    if on_disk and not Path(location).exists():
        raise UsageError(f"{location}: no such file or folder")
    source_type = args.type or _guess_type(location)
    if source_type is None:
        raise UsageError("cannot tell the document's type from its name; give --type")
    schema = args.schema or ("dcatus1.1-federal" if source_type == "datajson" else "iso19115")
    url = (
        Path(location).resolve().as_uri() + ("/" if Path(location).is_dir() else "") if on_disk else location
    )
    # A file of one's own is read from disk; a URL goes through the harvest's address guard (its
    # RegistryError is a usage error to report_errors).
    source = document_source(url, source_type, schema, on_disk or args.allow_private_network)
    summary = validate_document(source).summary()
    print(
        json.dumps(summary, indent=2) if args.json else format_validation(summary),
        end="\n" if args.json else "",
    )
    failed = summary["status"] != "complete" or summary["rejected"] or summary["file_errors"]
    return FAILED if failed else OK


HISTORY_COUNTS = ("extracted", "created", "updated", "deleted", "unchanged", "rejected", "held")


def format_history(runs: list[dict], source_ids: list[str], last: int) -> str:
    """Per source, its last ``last`` runs (newest first): status, counts, duration, reason."""
    from transforms.lake.run_history import source_runs, trailing_streak
    from transforms.reports.history_html import duration_text

    # The duration is the whole run's (a source's own time is not recorded), and is headed so.
    header = (
        f"  {'run':<28} {'started':<25} {'status':<9}"
        + "".join(f"{c:>10}" for c in HISTORY_COUNTS)
        + f"  {'run took':>10}  reason"
    )
    lines = []
    for source_id in source_ids:
        every = source_runs(runs, source_id)
        streak, entries = trailing_streak(every), every[-last:]
        note = f"  ({entries[-1]['status']} in the last {streak} runs)" if streak >= 2 else ""
        lines += ["", f"{plain(source_id)}: last {len(entries)} run(s){note}", header]
        for entry in reversed(entries):
            status = plain(entry.get("status"), 9) + ("*" if entry.get("dry_run") else "")
            counts = "".join(f"{int(entry.get(c) or 0):>10}" for c in HISTORY_COUNTS)
            lines.append(
                f"  {plain(entry['run_id'], 28):<28} {plain(entry.get('started'), 25):<25} {status:<9}{counts}"
                f"  {duration_text(entry.get('seconds')):>10}  {plain(entry.get('reason'), 160) if entry.get('reason') else ''}"
            )
    if any(run.get("dry_run") for run in runs):
        lines += ["", "* a dry run: nothing was published"]
    return "\n".join(lines).lstrip("\n") + "\n"


def history_command(args: argparse.Namespace) -> int:
    """Print each source's last runs (or one source's), from the lake's run history."""
    from transforms.lake.run_history import read_history

    lake_root = readable_lake(args.lake)
    runs = read_history(lake_root)
    if not runs:
        raise UsageError(f"no run has been reported in {lake_root} yet")
    known = sorted({source_id for run in runs for source_id in run.get("sources") or {}})
    if args.source and args.source not in known:
        raise unknown_source(lake_root, args.source, known)
    print(format_history(runs, [args.source] if args.source else known, args.last), end="")
    return OK


def add_publisher_commands(commands, common, add_command) -> None:
    """Register `validate` and `history` (``add_command`` is the CLI's subcommand builder)."""
    from harvest_cli.parser import add_lake_option

    validate = add_command(
        commands,
        "validate",
        "check a data.json, an XML record or a WAF as a harvest would, before publishing it",
        "Prints the errors and warnings a harvest would report, grouped as the run report groups them;\n"
        "exits 1 when a record would be rejected or the document cannot be read. No lake, no Spark.",
        "harvest validate data.json --schema dcatus1.1-non-federal",
        common,
    )
    validate.add_argument("location", metavar="FILE|URL", help="a file, a folder of XML (a WAF), or a URL")
    validate.add_argument(
        "--type", choices=VALIDATE_TYPES, help="default: from the name (.json, .xml, folder/)"
    )
    validate.add_argument(
        "--schema",
        choices=DATAJSON_SCHEMAS + XML_SCHEMAS,
        help="default: dcatus1.1-federal for a data.json, iso19115 for XML",
    )
    validate.add_argument(
        "--allow-private-network",
        action="store_true",
        help="allow a URL on a loopback or private address (as the registry's allow_private_network)",
    )
    validate.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object: the counts, the groups, and every record with all its errors and warnings",
    )
    validate.set_defaults(func=validate_command)
    history = add_command(
        commands,
        "history",
        "print each source's last runs: status, counts, duration, reason",
        "From the lake's run history (runs/history.json; the same as the page runs/index.html, which\n"
        "each run rewrites). A source that failed or was held in its latest runs says for how many.",
        "harvest history noaa-waf --lake ./lake --last 5",
        common,
    )
    history.add_argument("source", nargs="?", help="one source id (default: every source)")
    add_lake_option(history)
    history.add_argument("--last", type=int, default=10, help="how many runs per source (default: 10)")
    history.set_defaults(func=history_command)
