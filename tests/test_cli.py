"""The harvest command without Spark: help, version, the checks before Spark starts, reports, rollback, prune.

Every case pins the exit code, the last line and that no traceback reached the terminal.
"""

import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harvest_cli import terminal
from harvest_cli.main import main
from harvest_cli.run_command import write_stopped_report
from harvest_cli.workflow import WorkflowResult
from tests.conftest import ROOT
from transforms.lake.catalog_history import read_history
from transforms.lake.catalog_state import read_pointer, switch_pointer

COMMANDS = (
    "init",
    "run",
    "resume",
    "report",
    "rollback",
    "prune",
    "deploy",
    "start",
    "status",
    "reconcile",
    "unlock",
    "pointer",
    "validate",
    "history",
    "record",
)
REGISTRY = """sources:
  - id: city
    title: City
    organization: City
    url: {url}
    type: datajson
    schema: dcatus1.1-non-federal
"""


def harvest(capsys, *argv) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of one in-process harvest command; never a traceback."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.fixture
def registry(tmp_path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(REGISTRY.format(url="https://data.example.gov/data.json"))
    return path


def test_no_arguments_prints_the_help(capsys):
    code, out, _ = harvest(capsys)
    assert code == 2 and out.startswith("usage: harvest")
    assert all(command in out for command in COMMANDS)


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("harvest (glue-harvester) ")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_a_description_and_an_example(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert description[0].isupper() and description.endswith(".")
    assert f"example:\n  harvest {command} " in out


def test_an_invalid_registry_is_one_line_per_problem_before_spark(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - id: Bad Id\n")
    code, _, err = harvest(capsys, "run", "--sources", str(bad), "--lake", str(tmp_path / "lake"))
    assert code == 2
    assert err.startswith(f"harvest run: {bad}: invalid source registry:")
    assert "field 'title' is required" in err


def test_a_loopback_host_without_the_permission_stops_the_run_before_spark(capsys, tmp_path):
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY.format(url="http://127.0.0.1:8000/data.json"))
    code, _, err = harvest(capsys, "run", "--sources", str(registry), "--lake", str(tmp_path / "lake"))
    assert code == 2
    assert last_line(err).endswith(
        "field 'url' points at 127.0.0.1, which is loopback; "
        "set allow_private_network: true on the source to allow it"
    )


def test_an_unknown_source_id_stops_the_run_before_spark(capsys, registry, tmp_path):
    code, _, err = harvest(
        capsys,
        "run",
        "--sources",
        str(registry),
        "--lake",
        str(tmp_path / "l"),
        "--only-sources",
        "city,nope",
    )
    assert code == 2
    assert last_line(err) == f"harvest run: {registry}: unknown source id(s) nope; the registry has city"


def test_a_missing_registry_and_a_lake_that_is_a_file(capsys, registry, tmp_path):
    code, _, err = harvest(capsys, "run", "--sources", str(tmp_path / "none.yaml"), "--lake", str(tmp_path))
    assert (
        code == 2 and last_line(err) == f"harvest run: source registry not found at {tmp_path / 'none.yaml'}"
    )
    code, _, err = harvest(capsys, "run", "--sources", str(registry), "--lake", str(registry))
    assert code == 2
    assert (
        last_line(err)
        == f"harvest run: lake {registry} is a file, not a folder: pass --lake a folder (or an s3:// URI)"
    )


def test_a_read_only_lake_stops_the_run_before_spark():
    """A subprocess: as root, permission bits do not stop writes, so the command runs as nobody."""
    base = Path(tempfile.mkdtemp(prefix="harvest-read-only-"))  # pytest's tmp_path is private to root
    try:
        base.chmod(0o755)
        registry = base / "sources.yaml"
        registry.write_text(REGISTRY.format(url="https://data.example.gov/data.json"))
        lake = base / "lake"
        lake.mkdir(mode=0o555)
        drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [
                *drop,
                sys.executable,
                "-m",
                "harvest_cli.main",
                "run",
                "--sources",
                str(registry),
                "--lake",
                str(lake),
                "--new-lake",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
        )
    finally:
        shutil.rmtree(base)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"harvest run: lake {lake} is not writable: Permission denied"


def stopped(stage: str, error: str | None = "ValueError: boom", interrupted: bool = False) -> WorkflowResult:
    if interrupted:
        return WorkflowResult(seconds={}, interrupted_stage=stage)
    return WorkflowResult(seconds={}, failed_stage=stage, error=error)


def test_report_of_a_failed_run_names_the_stage_and_its_error_and_exits_1(capsys, tmp_path):
    lake = str(tmp_path)
    write_stopped_report(lake, "r1", stopped("transform"), {"sources": "/s.yaml"})
    code, out, _ = harvest(capsys, "report", "r1", "--lake", lake)
    assert code == 1
    assert out.splitlines()[0].startswith("Harvest run r1: failed at transform")
    assert out.splitlines()[1] == (
        "the transform job failed: ValueError: boom; the catalog is unchanged (current version: none)"
    )
    assert last_line(out) == f"report: {tmp_path / 'runs' / 'r1' / 'report' / 'report.html'}"


def complete_version(lake_root, version: str) -> None:
    """A catalog version folder with the marker load writes last (the pointer accepts only complete versions)."""
    folder = Path(lake_root, "catalog", "versions", version)
    folder.mkdir(parents=True)
    marker = {
        "version": version,
        "run_id": version,
        "records": 0,
        "written": f"2026-11-01T00:00:{len(version):02d}",
    }
    (folder / "VERSION.json").write_text(json.dumps(marker))


def test_a_load_failure_says_what_the_pointer_says(tmp_path):
    lake = str(tmp_path)
    complete_version(lake, "r0")
    complete_version(lake, "r1")
    switch_pointer(lake, "r0", None)
    assert write_stopped_report(lake, "r1", stopped("load"), {}) == (
        "the load job failed: ValueError: boom; the catalog is unchanged (current version: r0)"
    )
    switch_pointer(lake, "r1", "r0")  # load switched the pointer, then failed
    assert write_stopped_report(lake, "r1", stopped("load"), {}) == (
        "the load job failed: ValueError: boom; this run's catalog version r1 was published"
    )
    report = json.loads((tmp_path / "runs" / "r1" / "report" / "report.json").read_text())
    assert (report["status"], report["outcome"], report["failed_stage"]) == ("failed", "failed", "load")


def test_the_stopped_report_writer_survives_a_lake_it_cannot_write(tmp_path, capsys):
    (tmp_path / "runs" / "r1").mkdir(parents=True)
    (tmp_path / "runs" / "r1" / "report").write_text("a file where the report folder should be")
    message = write_stopped_report(str(tmp_path), "r1", stopped("extract", interrupted=True), {})
    assert message.startswith("the run was interrupted during extract; the catalog is unchanged")
    err = capsys.readouterr().err
    assert err.startswith("harvest: the report could not be written to the lake: ") and err.count("\n") == 1


def test_report_of_a_partial_run_exits_3_and_shows_warnings_per_source(capsys, tmp_path):
    report = {
        "run_id": "r2",
        "status": "succeeded",
        "outcome": "partial",
        "finished": "2026-11-27T02:03:10Z",
        "sources": [
            {
                "source_id": "a",
                "status": "complete",
                "warnings": 2,
                "top_warnings": [{"warning": "w1", "count": 2}],
            },
            {"source_id": "b", "status": "failed", "reason": "HTTP 404 from https://b.example.gov/"},
        ],
        "totals": {},
    }
    folder = tmp_path / "runs" / "r2" / "report"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report))
    code, out, _ = harvest(capsys, "report", "--lake", str(tmp_path))
    assert code == 3
    assert "  b (failed): HTTP 404 from https://b.example.gov/" in out
    assert "Warnings by source:\n  a (2 records):\n       2  w1\n" in out


