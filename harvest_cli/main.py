"""The `harvest` command: run the workflow locally, look after the lake, and the AWS commands.

Exit codes: 0 every source completed; 3 the run succeeded but some source failed or was held;
1 the run failed; 2 usage or configuration error; 130 interrupted.
"""

import argparse
import os
import sys
from importlib.metadata import PackageNotFoundError, version

from harvest_cli import terminal
from harvest_cli.exit_codes import READER_GONE, USAGE, report_errors
from harvest_cli.parser import HarvestParser, add_command, add_lake_option, common_options
from harvest_cli.run_command import resume_harvest, run_harvest
from transforms.registry import PUBLISH_AS

__all__ = ["build_parser", "main", "run_harvest"]


def _version() -> str:
    try:
        return version("glue-harvester")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def add_run_command(commands, common) -> None:
    """harvest run."""
    run = add_command(
        commands,
        "run",
        "run the five jobs locally, in the order of the CloudFormation workflow",
        "Checks the registry, the source ids and the lake before Spark starts, then prints one line per\n"
        "stage and a last line that says how the run went (exit code 0, 3, 1 or 130).",
        "harvest run --sources sources.yaml --lake ./lake --only-sources noaa-waf",
        common,
    )
    run.add_argument(
        "--sources", required=True, metavar="FILE", help="source registry YAML (path or s3:// URI)"
    )
    add_lake_option(run)
    run.add_argument("--run-id", help="run id (default: a new time-ordered id)")
    run.add_argument(
        "--force", action="store_true", help="apply the changes of sources held by the mass-deletion guard"
    )
    run.add_argument(
        "--only-sources",
        default="",
        metavar="IDS",
        help="comma-separated source ids, whatever their schedule (default: every enabled one)",
    )
    run.add_argument(
        "--due-only",
        action="store_true",
        help="only the enabled sources due by their frequency, as the scheduled trigger runs",
    )
    run.add_argument(
        "--db-url",
        default="",
        help="also publish into this PostgreSQL catalog database (no password here: use $HARVEST_DB_URL)",
    )
    run.add_argument(
        "--publish-as",
        default="",
        choices=["", *PUBLISH_AS],
        help="publish every record of the run as DCAT-US 3.0 (default: as each source asks)",
    )
    run.add_argument(
        "--dry-run", action="store_true", help="run every stage and write the report, but publish nothing"
    )
    run.add_argument(
        "--new-lake",
        action="store_true",
        help="start a new lake at --lake when there is none (without it, a --lake with no lake is refused)",
    )
    run.set_defaults(
        func=lambda a: run_harvest(
            a.sources,
            a.lake,
            a.run_id,
            a.force,
            a.only_sources,
            a.db_url,
            publish_as=a.publish_as,
            mode=terminal.mode_of(a),
            debug=a.debug,
            dry_run=a.dry_run,
            new_lake=a.new_lake,
            due_only=a.due_only,
        )
    )


def add_init_command(commands, common) -> None:
    """harvest init."""
    from harvest_cli.preflight import checked_lake, lake_exists, resolved_lake

    def init(lake_value: str) -> int:
        existed = lake_exists(resolved_lake(lake_value))
        lake_root = checked_lake(lake_value, new_lake=True)
        print(f"{'a lake already exists' if existed else 'new lake'} at {lake_root}")
        return 0

    command = add_command(
        commands,
        "init",
        "start a new, empty lake",
        "Makes --lake a lake (a folder, or an s3:// prefix) so that `harvest run --lake` accepts it; every\n"
        "other command refuses a --lake where there is no lake, so a mistyped path never starts a new one.",
        "harvest init --lake s3://my-bucket/lake",
        common,
    )
    add_lake_option(command)
    command.set_defaults(func=lambda a: init(a.lake))


