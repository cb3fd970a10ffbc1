"""Peak resident memory of a process tree (the harvest's Python driver, its JVM and Python workers), from /proc."""

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field

PAGE = os.sysconf("SC_PAGE_SIZE")


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process we can see."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    # the command name may hold spaces and parentheses: split after the last ")"
                    parents[int(name)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # the process ended while we looked
    return parents


def tree_rss(root_pid: int) -> int:
    """Total resident set size in bytes of ``root_pid`` and all its descendants."""
    parents = _parents()
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm", "rb") as statm:
                total += int(statm.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


@dataclass
class MeasuredRun:
    """A finished subprocess: exit code, wall seconds, peak tree RSS and the (monotonic time, RSS) samples."""

    returncode: int
    seconds: float
    peak_rss: int
    samples: list[tuple[float, int]] = field(default_factory=list)
    output: str = ""

    def peak_between(self, start: float, end: float) -> int:
        """Peak RSS among the samples taken between two time.monotonic() instants (0 when none)."""
        return max((rss for at, rss in self.samples if start <= at <= end), default=0)


def run_measured(command: list[str], env: dict | None = None, interval_s: float = 0.2) -> MeasuredRun:
    """Run ``command``, sampling its process tree's RSS every ``interval_s``; output goes to a pipe."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.monotonic(), tree_rss(process.pid)))
            done.wait(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    done.set()
    sampler.join()
    seconds = time.monotonic() - started
    return MeasuredRun(
        process.returncode, seconds, max((rss for _, rss in samples), default=0), samples, output
    )