def test_report_without_any_run(capsys, tmp_path):
    code, _, err = harvest(capsys, "report", "--lake", str(tmp_path))
    assert code == 2 and last_line(err).startswith(f"harvest report: no lake at {tmp_path}")
    assert harvest(capsys, "init", "--lake", str(tmp_path))[0] == 0
    code, _, err = harvest(capsys, "report", "--lake", str(tmp_path))
    assert code == 2 and last_line(err) == f"harvest report: no run has been reported in {tmp_path} yet"


def test_resume_of_a_run_that_completed_is_refused(capsys, tmp_path):
    folder = tmp_path / "runs" / "r3" / "report"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps({"run_id": "r3", "outcome": "complete"}))
    code, _, err = harvest(capsys, "resume", "r3", "--lake", str(tmp_path))
    assert code == 2
    assert last_line(err) == "harvest resume: run r3 did not stop early (outcome complete): nothing to resume"


def catalog_lake(tmp_path, runs: list[str], versions: list[str], current: str, previous: str | None) -> str:
    """A lake with run folders (started in list order) and catalog versions; CURRENT as given."""
    for number, run_id in enumerate(runs):
        folder = tmp_path / "runs" / run_id
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(
            json.dumps({"run_id": run_id, "started": f"2026-11-{number + 10}T02:00:00"})
        )
    for version in versions:
        complete_version(tmp_path, version)
    switch_pointer(str(tmp_path), current, previous)
    return str(tmp_path)


