"""Every `make X` and `harvest X` a document tells a reader to type exists.

The commands are read from the Markdown's code: fenced blocks and inline code spans. Every
Markdown file of the project (README.md, docs/*.md) is checked, so a new page is covered as
soon as it is written; `documented_commands` is the one reader of them.
"""

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from harvest_cli.main import build_parser
from tests.conftest import ROOT

DOCUMENTS = sorted([ROOT / "README.md", *ROOT.glob("docs/*.md")])
FENCE = re.compile(r"^(```|~~~).*?^\1", flags=re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
# `make` or `harvest` (bare or as a path, `.venv/bin/harvest`) where a shell command starts (a line's
# start, or after ; & | or an opening parenthesis), then the command's first word that is neither an
# option nor a VARIABLE=value. `--stack harvest` is an argument, not a command.
COMMAND = re.compile(
    r"(?:^|[;&|(])[ \t]*(?:[\w.~-]*/)*(?P<tool>make|harvest)(?:[ \t]+(?:-\S+|[A-Z_][A-Z0-9_]*=\S*))*[ \t]+"
    r"(?P<name>[a-z][a-z0-9-]*)"
)


def code_of(markdown: str) -> list[str]:
    """The code in a Markdown text: each fenced block, then each inline code span outside them."""
    blocks = [match.group(0) for match in FENCE.finditer(markdown)]
    prose = FENCE.sub("", markdown)
    return blocks + [match.group(2) for match in INLINE.finditer(prose)]


def documented_commands(markdown: str) -> set[tuple[str, str]]:
    """Every (tool, command) pair a Markdown text's code shows: ("make", "install"), ("harvest", "start")."""
    return {
        (match.group("tool"), match.group("name"))
        for code in code_of(markdown)
        for line in code.replace("\\\n", " ").splitlines()
        for match in COMMAND.finditer(line)
    }


@cache
def make_targets() -> frozenset[str]:
    """The targets make knows in this checkout, from make's own database (``make -pq``)."""
    database = subprocess.run(
        ["make", "-pRrq", "-f", "Makefile", "--no-print-directory", "glue-doc-no-such-target"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    targets = set()
    for line in database.splitlines():
        rule = re.match(r"^([a-zA-Z0-9][^$#/\t=:]*):(?!=)", line)
        if rule:
            targets.update(rule.group(1).split())
    return frozenset(targets)


@cache
def harvest_subcommands() -> frozenset[str]:
    """The subcommands the harvest command's parser accepts."""
    parser = build_parser()
    (commands,) = [action for action in parser._actions if action.dest == "command"]
    return frozenset(commands.choices)


def missing_commands(document: Path) -> list[str]:
    """The `make X` and `harvest X` of a document that do not exist, as they are written."""
    known = {"make": make_targets(), "harvest": harvest_subcommands()}
    found = documented_commands(document.read_text("utf-8"))
    return sorted(f"{tool} {name}" for tool, name in found if name not in known[tool])


def test_the_reader_finds_commands_in_fences_and_inline_code_and_not_in_prose():
    markdown = (
        "Run make notatarget in prose, then `make install`.\n\n"
        "```bash\n.venv/bin/harvest deploy --stack harvest \\\n    --region us-east-1\n"
        "make glue-submit-run GLUE_SUBMIT_ARGS='--force' && harvest status --wait\n"
        "make -n GLUE_VERSION=5.0 check-glue-wheels\n```\n"
        "Also `harvest` alone, and `harvest --help`.\n"
    )
    assert documented_commands(markdown) == {
        ("make", "install"),
        ("harvest", "deploy"),
        ("make", "glue-submit-run"),
        ("harvest", "status"),
        ("make", "check-glue-wheels"),
    }


def test_make_and_harvest_know_their_commands():
    assert {"install", "check-glue-wheels", "glue-submit-run", "package"} <= make_targets()
    assert {"deploy", "start", "status", "resume", "rollback"} <= harvest_subcommands()


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_documented_command_exists(document):
    assert missing_commands(document) == []


def test_a_command_that_does_not_exist_is_named(tmp_path):
    document = tmp_path / "page.md"
    document.write_text(
        "```bash\nmake install\nmake no-such-target\nharvest no-such-command --x\n```\n", "utf-8"
    )
    assert missing_commands(document) == ["harvest no-such-command", "make no-such-target"]
