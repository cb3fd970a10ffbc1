"""A Spark standalone cluster on 127.0.0.1, and `make run-cluster`: the samples harvested on it and locally.

``standalone_cluster()`` starts a master and N workers with PySpark's own ``bin/spark-class`` (no
download: the pip package holds Spark's jars), each worker in a working folder of its own, and
yields the master URL; a harvest runs on it with ``HARVEST_SPARK_MASTER=<url>`` (glue_jobs.runtime).

``python -m devtools.spark_cluster check [--work DIR]`` harvests the bundled samples once in local
mode and once on a 2-worker cluster, each run a process of its own, and exits 1 when the published
catalogs differ. ``python -m devtools.spark_cluster serve`` starts a cluster until Ctrl-C.
"""

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyspark

from devtools.local_http import free_port
from devtools.published_catalog import catalog_difference, published_records
from glue_jobs.runtime import MASTER_ENV, PROJECT_ROOT, log4j_option

SPARK_HOME = Path(pyspark.__file__).resolve().parent
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
LOG_TAIL_LINES = 15

__all__ = ["ClusterStartError", "catalog_difference", "harvest_samples", "standalone_cluster"]


class ClusterStartError(RuntimeError):
    """The cluster did not come up; the message ends with the tail of each daemon's log."""


@dataclass
class Daemon:
    """One spark-class process: a process group of its own (a worker's executors are in it too)."""

    name: str
    process: subprocess.Popen
    log: Path

    def tail(self) -> str:
        """The last lines of its log, indented under its name."""
        lines = self.log.read_text("utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:]
        return f"--- {self.name} ({self.log}):\n" + "\n".join(f"    {line}" for line in lines)

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM the whole group (the worker kills its executors on the way), SIGKILL what is left."""
        for sent in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sent)
            deadline = time.monotonic() + grace_s
            while time.monotonic() < deadline and _group_alive(self.process):
                time.sleep(0.1)
            if not _group_alive(self.process):
                return


def _group_alive(process: subprocess.Popen) -> bool:
    process.poll()  # reaps the leader, so a finished leader is not counted as a zombie
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True


def daemon_environment() -> dict[str, str]:
    """This process's environment plus what spark-class needs: Spark's home, loopback, quiet logs."""
    return {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_MEMORY": "512m",  # master and workers only schedule; executors have their own
        "SPARK_DAEMON_JAVA_OPTS": shlex.quote(log4j_option()),
    }


def _start(name: str, java_class: str, args: list[str], work: Path) -> Daemon:
    log = work / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(SPARK_HOME / "bin" / "spark-class"), java_class, *args],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=daemon_environment(),
            cwd=work,
            start_new_session=True,  # its own process group, so stop() reaches its children
        )
    return Daemon(name, process, log)


def stop_all(daemons: list[Daemon]) -> None:
    """Stop the daemons, the last started first (workers before their master)."""
    for daemon in reversed(daemons):
        daemon.stop()


def alive_workers(web_ui: str) -> int:
    """How many workers the master counts as alive (its web UI's /json); 0 while it is not answering."""
    try:
        with urllib.request.urlopen(f"{web_ui}/json", timeout=2) as answer:
            return int(json.load(answer)["aliveworkers"])
    except (OSError, ValueError, KeyError):
        return 0


def wait_for_workers(web_ui: str, workers: int, daemons: list[Daemon], timeout_s: float) -> None:
    """Return once all workers registered; ClusterStartError when a daemon exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while (alive := alive_workers(web_ui)) < workers:
        exited = [daemon.name for daemon in daemons if daemon.process.poll() is not None]
        if exited or time.monotonic() > deadline:
            problem = f"{', '.join(exited)} exited" if exited else f"not ready after {timeout_s:.0f} s"
            tails = "\n".join(daemon.tail() for daemon in daemons)
            raise ClusterStartError(
                f"Spark standalone cluster {problem}: {alive} of {workers} workers registered with the "
                f"master ({web_ui}/json).\n{tails}"
            )
        time.sleep(0.25)


@contextlib.contextmanager
def standalone_cluster(
    workers: int = 2,
    cores_per_worker: int = 1,
    memory: str = "2g",
    work: Path | None = None,
    timeout_s: float = 120.0,
) -> Iterator[str]:
    """A master and ``workers`` workers on 127.0.0.1 while the block runs; yields ``spark://127.0.0.1:<port>``.

    Each worker offers ``cores_per_worker`` cores and ``memory`` (at least the executor memory,
    ``HARVEST_EXECUTOR_MEMORY``) and runs its executors in ``<work>/worker-<n>``; the daemons' logs
    are ``<work>/<name>.log`` (``work`` defaults to a temporary folder, removed afterwards). Every
    process is stopped on the way out, executors included, whatever happened in the block.
    """
    with contextlib.ExitStack() as stack:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="spark-cluster-")))
        work.mkdir(parents=True, exist_ok=True)
        daemons: list[Daemon] = []
        stack.callback(stop_all, daemons)  # registered first, so it runs even when a start fails
        port, ui_port = free_port(), free_port()
        master = f"spark://127.0.0.1:{port}"
        master_args = ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port)]
        daemons.append(_start("master", MASTER_CLASS, master_args, work))
        for number in range(1, workers + 1):
            folder = work / f"worker-{number}"
            folder.mkdir(exist_ok=True)
            worker_args = ["--host", "127.0.0.1", "--webui-port", "0", "--work-dir", str(folder)]
            worker_args += ["--cores", str(cores_per_worker), "--memory", memory, master]
            daemons.append(_start(f"worker-{number}", WORKER_CLASS, worker_args, work))
        wait_for_workers(f"http://127.0.0.1:{ui_port}", workers, daemons, timeout_s)
        yield master


def harvest_samples(lake: Path, master: str | None = None, capture: bool = False) -> float:
    """Harvest the bundled samples into ``lake`` in a process of its own (`python -m devtools.run_samples`)
    on ``master`` (None: local mode); returns its seconds. CalledProcessError when the run fails.

    A process of its own because a process has one Spark driver, bound to the master it started with.
    """
    environment = {key: value for key, value in os.environ.items() if key != MASTER_ENV}
    if master:
        environment[MASTER_ENV] = master
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "devtools.run_samples", "--lake", str(lake.resolve())],
        cwd=PROJECT_ROOT,  # `-m` imports this checkout's devtools
        env=environment,
        check=True,
        capture_output=capture,
        text=True,
    )
    return time.perf_counter() - started


def check_cluster_mode(work: Path, workers: int = 2) -> int:
    """`make run-cluster`: the samples harvested locally and on a cluster; 0 when the catalogs agree, else 1."""
    shutil.rmtree(work, ignore_errors=True)  # both harvests start from empty lakes
    local_lake, cluster_lake = work / "lake-local", work / "lake-cluster"
    local_s = harvest_samples(local_lake)
    with standalone_cluster(workers=workers, work=work / "cluster") as master:
        print(f"Spark standalone cluster: {master}, {workers} workers, logs in {work / 'cluster'}")
        cluster_s = harvest_samples(cluster_lake, master)
    differences = catalog_difference(str(local_lake), str(cluster_lake))
    for line in differences:
        print(f"differs: {line}", file=sys.stderr)
    records = len(published_records(str(cluster_lake)))
    verdict = "DIFFERENT" if differences or not records else "the same"
    print(
        f"run-cluster: catalogs {verdict}: local {len(published_records(str(local_lake)))} records in "
        f"{local_s:.1f} s, cluster ({workers} workers) {records} records in {cluster_s:.1f} s"
    )
    return 1 if verdict != "the same" else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m devtools.spark_cluster {check,serve}`` (see the module doc)."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.spark_cluster",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=("check", "serve"))
    parser.add_argument("--work", default=".spark-cluster", help="lakes and logs (default: .spark-cluster)")
    parser.add_argument("--workers", type=int, default=2, help="how many workers (default: 2)")
    args = parser.parse_args(argv)
    work = Path(args.work).resolve()
    try:
        if args.command == "check":
            return check_cluster_mode(work, args.workers)
        with standalone_cluster(workers=args.workers, work=work / "cluster") as master:
            print(f"{master} ({args.workers} workers, logs in {work / 'cluster'}): Ctrl-C stops it")
            signal.pause()
    except ClusterStartError as error:
        print(f"spark-cluster: {error}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as error:
        print(f"spark-cluster: the harvest failed (exit code {error.returncode})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
