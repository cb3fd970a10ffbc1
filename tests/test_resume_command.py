"""`harvest resume` and a stopped run's report, without Spark: which stage a run resumes from (and from where
when other code ran its stages), the lock of a killed run, a run that does not exist, and the report of a
stopped run written while it holds the lake."""

import json
import multiprocessing
import socket
from pathlib import Path

import pytest

from harvest_cli.workflow import WorkflowResult, job_graph, load_template
from tests.test_cli import REGISTRY, harvest, last_line
from transforms.lake import lock as lake_lock
from transforms.lake.manifest import pin_run
from transforms.lake.progress import progress_uri, record_completed

STAGES = [step.stage for step in job_graph(load_template())]


def dead_pid() -> int:
    """The id of a process that has ended."""
    process = multiprocessing.get_context("spawn").Process(target=int)
    process.start()
    process.join()
    return process.pid


def killed_run(tmp_path, run_id: str, completed: list[str]) -> str:
    """A run killed (kill -9) after ``completed``: its manifest, its progress, its lock held by a dead process."""
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY.format(url="https://data.example.gov/data.json"))
    lake = str(tmp_path / "lake")
    pin_run(lake, run_id, str(registry), False, "", lambda: None)
    for finished in range(1, len(completed) + 1):  # as the workflow records them: after each stage
        record_completed(lake, run_id, completed[:finished])
    lock = {"run_id": run_id, "started": "2026-12-01T02:00:00+00:00", "host": socket.gethostname()}
    (tmp_path / "lake" / "LOCK").write_text(json.dumps({**lock, "pid": dead_pid()}))
    return lake


def resumed(capsys, monkeypatch, lake: str, run_id: str) -> tuple[int, dict, str]:
    """`harvest resume run_id`, the workflow replaced by one that notes what it was asked to run and
    whether it held the lake; returns the exit code, what it noted and what it printed (stdout, stderr)."""
    seen: dict = {}

    def workflow(overrides, start_at=None, on_stop=None):
        seen.update(overrides, start_at=start_at, holder=lake_lock.acquire(lake, run_id, reentrant=False))
        lake_lock.release(lake, run_id)
        return WorkflowResult(seconds={})

    monkeypatch.setattr("harvest_cli.workflow.run_workflow", workflow)
    monkeypatch.setattr("harvest_cli.run_command.finish_run", lambda *args, **kwargs: 0)
    code, out, err = harvest(capsys, "resume", run_id, "--lake", lake)
    return code, seen, out + err


@pytest.mark.parametrize("finished", range(len(STAGES)), ids=lambda n: f"after-{n}-stages")
def test_a_killed_run_resumes_from_the_first_stage_it_did_not_finish(capsys, tmp_path, monkeypatch, finished):
    lake = killed_run(tmp_path, "killed-1", STAGES[:finished])
    code, seen, out = resumed(capsys, monkeypatch, lake, "killed-1")
    assert code == 0
    assert seen["start_at"] == STAGES[finished] and seen["run-id"] == "killed-1"
    assert seen["sources"] == str(tmp_path / "sources.yaml")  # the run's own options, from its manifest
    assert seen["holder"] is True  # the dead process's lock was taken over, and only by this run
    assert f"resuming run killed-1 from {STAGES[finished]}" in out
    assert "other code" not in out  # the stages it finished ran under this code


def ran_under_other_code(lake: str, run_id: str, stages: list[str] | None) -> None:
    """Rewrite a run's progress record as if other code had run ``stages`` (None: a record from before
    stages recorded their code, which names none)."""
    uri = progress_uri(lake, run_id)
    record = json.loads(Path(uri).read_text())
    if stages is None:
        del record["code"]
    else:
        record["code"].update(dict.fromkeys(stages, "0" * 64))
    Path(uri).write_text(json.dumps(record))