def test_rollback_switches_current_back_with_a_history_entry(capsys, tmp_path):
    lake = catalog_lake(tmp_path, ["wr_b", "wr_a"], ["wr_b", "wr_a"], "wr_a", "wr_b")
    code, out, _ = harvest(capsys, "rollback", "wr_b", "--lake", lake, "--yes")
    assert code == 0
    assert (
        last_line(out)
        == f"CURRENT switched from wr_a to wr_b; recorded in {tmp_path / 'catalog' / 'HISTORY.jsonl'}"
    )
    assert read_pointer(lake)["version"] == "wr_b"
    (entry,) = read_history(lake)
    assert (entry["action"], entry["from"], entry["to"]) == ("rollback", "wr_a", "wr_b")


def test_rollback_asks_first_and_refuses_unknown_versions(capsys, tmp_path, monkeypatch):
    lake = catalog_lake(tmp_path, ["v1", "v2"], ["v1", "v2"], "v2", "v1")
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # not a terminal: nobody to ask
    code, _, err = harvest(capsys, "rollback", "v1", "--lake", lake)
    assert code == 2 and "pass --yes to confirm without a terminal" in last_line(err)
    code, _, err = harvest(capsys, "rollback", "v0", "--lake", lake, "--yes")
    assert (
        code == 2
        and last_line(err) == f"harvest rollback: no complete catalog version v0 in {lake}; versions: v1, v2"
    )
    assert read_pointer(lake)["version"] == "v2" and read_history(lake) == []


def test_prune_keeps_the_newest_runs_current_and_the_versions_they_need(capsys, tmp_path):
    runs = ["r1", "r2", "r3", "r4", "r5"]
    lake = catalog_lake(tmp_path, runs, ["r1", "r2", "r3", "r5"], "r3", "r2")  # r5 was rolled back to r3
    code, out, _ = harvest(capsys, "prune", "--keep", "2", "--lake", lake, "--dry-run")
    assert code == 0 and last_line(out) == "nothing was removed (dry run)"
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == runs
    code, out, _ = harvest(capsys, "prune", "--keep", "2", "--lake", lake, "--yes")
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["r4", "r5"]
    # r3 is CURRENT, r2 the version it replaced, r5 the newest and a kept run's; r1 goes.
    assert sorted(p.name for p in (tmp_path / "catalog" / "versions").iterdir()) == ["r2", "r3", "r5"]
    assert last_line(out).startswith("removed 3 run folders and 1 catalog versions; recorded in ")
    assert read_history(lake)[-1]["versions"] == ["r1"]


