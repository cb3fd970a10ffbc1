"""`harvest record SOURCE IDENTIFIER`: one record's story, read from the lake alone.

Every run's outcomes table says what became of the record (created, updated, unchanged, rejected,
deleted, held) and why; the newest extract table that holds its text gives what the publisher
served; the newest transform table (else the current catalog version) gives our DCAT-US. The
tables are read with pyarrow, filtered to the one record, so no Spark session starts.
"""

import argparse
import json

from harvest_cli.exit_codes import OK, UsageError
from harvest_cli.preflight import readable_lake
from harvest_cli.run_command import read_report, run_started, runs_by_start
from harvest_cli.suggestions import did_you_mean, unknown_source
from transforms import lake
from transforms.lake.catalog_state import current_version, version_uri
from transforms.text import plain_lines, plain_text


def _rows(uri: str, columns: list[str], source_id: str, identifier: str | None = None) -> list[dict]:
    """The rows of one Parquet table (a folder Spark wrote) for a source, or one of its records.

    A table a run never wrote (a stage that did not run, a pruned or carried source) has no rows.
    """
    import pyarrow.dataset as ds

    if not lake.folder_exists(uri):
        return []
    where = ds.field("source_id") == source_id
    if identifier is not None:
        where = where & (ds.field("identifier") == identifier)
    # Spark's _SUCCESS and .crc files are skipped by pyarrow's default ignore_prefixes.
    return ds.dataset(uri, format="parquet").to_table(columns=columns, filter=where).to_pylist()


def _run_table(lake_root: str, run_id: str, stage: str, table: str) -> str:
    return lake.run_path(lake_root, run_id, stage, table)


def known_sources(lake_root: str, runs: list[str]) -> list[str]:
    """Every source id a reported run of the lake harvested."""
    sources: set[str] = set()
    for run_id in runs:
        report = read_report(lake_root, run_id) or {}
        sources.update(source.get("source_id") for source in report.get("sources") or [])
    return sorted(source for source in sources if source)


def source_identifiers(lake_root: str, runs: list[str], source_id: str) -> list[str]:
    """The identifiers of the source's records in its newest run's outcomes."""
    for run_id in reversed(runs):
        rows = _rows(_run_table(lake_root, run_id, "report", "outcomes"), ["identifier"], source_id)
        if rows:
            return [row["identifier"] for row in rows if row["identifier"]]
    return []


def _outcome_history(lake_root: str, runs: list[str], source_id: str, identifier: str) -> list[dict]:
    columns = ["action", "outcome", "reasons", "warnings", "record_url"]
    history = []
    for run_id in runs:
        report = read_report(lake_root, run_id) or {}
        uri = _run_table(lake_root, run_id, "report", "outcomes")
        for row in _rows(uri, columns, source_id, identifier):
            history.append(
                {
                    "run_id": run_id,
                    "started": run_started(lake_root, run_id) or report.get("started"),
                    "dry_run": bool(report.get("dry_run")),
                    "outcome": row["outcome"],
                    "action": row["action"],
                    "reasons": list(row["reasons"] or []),
                    "warnings": list(row["warnings"] or []),
                    "record_url": row["record_url"],
                }
            )
    return history


def _newest_text(
    lake_root: str, runs: list[str], stage: str, table: str, text_column: str, keep: list[str], key: tuple
) -> dict | None:
    """The newest run's row whose ``text_column`` holds something, with that run's id."""
    for run_id in reversed(runs):
        rows = _rows(_run_table(lake_root, run_id, stage, table), [text_column, *keep], *key)
        found = [row for row in rows if row[text_column]]
        if found:
            return {"run_id": run_id, **found[0]}
    return None


def _published(lake_root: str, source_id: str, identifier: str) -> dict | None:
    """The record as the current catalog version publishes it, or None when it does not."""
    version = current_version(lake_root)
    if version is None:
        return None
    columns = ["dcat_json", "slug", "first_harvested", "last_harvested", "last_changed_run"]
    rows = _rows(version_uri(lake_root, version), columns, source_id, identifier)
    if not rows:
        return None
    row = rows[0]
    return {
        "version": version,
        **{name: (str(row[name]) if row[name] is not None else None) for name in columns},
    }