@pytest.mark.parametrize(
    ("other", "again_from"),
    [(["compare", "transform"], "compare"), (["transform"], "transform"), (None, "extract")],
    ids=["compare-on", "transform", "a-record-without-code"],
)
def test_a_run_that_other_code_ran_resumes_from_the_first_stage_it_ran(
    capsys, tmp_path, monkeypatch, other, again_from
):
    lake = killed_run(tmp_path, "upgraded-1", STAGES[:3])  # killed after transform
    ran_under_other_code(lake, "upgraded-1", other)
    code, seen, out = resumed(capsys, monkeypatch, lake, "upgraded-1")
    assert code == 0 and seen["start_at"] == again_from
    named = ", ".join(other or STAGES[:3])
    assert f"run upgraded-1: {named} ran under other code than this (upgraded or changed since)" in out
    assert f"resuming run upgraded-1 from {again_from}" in out


def test_a_published_run_that_other_code_ran_is_finished_by_load_with_a_warning(
    capsys, tmp_path, monkeypatch
):
    lake = killed_run(tmp_path, "published-1", STAGES[:-1])
    ran_under_other_code(lake, "published-1", STAGES[:-1])
    monkeypatch.setattr("harvest_cli.run_command.published_by", lambda lake_root, run_id: True)
    code, seen, out = resumed(capsys, monkeypatch, lake, "published-1")
    assert code == 0 and seen["start_at"] == "load"
    assert "its catalog version is published, so load finishes it as it is" in out


def test_a_run_that_finished_every_stage_is_not_resumed(capsys, tmp_path):
    lake = killed_run(tmp_path, "done-1", STAGES)
    code, _, err = harvest(capsys, "resume", "done-1", "--lake", lake)
    assert code == 2
    assert last_line(err) == "harvest resume: run done-1 finished every stage: nothing to resume"


def test_resume_leaves_another_runs_lock_and_a_live_process_alone(capsys, tmp_path):
    lake = killed_run(tmp_path, "killed-2", STAGES[:2])
    lake_lock.release(lake, "killed-2")  # the dead process's lock goes; a live run takes the lake
    lake_lock.acquire(lake, "other-run", reentrant=False)
    code, _, err = harvest(capsys, "resume", "killed-2", "--lake", lake)
    assert code == 2 and "is held by run other-run" in last_line(err)
    assert lake_lock.holder(lake).run_id == "other-run"


def test_resume_of_a_run_that_does_not_exist_says_so(capsys, tmp_path):
    assert harvest(capsys, "init", "--lake", str(tmp_path))[0] == 0
    code, _, err = harvest(capsys, "resume", "nosuch", "--lake", str(tmp_path))
    assert code == 2
    assert last_line(err) == f"harvest resume: no run nosuch in {tmp_path}; it has no run yet"


def test_a_stopped_runs_report_and_history_are_written_while_it_holds_the_lake(capsys, tmp_path, monkeypatch):
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY.format(url="https://data.example.gov/data.json"))
    lake = str(tmp_path / "lake")
    holders = []

    def extract_fails(argv):
        raise RuntimeError("the source registry bucket went away")

    def record_run(lake_root, report):  # the history entry, the stopped report's last write
        holders.append((lake_lock.holder(lake_root), (tmp_path / "lake/runs/r1/report/report.json").exists()))

    monkeypatch.setattr("glue_jobs.extract.main", extract_fails)
    monkeypatch.setattr("transforms.reports.history_html.record_run", record_run)
    code, _, err = harvest(
        capsys, "run", "--sources", str(registry), "--lake", lake, "--new-lake", "--run-id", "r1"
    )
    assert code == 1 and last_line(err).startswith(
        "run r1: the extract job failed: the source registry bucket went away"
    )
    [(holder, reported)] = holders
    assert holder is not None and holder.run_id == "r1" and reported  # nobody could start in between
    assert lake_lock.holder(lake) is None  # and the lake is free once the run is over


def test_the_report_of_a_killed_run_says_how_to_finish_it(capsys, tmp_path):
    lake = killed_run(tmp_path, "killed-3", STAGES[:4])
    code, _, err = harvest(capsys, "report", "killed-3", "--lake", lake)
    assert code == 2
    assert last_line(err) == (
        "harvest report: run killed-3 has no report: it is still running, or it stopped without writing one "
        f"(killed); once it no longer runs, `harvest resume killed-3 --lake {lake}` finishes it"
    )
