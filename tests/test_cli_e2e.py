"""The harvest command end to end, with Spark: a run where one source fails exits 3 and says so on its
last line; Ctrl-C or SIGTERM during a run stops it cleanly with exit code 130."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.memory import descendants
from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import main
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
SOURCE = """  - id: {id}
    title: {id}
    organization: Example
    url: {url}
    type: datajson
    schema: dcatus1.1-federal
    allow_private_network: true
"""


def registry(tmp_path, **urls) -> str:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + "".join(SOURCE.format(id=i, url=url) for i, url in urls.items()))
    return str(path)


def test_a_run_with_a_failed_source_exits_3_and_names_it_on_the_last_line(spark, tmp_path, capsys):
    lake = tmp_path / "lake"
    with serve_folder(SAMPLES / "www", routes={"/gone/data.json": {"status": 404}}) as base:
        sources = registry(tmp_path, good=f"{base}datajson/data.json", gone=f"{base}gone/data.json")
        code = main(["run", "--sources", sources, "--lake", str(lake), "--new-lake", "--run-id", "partial-1"])
    out, err = capsys.readouterr()
    assert code == 3
    html = lake / "runs" / "partial-1" / "report" / "report.html"
    assert out.strip().splitlines()[-1] == f"1 of 2 sources failed: see {html}"
    assert "Traceback" not in out + err and "Setting default log level" not in out + err
    stages = [line for line in out.splitlines() if line.startswith("[")]
    assert [line.split()[1] for line in stages] == ["extract", "compare", "transform", "validate", "load"]
    assert stages[0].endswith("sources 2, records read 8, failed sources 1")  # the sample data.json has 8
    report = json.loads((lake / "runs" / "partial-1" / "report" / "report.json").read_text())
    assert (report["status"], report["outcome"]) == ("succeeded", "partial")
    assert main(["report", "partial-1", "--lake", str(lake)]) == 3


def started_processes(pid: int) -> set[int]:
    """Every process below ``pid``: the JVM, from whichever thread started it, and what it started."""
    return descendants(pid) - {pid}


def harvest_env() -> dict[str, str]:
    """The environment of a `harvest` subprocess: this checkout's code, this interpreter for Spark's workers."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": sys.executable}


@contextlib.contextmanager
def harvest_waiting_on_a_slow_source(
    tmp_path, run_id: str
) -> Iterator[tuple[subprocess.Popen, threading.Event]]:
    """`harvest run` as a subprocess on ``tmp_path / "lake"`` with one source that answers after 25 s; yields
    the process and an event set once extract asked for the source (extract then waits inside a Spark task)."""
    fetched = threading.Event()

    def slow_answer(request) -> dict:
        fetched.set()
        return {"delay": 25, "body": '{"dataset": []}'}

    with serve_folder(SAMPLES / "www", routes={"/slow/data.json": slow_answer}) as base:
        sources = registry(tmp_path, slow=f"{base}slow/data.json")
        lake = str(tmp_path / "lake")
        command = [
            sys.executable,
            "-m",
            "harvest_cli.main",
            "run",
            "--sources",
            sources,
            "--lake",
            lake,
            "--new-lake",
        ]
        yield (
            subprocess.Popen(
                [*command, "--run-id", run_id],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                env=harvest_env(),
            ),
            fetched,
        )


@pytest.mark.parametrize(
    ("stop", "moment"),
    [(signal.SIGINT, "task"), (signal.SIGTERM, "task"), (signal.SIGINT, "jvm-start")],
    ids=["ctrl-c", "sigterm", "ctrl-c-while-the-jvm-starts"],
)
def test_an_interrupted_run_stops_cleanly_with_exit_code_130(tmp_path, stop, moment):
    lake = tmp_path / "lake"
    with harvest_waiting_on_a_slow_source(tmp_path, "stopped-1") as (harvest, fetched):
        started = lake / "runs" / "stopped-1" / "manifest.json"  # extract pins it first thing
        deadline = time.monotonic() + 180
        while not started.exists() and harvest.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if moment == "task":  # extract waits on the slow source inside a Spark task
            fetched.wait(timeout=180)
            time.sleep(1)
        else:  # extract starts its session first thing: stop the run while the JVM comes up
            while (
                not started_processes(harvest.pid) and harvest.poll() is None and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            time.sleep(0.5)
        spark_processes = started_processes(harvest.pid)
        harvest.send_signal(stop)
        try:
            out, err = harvest.communicate(timeout=120)
        except subprocess.TimeoutExpired:  # a hung run: leave no harvest or JVM behind
            for pid in started_processes(harvest.pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            harvest.kill()
            raise
    assert harvest.returncode == 130, err
    assert "Traceback" not in out + err
    assert err.strip().splitlines()[-1] == (
        "run stopped-1: the run was interrupted during extract; the catalog is unchanged (current version: none)"
    )
    report = json.loads((lake / "runs" / "stopped-1" / "report" / "report.json").read_text())
    assert (report["status"], report["outcome"], report["interrupted_stage"]) == (
        "interrupted",
        "interrupted",
        "extract",
    )
    assert not (lake / "runs" / "stopped-1" / "extract").exists()  # the partial output is gone
    assert f"harvest resume stopped-1 --lake {lake}" in out
    # The JVM, started or half-started, ends with the run (it reads the run's stdin), and its workers with it.
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() for pid in spark_processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(Path(f"/proc/{pid}").exists() for pid in spark_processes)


def test_a_failed_stage_exits_1_and_resume_finishes_the_run_from_there(spark, tmp_path, capsys):
    lake = tmp_path / "lake"
    blocker = lake / "runs" / "broken-1" / "compare"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where compare writes its tables: the compare job fails")
    with serve_folder(SAMPLES / "www") as base:
        sources = registry(tmp_path, good=f"{base}datajson/data.json")
        code = main(["run", "--sources", sources, "--lake", str(lake), "--new-lake", "--run-id", "broken-1"])
        out, err = capsys.readouterr()
        assert code == 1 and "Traceback" not in out + err
        last = err.strip().splitlines()[-1]
        assert last.startswith("run broken-1: the compare job failed: ")
        assert last.endswith("; the catalog is unchanged (current version: none)")
        assert f"to continue from compare: harvest resume broken-1 --lake {lake}" in out
        blocker.unlink()
        code = main(["resume", "broken-1", "--lake", str(lake), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in out + err
    html = lake / "runs" / "broken-1" / "report" / "report.html"
    assert out.splitlines() == [f"run broken-1 complete: 1 source, created 6: see {html}"]  # --quiet
    report = json.loads((lake / "runs" / "broken-1" / "report" / "report.json").read_text())
    assert report["outcome"] == "complete" and report["totals"]["extracted"] == 8