def record_story(lake_root: str, source_id: str, identifier: str) -> dict:
    """Everything the lake knows of one record: its outcome in each run, its last raw text, our DCAT-US.

    UsageError, with the known sources or the nearest identifiers, when the lake has never seen it.
    """
    runs = runs_by_start(lake_root)
    sources = known_sources(lake_root, runs)
    if source_id not in sources:
        raise unknown_source(lake_root, source_id, sources)
    history = _outcome_history(lake_root, runs, source_id, identifier)
    if not history:
        hint = did_you_mean(identifier, source_identifiers(lake_root, runs, source_id))
        raise UsageError(f"source {source_id} has no record {identifier!r} in any run of {lake_root}{hint}")
    key = (source_id, identifier)
    raw = _newest_text(lake_root, runs, "extract", "records", "raw", ["raw_format"], key)
    transformed = _newest_text(lake_root, runs, "transform", "records", "dcat_json", ["source_format"], key)
    published = _published(lake_root, source_id, identifier)
    if transformed is None and published is not None:
        transformed = {"run_id": published["last_changed_run"], "dcat_json": published["dcat_json"]}
    return {
        "source_id": source_id,
        "identifier": identifier,
        "history": history,
        "latest": history[-1],
        "raw": raw,
        "dcat": transformed,
        "published": {name: value for name, value in (published or {}).items() if name != "dcat_json"}
        or None,
    }


def _pretty_json(text: str) -> str:
    """JSON text indented for reading (left as it is when it is not JSON)."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def format_record_story(story: dict) -> str:
    """The story as terminal text; everything a publisher wrote passes through ``plain_text``."""
    where = story["latest"]["record_url"]
    lines = [
        f"record {plain_text(story['identifier'])} of source {plain_text(story['source_id'])}"
        + (f", from {plain_text(where)}" if where else "")
    ]
    published = story["published"]
    if published:
        lines.append(
            f"published in catalog version {published['version']} as {plain_text(published['slug'])}"
            f" (first harvested {published['first_harvested']}, last {published['last_harvested']})"
        )
    else:
        lines.append("not in the current catalog version")
    lines += [
        "",
        "outcome in each run, oldest first:",
        f"  {'run':<32} {'started':<26} {'outcome':<10} reasons",
    ]
    for entry in story["history"]:
        outcome = entry["outcome"] + (" (dry run)" if entry["dry_run"] else "")
        reasons = "; ".join(entry["reasons"])
        lines.append(
            f"  {plain_text(entry['run_id'], 32):<32} {plain_text(entry['started'], 26):<26} "
            f"{outcome:<10} {plain_text(reasons, 160) if reasons else ''}".rstrip()
        )
    latest = story["latest"]
    lines += ["", f"latest outcome, run {plain_text(latest['run_id'])}: {latest['outcome']}"]
    lines += [f"  reason: {plain_text(reason)}" for reason in latest["reasons"]]
    lines += [f"  warning: {plain_text(warning)}" for warning in latest["warnings"]]
    if not latest["reasons"] and not latest["warnings"]:
        lines.append("  no reason or warning")
    raw, dcat = story["raw"], story["dcat"]
    lines.append("")
    if raw:
        text = _pretty_json(raw["raw"]) if raw["raw_format"] == "json" else raw["raw"]
        lines += [f"raw text ({raw['raw_format']}), as run {raw['run_id']} read it:", plain_lines(text)]
    else:
        lines.append("raw text: no run in the lake holds it (pruned, or never fetched in full)")
    lines.append("")
    if dcat:
        lines += [f"DCAT-US, as run {dcat['run_id']} made it:", plain_lines(_pretty_json(dcat["dcat_json"]))]
    else:
        lines.append("DCAT-US: none (the record never got through the transform)")
    return "\n".join(lines) + "\n"


def record_command(args: argparse.Namespace) -> int:
    """Print one record's outcomes over the runs, its last raw text, our DCAT-US and its latest reasons."""
    lake_root = readable_lake(args.lake)
    story = record_story(lake_root, args.source, args.identifier)
    print(
        json.dumps(story, indent=2, default=str) if args.json else format_record_story(story),
        end="\n" if args.json else "",
    )
    return OK


def add_record_command(commands, common, add_command) -> None:
    """Register `record` (``add_command`` is the CLI's subcommand builder)."""
    from harvest_cli.parser import add_lake_option

    record = add_command(
        commands,
        "record",
        "show one record's outcome in each run, its last raw text, our DCAT-US and its reasons",
        "Read from the lake alone (each run's outcomes, extract and transform tables, and the current\n"
        "catalog version); no Spark, no Athena. An unknown source or identifier gets the nearest ones.",
        "harvest record example-agency doi:10.0000/roads --lake ./lake",
        common,
    )
    record.add_argument("source", help="the source id, as in the registry")
    record.add_argument(
        "identifier", help="the record's identifier (a data.json identifier, a WAF file's URL)"
    )
    add_lake_option(record)
    record.add_argument("--json", action="store_true", help="print it as JSON")
    record.set_defaults(func=record_command)