def add_resume_command(commands, common) -> None:
    """harvest resume (local, or on AWS with --stack)."""
    resume = add_command(
        commands,
        "resume",
        "run a failed or interrupted run again from the stage where it stopped",
        "Locally it reruns the run's stopped stage and the ones after it, with the run's own registry\n"
        "and options. With --stack it resumes the Glue workflow run (Glue's ResumeWorkflowRun).",
        "harvest resume 20261127T020000Z-1a2b3c --lake ./lake",
        common,
    )
    resume.add_argument("run_id", help="the run to resume")
    add_lake_option(resume)
    resume.add_argument("--db-url", default="", help="the catalog database, if the run published into one")
    resume.add_argument("--stack", help="resume the workflow run of this deployed stack instead")
    resume.add_argument("--region", help="AWS region, with --stack (default: the AWS configuration's)")

    def resume_run(args) -> int:
        if args.stack:
            from harvest_cli.aws_runs import resume_command

            return resume_command(args)
        return resume_harvest(args.run_id, args.lake, args.db_url, terminal.mode_of(args), args.debug)

    resume.set_defaults(func=resume_run)


def add_report_command(commands, common) -> None:
    """harvest report."""
    from harvest_cli.lake_commands import show_report

    report = add_command(
        commands,
        "report",
        "print a run's report (default: the latest run)",
        "Sources with their counts, what failed or was held and why, the commonest rejection reasons and\n"
        "warnings per source; for a run that stopped, the stage and its error. The exit code is the run's.",
        "harvest report --lake ./lake",
        common,
    )
    report.add_argument("run_id", nargs="?", help="run id (default: the latest run with a report)")
    add_lake_option(report)
    report.set_defaults(func=lambda a: show_report(a.lake, a.run_id))


def add_rollback_command(commands, common) -> None:
    """harvest rollback."""
    from harvest_cli.lake_commands import rollback

    command = add_command(
        commands,
        "rollback",
        "make an earlier catalog version current again",
        "Switches catalog/CURRENT back to VERSION (a run id that published one) after a confirmation,\n"
        "and records it in catalog/HISTORY.jsonl. The newer versions stay in the lake.",
        "harvest rollback 20261126T020000Z-9f8e7d --lake ./lake",
        common,
    )
    command.add_argument("version", help="the catalog version to make current (a run id)")
    add_lake_option(command)
    command.add_argument("--yes", action="store_true", help="do not ask for a confirmation")
    command.set_defaults(func=lambda a: rollback(a.lake, a.version, a.yes))


def add_prune_command(commands, common) -> None:
    """harvest prune."""
    from harvest_cli.lake_commands import prune

    command = add_command(
        commands,
        "prune",
        "remove old run folders and the catalog versions nothing needs",
        "Keeps the newest N runs, CURRENT, the version it replaced, the newest N catalog versions and\n"
        "the versions of the kept runs; lists what goes and asks first.",
        "harvest prune --keep 30 --lake ./lake --dry-run",
        common,
    )
    command.add_argument(
        "--keep", type=int, required=True, metavar="N", help="how many of the newest runs to keep"
    )
    add_lake_option(command)
    command.add_argument("--yes", action="store_true", help="do not ask for a confirmation")
    command.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    command.set_defaults(func=lambda a: prune(a.lake, a.keep, a.yes, a.dry_run))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the harvest command: one add_*_command function per subcommand."""
    from harvest_cli.aws_commands import add_deploy_command
    from harvest_cli.aws_runs import add_start_command, add_status_command
    from harvest_cli.clear_command import add_clear_command
    from harvest_cli.lake_commands import add_lake_commands
    from harvest_cli.publisher_commands import add_publisher_commands
    from harvest_cli.record_command import add_record_command
    from harvest_cli.search_commands import add_search_commands

    parser = HarvestParser(
        prog="harvest", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"harvest (glue-harvester) {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_options()
    for add in (
        add_init_command,
        add_run_command,
        add_resume_command,
        add_report_command,
        add_rollback_command,
        add_prune_command,
    ):
        add(commands, common)
    # The other modules' commands get the subcommand builder handed in.
    for add_theirs in (
        add_deploy_command,
        add_start_command,
        add_status_command,
        add_lake_commands,
        add_clear_command,
        add_publisher_commands,
        add_record_command,
        add_search_commands,
    ):
        add_theirs(commands, common, add_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `harvest` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return USAGE
    try:
        code = report_errors(args.command, lambda: args.func(args), debug=args.debug)
        sys.stdout.flush()  # here, so a reader that went away is noticed here and not at exit
    except BrokenPipeError:
        # The reader stopped reading (`harvest report | head`): what it read is all it wanted. Python's
        # own flush at exit must not fail again on the dead pipe, so stdout now goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return READER_GONE
    return code


if __name__ == "__main__":
    sys.exit(main())
