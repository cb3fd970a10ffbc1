"""A run killed with SIGKILL at each stage boundary, and inside load right after the catalog pointer switched,
is finished by `harvest resume`: the same catalog and the same complete report (deletes included) as the same
run uninterrupted, from the same sources.

Real processes and a real kill -9: the harvest process kills itself at the named point
(HARVEST_TEST_KILL_AT, transforms.kill_points), so the test needs no timing. One chain of processes
shares one lake: each resume carries on where the last one was killed, and is itself killed at the next
point; every stage runs once, so the chain costs about one run plus a JVM start per process.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from benchmarks.memory import descendants, process_kind
from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import run_harvest
from tests.conftest import ROOT
from tests.test_cli_e2e import harvest_env, harvest_waiting_on_a_slow_source, registry
from tests.test_workflow_e2e import a_day_of_edits, counts, edit_catalog
from transforms.kill_points import KILL_AT
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import current_version, read_state
from transforms.lake.run_history import read_history
from transforms.repeat_run import last_run_uri

pytestmark = pytest.mark.e2e
RUN = "day-2"
KILLS = ("after-extract", "after-compare", "after-transform", "after-validate", "load-after-pointer-switch")
# What a catalog record is, apart from the times it was harvested at (the two runs ran at different times).
RECORD = ["source_id", "identifier", "content_hash", "dcat_json", "slug", "record_url", "last_changed_run"]


def harvest_process(lake, kill_at: str | None, *argv: str) -> subprocess.CompletedProcess:
    """One `harvest` process on ``lake``; with ``kill_at`` it SIGKILLs itself at that point."""
    env = harvest_env()
    env.pop(KILL_AT, None)
    if kill_at:
        env[KILL_AT] = kill_at
    command = [sys.executable, "-m", "harvest_cli.main", *argv, "--lake", str(lake), "--quiet"]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)


def published(spark, lake) -> list[tuple]:
    version = current_version(str(lake))
    return sorted(tuple(row) for row in read_state(spark, str(lake), version).select(*RECORD).collect())


def report_of(lake) -> dict:
    return json.loads((lake / "runs" / RUN / "report" / "report.json").read_text())


def edits_that_delete(datasets: list) -> None:
    """The e2e day of edits without its entry that is no object: a record rejected before its identifier
    was read holds the source's deletes (compare's rule), and this test follows a delete through a kill."""
    a_day_of_edits(datasets)
    datasets.remove("not a dataset")


def test_a_run_killed_at_every_stage_boundary_is_finished_by_resume(spark, tmp_path):
    site, base = tmp_path / "site", tmp_path / "base"
    shutil.copytree(SAMPLES / "www", site / "www")
    with serve_folder(site / "www") as url:
        sources = registry(site, agency=f"{url}datajson/data.json")
        assert run_harvest(sources, str(base), run_id="day-1", new_lake=True) == 0
        edit_catalog(site, edits_that_delete)  # one record edited, one removed, one added, one malformed
        uninterrupted, killed = tmp_path / "uninterrupted", tmp_path / "killed"
        shutil.copytree(base, uninterrupted)
        shutil.copytree(base, killed)
        assert run_harvest(sources, str(uninterrupted), run_id=RUN) == 0

        done = harvest_process(killed, KILLS[0], "run", "--sources", sources, "--run-id", RUN)
        assert done.returncode == -signal.SIGKILL, done.stderr
        for kill_at in (*KILLS[1:], None):
            if kill_at is None:  # the state of a run killed after its pointer switched: published, unreported
                assert current_version(str(killed)) == RUN
                assert not (killed / "runs" / RUN / "report" / "report.json").exists()
            done = harvest_process(killed, kill_at, "resume", RUN)
            assert done.returncode == (-signal.SIGKILL if kill_at else 0), f"before {kill_at}: {done.stderr}"
    assert "Traceback" not in done.stdout + done.stderr
    html = killed / "runs" / RUN / "report" / "report.html"
    assert (
        done.stdout.splitlines()[-1]
        == f"run {RUN} complete: 1 source, created 1, updated 1, deleted 1: see {html}"
    )

    assert current_version(str(killed)) == current_version(str(uninterrupted)) == RUN
    assert published(spark, killed) == published(spark, uninterrupted)
    report, reference = report_of(killed), report_of(uninterrupted)
    assert (report["status"], report["outcome"]) == ("succeeded", "complete")
    [source], [reference_source] = report["sources"], reference["sources"]
    assert counts(source) == counts(reference_source) and source["deleted"] == 1  # the removed record
    assert report["totals"] == reference["totals"]
    assert [run["run_id"] for run in read_history(str(killed))] == ["day-1", RUN]
    assert json.loads((killed / "catalog" / "harvest_times" / "LATEST").read_text())["run_id"] == RUN
    assert json.loads(open(last_run_uri(str(killed))).read())["version"] == RUN
    assert lake_lock.holder(str(killed)) is None


def test_a_python_worker_killed_mid_stage_fails_the_stage_in_one_line(tmp_path):
    """The out-of-memory killer takes a Python worker while extract waits on a source: the stage fails, the
    terminal gets the run's one line (no Java or py4j stack trace) and says how to resume from extract."""
    lake = tmp_path / "lake"
    with harvest_waiting_on_a_slow_source(tmp_path, "oom-1") as (harvest, fetched):
        try:
            assert fetched.wait(timeout=240), "extract never fetched the source"
            workers = {
                pid for pid in descendants(harvest.pid) if process_kind(pid, harvest.pid) == "Python workers"
            }
            for pid in workers:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            out, err = harvest.communicate(timeout=240)
        finally:
            harvest.kill()
    assert workers and harvest.returncode == 1, err
    assert "Traceback" not in out + err and "\tat " not in out + err and "py4j" not in out + err
    last = err.strip().splitlines()
    assert len(last) == 1 and last[0].startswith("run oom-1: the extract job failed: ")
    assert f"to continue from extract: harvest resume oom-1 --lake {lake}" in out
