"""One run at a time per lake: the lock, raced by threads and processes, on a folder and on S3 (moto)."""

import json
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto import mock_aws

from harvest_cli import main as cli
from harvest_cli.exit_codes import UsageError
from transforms.lake import lock as lake_lock
from transforms.lake.lock import LakeLocked


def try_to_take(lake_root: str, run_id: str, start, results) -> None:
    """A contender: wait for the start signal, then try to take the lake."""
    start.wait()
    try:
        results.put((run_id, lake_lock.acquire(lake_root, run_id, reentrant=False), ""))
    except LakeLocked as error:
        results.put((run_id, False, str(error)))


def race(lake_root: str, contenders: list[str]) -> tuple[list[str], list[str]]:
    """Processes that try to take the lake at the same moment: (winners, refusal messages)."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [
        context.Process(target=try_to_take, args=(lake_root, run, start, results)) for run in contenders
    ]
    for process in processes:
        process.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    return [run for run, won, _ in outcomes if won], [message for _, won, message in outcomes if not won]


def test_of_processes_racing_for_a_lake_exactly_one_wins_and_the_others_are_told_who(tmp_path):
    winners, refusals = race(str(tmp_path), ["run-a", "run-b", "run-c", "run-d"])
    assert len(winners) == 1 and len(refusals) == 3
    assert all(f"held by run {winners[0]}" in message for message in refusals)
    assert json.loads((tmp_path / "LOCK").read_text())["run_id"] == winners[0]


def test_of_threads_racing_for_a_lake_exactly_one_wins(tmp_path):
    barrier = threading.Barrier(8)

    def contend(number: int) -> bool:
        barrier.wait()
        try:
            return lake_lock.acquire(str(tmp_path), f"run-{number}", reentrant=False)
        except LakeLocked:
            return False

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(contend, range(8))) == 1


def test_a_second_harvest_run_refuses_at_once_naming_the_run_that_holds_the_lake(
    tmp_path, monkeypatch, capsys
):
    """Two `harvest run` on one lake: the second is refused before any job starts; the first carries on."""
    registry = tmp_path / "sources.yaml"
    registry.write_text("sources: []\n")
    lake_root = tmp_path / "lake"
    first_is_running, let_first_finish = threading.Event(), threading.Event()
    jobs_started = []

    def extract_main(argv):
        jobs_started.append(argv[argv.index("--run-id") + 1])
        first_is_running.set()
        let_first_finish.wait(30)
        raise RuntimeError("the first run stops here (this test needs no Spark)")

    monkeypatch.setattr("glue_jobs.extract.main", extract_main)
    first = threading.Thread(
        target=cli.run_harvest, args=(str(registry), str(lake_root), "first-run"), kwargs={"new_lake": True}
    )
    first.start()
    assert first_is_running.wait(30)
    with pytest.raises(UsageError) as refused:  # exit code 2, one line, before Spark starts
        cli.run_harvest(str(registry), str(lake_root), run_id="second-run", new_lake=True)
    assert "held by run first-run" in str(refused.value) and "harvest unlock" in str(refused.value)
    assert jobs_started == ["first-run"]
    let_first_finish.set()
    first.join(30)
    assert lake_lock.holder(str(lake_root)) is None  # the runner of a failed run frees the lake


def test_jobs_of_a_run_find_the_lock_theirs_and_other_runs_are_refused(tmp_path):
    root = str(tmp_path)
    assert lake_lock.acquire(root, "r1") is True
    assert lake_lock.acquire(root, "r1") is False  # a job of the same run (or a resumed run)
    lake_lock.check(root, "r1")
    with pytest.raises(LakeLocked, match="held by run r1"):
        lake_lock.check(root, "r2")
    with pytest.raises(LakeLocked, match="held by run r1"):
        lake_lock.acquire(root, "r1", reentrant=False)  # the runner never shares a lake, even with itself
    assert lake_lock.release(root, "r2") is False and lake_lock.holder(root).run_id == "r1"
    assert lake_lock.release(root, "r1") is True and lake_lock.holder(root) is None
    with pytest.raises(LakeLocked, match="not locked"):
        lake_lock.check(root, "r1")  # a stage after extract cannot run outside its run


def test_a_lock_left_by_a_dead_process_is_reported_and_cleared_only_by_unlock(tmp_path):
    root = str(tmp_path)
    lake_lock.acquire(root, "crashed-run")
    content = json.loads((tmp_path / "LOCK").read_text())
    dead = multiprocessing.get_context("spawn").Process(target=int)
    dead.start()
    dead.join()
    (tmp_path / "LOCK").write_text(json.dumps({**content, "pid": dead.pid}))
    with pytest.raises(LakeLocked) as refused:
        lake_lock.acquire(root, "next-run")
    assert "run crashed-run" in str(refused.value) and "no longer running" in str(refused.value)
    assert f"harvest unlock --lake {root} --run-id crashed-run" in str(refused.value)
    assert lake_lock.holder(root).run_id == "crashed-run"  # never broken automatically
    with pytest.raises(LakeLocked, match="name that run"):
        lake_lock.unlock(root, "some-other-run")
    assert "cleared" in lake_lock.unlock(root, "crashed-run")
    assert lake_lock.acquire(root, "next-run") is True


def test_unlock_refuses_a_lock_whose_process_is_alive(tmp_path):
    lake_lock.acquire(str(tmp_path), "live-run")
    with pytest.raises(LakeLocked, match="still running"):
        lake_lock.unlock(str(tmp_path), "live-run")


@mock_aws
def test_on_s3_the_lock_is_a_conditional_put(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3").create_bucket(Bucket="harvest-lake")
    root = "s3://harvest-lake/prod"
    assert lake_lock.acquire(root, "wr_1", workflow="stack-harvest") is True
    with pytest.raises(LakeLocked, match=r"held by run wr_1 \(started .*, workflow stack-harvest\)"):
        lake_lock.acquire(root, "wr_2")
    assert lake_lock.release(root, "wr_1") is True
    assert lake_lock.acquire(root, "wr_2") is True
    body = boto3.client("s3").get_object(Bucket="harvest-lake", Key="prod/LOCK")["Body"].read()
    assert json.loads(body)["run_id"] == "wr_2"
