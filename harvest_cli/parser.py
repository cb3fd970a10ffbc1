"""The parts every subcommand's parser is built from: the common options, the subcommand builder, --lake.

Each command module registers its subcommands with these; ``harvest_cli.main`` assembles the parser.
"""

import argparse

DEFAULT_LAKE = "lake"  # every command that reads or writes a lake defaults to ./lake


def common_options() -> argparse.ArgumentParser:
    """The options every subcommand takes: how much to show, and tracebacks for bug reports."""
    common = argparse.ArgumentParser(add_help=False)
    shown = common.add_mutually_exclusive_group()
    shown.add_argument("-q", "--quiet", action="store_true", help="print only the final summary")
    shown.add_argument("-v", "--verbose", action="store_true", help="also print every job's INFO log lines")
    common.add_argument("--debug", action="store_true", help="show the traceback of an error")
    return common


def add_command(commands, name: str, summary: str, description: str, example: str, common):
    """A subcommand parser with a one-line summary, a description and one example."""
    return commands.add_parser(
        name,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )


def add_lake_option(parser) -> None:
    """--lake, with the same default everywhere."""
    parser.add_argument(
        "--lake",
        default=DEFAULT_LAKE,
        help=f"lake root: a folder or an s3:// URI (default: ./{DEFAULT_LAKE})",
    )
