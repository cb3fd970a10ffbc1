"""The benchmark's memory sampler on a real process tree: each process counted once, by kind."""

import os
import signal
import subprocess
import sys
import time

from benchmarks.memory import descendants, run_measured, tree_memory

# A driver that starts one process named like a Python worker and one other, then waits for both.
TREE = """
import subprocess, sys
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "pyspark.daemon"])
other = subprocess.Popen(["sleep", "30"])
print("started", flush=True)
worker.wait(); other.wait()
"""


def test_a_tree_s_memory_is_split_by_kind_each_process_once():
    driver = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True)
    try:
        assert driver.stdout is not None and driver.stdout.readline() == "started\n"
        time.sleep(0.5)  # the worker's interpreter is up
        kinds = tree_memory(driver.pid)
        assert {kind: processes for kind, (_, processes) in kinds.items()} == {
            "driver": 1,
            "Python workers": 1,
            "other": 1,
        }
        assert all(size > 0 for size, _ in kinds.values())
        # a Python interpreter holds megabytes; sleep holds far less
        assert kinds["Python workers"][0] > kinds["other"][0]
    finally:
        for pid in descendants(driver.pid):  # the driver, the worker and the sleep
            os.kill(pid, signal.SIGKILL)
        driver.wait()


def test_each_sample_keeps_whose_memory_it_was():
    run = run_measured([sys.executable, "-c", "import time; time.sleep(1)"], interval_s=0.1)
    assert run.returncode == 0 and run.samples
    at, rss, kinds = run.peak_sample_between(0.0, float("inf"))
    assert rss == max(total for _, total, _ in run.samples)
    assert rss == sum(size for size, _ in kinds.values()) > 0
    assert set(kinds) == {"driver"}
    assert run.peak_sample_between(at + 3600, at + 7200) == (0.0, 0, {})
