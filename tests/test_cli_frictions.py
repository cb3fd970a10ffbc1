"""What an operator meets at the terminal, without Spark: the README's figures and commands against what
the project holds, near-name suggestions, a closed pipe, stage-line counts, unknown runs, the page's
record commands and force line."""

import json
import logging
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glue_jobs.job_context import configure_logging
from harvest_cli import terminal
from harvest_cli.main import build_parser, main
from harvest_cli.terminal import counts_text
from tests.conftest import ROOT
from tests.test_cli import restored_logging  # noqa: F401
from transforms.reports.findings_html import record_command
from transforms.reports.report_html import render_report_html

README = (ROOT / "README.md").read_text("utf-8")
SAMPLES = ROOT / "samples"
DCATUS3_CLASSES = {"Dataset", "DataService", "CatalogRecord", "DatasetSeries"}


def dcatus3_records(document) -> int:
    """The records of a DCAT-US 3.0 catalog, counted here from its JSON: every object of a record class,
    one per identifier (a member also listed at the top level is one record), one per object without one."""
    ids, anonymous = set(), 0

    def walk(value) -> None:
        nonlocal anonymous
        if isinstance(value, dict):
            if value.get("@type") in DCATUS3_CLASSES:
                identifier = value.get("identifier")
                if isinstance(identifier, dict):
                    identifier = identifier.get("@id")
                if isinstance(identifier, str):
                    ids.add(identifier)
                else:
                    anonymous += 1
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(document)
    return len(ids) + anonymous


def sample_records() -> dict[str, int]:
    """Records per sample source, counted from the files the registry points at."""
    counts = {}
    for source in yaml.safe_load((SAMPLES / "sources.yaml").read_text("utf-8"))["sources"]:
        path = SAMPLES / "www" / source["url"].replace("{samples_url}/", "")
        if source["type"] == "waf":
            counts[source["id"]] = len(list(path.rglob("*.xml")))
        elif source["schema"] == "dcatus3.0":
            counts[source["id"]] = dcatus3_records(json.loads(path.read_text("utf-8")))
        else:
            counts[source["id"]] = len(json.loads(path.read_text("utf-8"))["dataset"])
    return counts


def test_the_readme_states_the_samples_real_counts():
    counts = sample_records()
    run_line = re.search(r"^harvest run \S+: (\d+) sources", README, re.M)
    extract_line = re.search(
        r"^\[1/5\] extract done in [\d.]+ s: sources (\d+), records read (\d+)$", README, re.M
    )
    assert run_line and extract_line, "the README shows make run's lines"
    assert int(run_line[1]) == int(extract_line[1]) == len(counts)
    assert int(extract_line[2]) == sum(counts.values())
    described = re.search(
        r"`make run` serves the bundled sample sources \(([^)]*)\)", README.replace("\n", " ")
    )
    assert described
    stated = [int(n) for n in re.findall(r"(\d+) (?:datasets|records)", described[1])]
    assert sorted(stated) == sorted(counts.values())


def make_targets() -> dict[str, str]:
    """Every target of the Makefile and mk/*.mk, with its ## help text."""
    targets = {}
    for makefile in [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]:
        for name, help_text in re.findall(
            r"^([a-z][a-z0-9-]*):[^#\n]*(?:## (.*))?$", makefile.read_text(), re.M
        ):
            targets[name] = help_text
    return targets


def test_every_make_target_the_readme_names_exists_and_says_the_same_duration():
    targets = make_targets()
    named = set(
        re.findall(r"`make ([a-z0-9 -]+)`", README) + re.findall(r"^make ([a-z0-9 -]+?) +#", README, re.M)
    )
    missing = [t for words in named for t in words.split() if t not in targets]
    assert not missing
    for target, comment in re.findall(r"^make ([a-z-]+) +# (.*)$", README, re.M):
        durations = re.findall(r"(?:about|under|within) an? (?:minute|hour)", comment)
        assert all(d in targets[target] for d in durations), (target, comment, targets[target])


def test_the_readme_lists_every_subcommand():
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert [c for c in commands if f"harvest {c}" not in README] == []


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(st.sampled_from(sorted(build_parser()._subparsers._group_actions[0].choices)), st.data())  # type: ignore[union-attr]
def test_a_mistyped_subcommand_is_answered_with_the_one_meant(capsys, command, data):
    if len(command) < 4:
        return
    dropped = data.draw(st.integers(0, len(command) - 1))
    typo = command[:dropped] + command[dropped + 1 :]
    with pytest.raises(SystemExit) as stopped:
        main([typo])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert re.search(rf"did you mean [^?]*\b{re.escape(command)}\b", err), err


