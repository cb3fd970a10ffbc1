"""The parts every subcommand's parser is built from: the common options, the subcommand builder, --lake.

Each command module registers its subcommands with these; ``harvest_cli.main`` assembles the parser.
"""

import argparse

from harvest_cli.suggestions import did_you_mean

DEFAULT_LAKE = "lake"  # every command that reads or writes a lake defaults to ./lake


class HarvestParser(argparse.ArgumentParser):
    """argparse's parser whose refusal of an unknown choice (a subcommand, a --schema) names the near ones.

    Every subcommand's parser is of this class too (argparse makes subparsers of their parent's class).
    """

    def _check_value(self, action: argparse.Action, value) -> None:
        if action.choices is not None and value not in action.choices:
            hint = did_you_mean(str(value), [str(choice) for choice in action.choices])
            listed = ", ".join(str(choice) for choice in action.choices)
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r}{hint or f' (choose from {listed})'}"
            )


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