def test_prune_refuses_to_keep_nothing(capsys, tmp_path):
    code, _, err = harvest(capsys, "prune", "--keep", "0", "--lake", str(tmp_path))
    assert code == 2 and last_line(err) == "harvest prune: --keep must be at least 1"


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(capsys, tmp_path):
    folder = tmp_path / "runs" / "r4" / "report"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text("{not json")
    code, _, err = harvest(capsys, "report", "r4", "--lake", str(tmp_path))
    assert code == 1
    assert err.startswith("harvest report: JSONDecodeError: ") and err.count("\n") == 1
    assert err.rstrip().endswith("(--debug shows the traceback)")
    assert main(["report", "r4", "--lake", str(tmp_path), "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


@pytest.fixture
def restored_logging():
    """The logging set-up as it was: terminal.configure changes the root and the progress logger."""
    root, progress = logging.getLogger(), logging.getLogger(terminal.PROGRESS_LOGGER)
    saved = (root.handlers[:], root.level, progress.handlers[:], progress.level, progress.propagate)
    yield
    root.handlers[:], progress.handlers[:] = saved[0], saved[2]
    root.setLevel(saved[1])
    progress.setLevel(saved[3])
    progress.propagate = saved[4]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_each_stage_leaves_one_line(monkeypatch, restored_logging):
    screen = Terminal()
    monkeypatch.setattr("sys.stdout", screen)
    assert terminal.configure(terminal.NORMAL) == "WARNING"
    progress = logging.getLogger(terminal.PROGRESS_LOGGER)
    progress.info("[1/5] extract ...", extra={"pending": True})
    progress.info("extract: 10 of 40 WAF files fetched")  # from inside the stage: the stage line comes back
    progress.info("[1/5] extract done in 3.0 s: sources 2")
    assert screen.getvalue() == (
        "[1/5] extract ..."
        "\r\x1b[Kextract: 10 of 40 WAF files fetched\n[1/5] extract ..."
        "\r\x1b[K[1/5] extract done in 3.0 s: sources 2\n"
    )
    assert terminal.configure(terminal.QUIET) == "ERROR"
    progress.info("[2/5] compare done in 1.0 s")  # --quiet: only the final summary, printed directly
    assert terminal.configure(terminal.VERBOSE) == "INFO"
    assert screen.getvalue().endswith("sources 2\n")


def test_prune_and_rollback_work_on_an_s3_lake(capsys, aws):
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lake")
    for number, run_id in enumerate(("wr_c", "wr_a", "wr_b")):  # started in this order
        s3.put_object(
            Bucket="lake",
            Key=f"runs/{run_id}/manifest.json",
            Body=json.dumps({"started": f"2026-11-2{number}"}),
        )
        s3.put_object(Bucket="lake", Key=f"runs/{run_id}/extract/records/part-0.parquet", Body=b"x")
        s3.put_object(Bucket="lake", Key=f"catalog/versions/{run_id}/records/part-0.parquet", Body=b"x")
        marker = {"version": run_id, "run_id": run_id, "written": f"2026-11-2{number}"}
        s3.put_object(Bucket="lake", Key=f"catalog/versions/{run_id}/VERSION.json", Body=json.dumps(marker))
    switch_pointer("s3://lake", "wr_b", "wr_a")
    code, out, _ = harvest(capsys, "prune", "--keep", "1", "--lake", "s3://lake", "--yes")
    assert code == 0 and last_line(out).startswith("removed 2 run folders and 1 catalog versions")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="lake")["Contents"]}
    assert {k.split("/")[1] for k in keys if k.startswith("runs/")} == {"wr_b"}
    assert {k.split("/")[2] for k in keys if k.startswith("catalog/versions/")} == {"wr_a", "wr_b"}
    code, _, _ = harvest(capsys, "rollback", "wr_a", "--lake", "s3://lake", "--yes")
    assert code == 0 and read_pointer("s3://lake")["version"] == "wr_a"
    assert [entry["action"] for entry in read_history("s3://lake")] == ["prune", "rollback"]