def test_a_closed_pipe_ends_the_command_quietly():
    """`harvest validate FILE | head`: the reader is gone before the output is written."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harvest_cli.main",
            "validate",
            str(SAMPLES / "www" / "datajson" / "data.json"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    process.stdout.close()  # type: ignore[union-attr]
    err = process.stderr.read().decode()  # type: ignore[union-attr]
    assert process.wait(timeout=120) == 141
    assert err == ""


@given(
    st.dictionaries(
        st.from_regex(r"[a-z]{1,8}(_[a-z]{1,8})?", fullmatch=True), st.booleans() | st.integers(0, 10**9)
    )
)
def test_a_stage_line_shows_a_flag_as_words_and_every_count_by_name(counts):
    text = counts_text(counts)
    for name, value in counts.items():
        label = name.replace("_", " ")
        if value is True:
            assert re.search(rf"(^|, ){re.escape(label)}(, |$)", text)
        elif value:
            assert f"{label} {value:,}" in text
    assert "True" not in text and "False" not in text


@given(st.text(), st.text(), st.text(min_size=1))
def test_the_record_command_on_the_page_gives_back_the_source_and_identifier(source, identifier, lake):
    command = record_command({"lake": lake}, source, identifier)
    assert shlex.split(command) == ["harvest", "record", source, identifier, "--lake", lake]


def test_the_page_names_force_only_when_it_was_set_and_shows_the_record_command():
    report = {
        "run_id": "r1",
        "lake": "/srv/lake",
        "force": False,
        "top_reasons": [
            {"reason": "bad", "count": 1, "examples": [{"source_id": "s", "identifier": "<b>x</b>"}]}
        ],
    }
    page = render_report_html(report)
    assert "Force" not in page and "forced" not in page
    assert "harvest record s &#x27;&lt;b&gt;x&lt;/b&gt;&#x27; --lake /srv/lake" in page
    assert "<b>forced</b>" in render_report_html({**report, "force": True})
    grouped = {
        **report,
        "sources": [
            {
                "source_id": "waf",
                "error_groups": [{"reason": "r", "count": 1, "examples": ["https://h/a b.xml"]}],
            }
        ],
    }
    assert "harvest record waf &#x27;https://h/a b.xml&#x27; --lake /srv/lake" in render_report_html(grouped)


def test_an_unknown_run_is_refused_naming_the_recent_runs(capsys, tmp_path):
    assert main(["init", "--lake", str(tmp_path)]) == 0
    for number in range(7):
        run = tmp_path / "runs" / f"run-{number}"
        run.mkdir(parents=True)
        (run / "manifest.json").write_text(json.dumps({"started": f"2026-11-2{number}T02:00:00+00:00"}))
    capsys.readouterr()
    recent = "run-6, run-5, run-4, run-3, run-2"
    for command in ("resume", "report"):
        assert main([command, "nosuch", "--lake", str(tmp_path)]) == 2
        assert capsys.readouterr().err.strip() == (
            f"harvest {command}: no run nosuch in {tmp_path}; recent runs: {recent}"
        )


def test_a_jobs_warning_reaches_the_terminal_as_one_plain_line(capsys, restored_logging):  # noqa: F811
    """A job the local runner starts keeps the runner's terminal handler: no timestamp, no logger name,
    publisher text shown as text; --verbose keeps the job log's own format."""
    terminal.configure(terminal.NORMAL)
    configure_logging("WARNING")  # what each job does first
    logging.getLogger("transforms.publish.postgres").warning(
        "catalog database refused source %s", "a\x1b[2Jb"
    )
    logging.getLogger("transforms.publish").info("not shown at the normal level")
    assert capsys.readouterr().err == "harvest: warning: catalog database refused source a [2Jb\n"
    terminal.configure(terminal.VERBOSE)
    configure_logging("INFO")
    logging.getLogger("transforms.publish").info("shown with --verbose")
    assert re.fullmatch(r"\S+ \S+ INFO transforms.publish: shown with --verbose\n", capsys.readouterr().err)
