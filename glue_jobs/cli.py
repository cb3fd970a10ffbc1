"""The `harvest` command: run the workflow locally, read reports, and the AWS commands."""

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from glue_jobs.arguments import new_run_id
from transforms import lake
from transforms.registry import PUBLISH_AS, RegistryError, parse_registry


def _report_path(lake_root: str, run_id: str, name: str = "report.json") -> str:
    return lake.join(lake.run_path(lake_root, run_id, "report"), name)


def _write_failed_report(lake_root: str, run_id: str, failed_stage: str) -> None:
    """A run that stopped before load still leaves a report saying so (and nothing was loaded)."""
    report = {
        "run_id": run_id,
        "status": "failed",
        "failed_stage": failed_stage,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "lake": lake_root,
        "sources": [],
        "totals": {},
        "message": f"the {failed_stage} job failed; the workflow stopped before load and the catalog is unchanged",
    }
    lake.write_text(_report_path(lake_root, run_id), json.dumps(report, indent=2) + "\n", "application/json")


def run_harvest(
    sources: str,
    lake_root: str,
    run_id: str | None = None,
    force: bool = False,
    only_sources: str = "",
    db_url: str = "",
    publish_as: str = "",
) -> int:
    """Run the whole workflow locally; print progress, the run id and the report path. Returns an exit code."""
    from glue_jobs.workflow import run_workflow
    from transforms.lake_lock import LakeLocked
    from transforms.publish.db_config import has_password, password_refusal

    if has_password(db_url):
        print(f"harvest: {password_refusal()}", file=sys.stderr)
        return 2
    try:
        run_id = lake.check_run_id(run_id) if run_id else None
    except lake.InvalidRunId as error:
        print(f"harvest: {error}", file=sys.stderr)
        return 2
    registry_text = lake.read_text(sources)
    if registry_text is None:
        print(f"harvest: source registry not found at {sources}", file=sys.stderr)
        return 2
    try:
        parse_registry(registry_text)
    except RegistryError as error:
        print(f"harvest: {sources}: {error}", file=sys.stderr)
        return 2
    lake_root = lake_root if lake.is_s3(lake_root) else str(Path(lake_root).resolve())
    sources = sources if lake.is_s3(sources) else str(Path(sources).resolve())
    run_id = run_id or new_run_id()
    print(f"harvest run {run_id}: lake {lake_root}")
    overrides = {
        "lake": lake_root,
        "sources": sources,
        "run-id": run_id,
        "force": str(force).lower(),
        "only-sources": only_sources,
        "db-url": db_url,
        "publish-as": publish_as,
    }
    try:
        failed = run_workflow(overrides).failed_stage
    except LakeLocked as error:
        print(f"harvest: {error}", file=sys.stderr)
        return 2
    if failed:
        _write_failed_report(lake_root, run_id, failed)
        print(f"run {run_id} FAILED at {failed}; report: {_report_path(lake_root, run_id)}", file=sys.stderr)
        return 1
    print(f"run {run_id} succeeded")
    print(f"report: {_report_path(lake_root, run_id)}")
    print(f"        {_report_path(lake_root, run_id, 'report.html')}")
    return 0


def latest_run(lake_root: str) -> str | None:
    """The newest run id with a report in a local lake."""
    reports = sorted(Path(lake_root, "runs").glob("*/report/report.json"))
    return reports[-1].parts[-3] if reports else None


def show_report(lake_root: str, run_id: str | None) -> int:
    """Print a run's report summary in the terminal."""
    from transforms.publish.report_html import format_report_text

    run_id = run_id or latest_run(lake_root)
    text = lake.read_text(_report_path(lake_root, run_id)) if run_id else None
    if text is None:
        print(f"harvest: no report for {run_id or 'any run'} in {lake_root}", file=sys.stderr)
        return 1
    print(format_report_text(json.loads(text)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the harvest command."""
    parser = argparse.ArgumentParser(prog="harvest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="run the five jobs locally, in the order of the CloudFormation workflow"
    )
    run.add_argument("--sources", required=True, help="source registry YAML (path or s3:// URI)")
    run.add_argument("--lake", required=True, help="lake root: a folder or an s3:// URI")
    run.add_argument("--run-id", help="run id (default: a new time-ordered id)")
    run.add_argument(
        "--force", action="store_true", help="apply the changes of sources held by the mass-deletion guard"
    )
    run.add_argument(
        "--only-sources", default="", help="comma-separated source ids (default: every enabled source)"
    )
    run.add_argument(
        "--db-url",
        default="",
        help="also publish into this PostgreSQL catalog database (no password here: use $HARVEST_DB_URL)",
    )
    run.add_argument(
        "--publish-as", default="", choices=["", *PUBLISH_AS], help="publish every record as DCAT-US 3.0"
    )
    run.set_defaults(
        func=lambda a: run_harvest(
            a.sources, a.lake, a.run_id, a.force, a.only_sources, a.db_url, a.publish_as
        )
    )
    report = commands.add_parser("report", help="print a run's report (default: the latest run)")
    report.add_argument("run_id", nargs="?", help="run id (default: the latest run with a report)")
    report.add_argument("--lake", default="lake", help="lake folder (default: ./lake)")
    report.set_defaults(func=lambda a: show_report(a.lake, a.run_id))
    from glue_jobs.aws_commands import add_aws_commands
    from glue_jobs.lake_commands import add_lake_commands

    add_aws_commands(commands)
    add_lake_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `harvest` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
