"""Peak resident memory of a process tree (the harvest's Python driver, its JVM and Python workers), from /proc."""

import ctypes
import os
import platform
import subprocess
import threading
import time
from dataclasses import dataclass, field

from glue_jobs.runtime import WORKER_DAEMON

PAGE = os.sysconf("SC_PAGE_SIZE")

# A Python worker's command line: the project's worker daemon (and the workers it forks), or PySpark's.
WORKER_COMMANDS = (WORKER_DAEMON.encode(), b"pyspark.daemon", b"pyspark/worker")


def stat_fields(path: str) -> list[str] | None:
    """The fields of a /proc/<pid>/stat (or task stat) after the command name, from the state on
    (so ppid is [1], utime [11], stime [12], starttime [19]); None if the process ended."""
    try:
        with open(path, "rb") as stat:
            # the command name may hold spaces and parentheses: split after the last ")"
            return stat.read().rsplit(b")", 1)[1].decode().split()
    except (OSError, IndexError):
        return None


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process we can see."""
    parents = {}
    for name in os.listdir("/proc"):
        fields = stat_fields(f"/proc/{name}/stat") if name.isdigit() else None
        if fields:  # else the process ended while we looked
            parents[int(name)] = int(fields[1])
    return parents


def descendants(root_pid: int, parents: dict[int, int] | None = None) -> set[int]:
    """``root_pid`` and every process below it (``parents``: pid -> parent pid, read now by default)."""
    parents = _parents() if parents is None else parents
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return tree


def _statm(pid: int) -> tuple[int, ...] | None:
    """/proc/<pid>/statm as numbers (sizes in pages; the second is resident), or None if it ended."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return tuple(int(value) for value in statm.read().split())
    except (OSError, ValueError):
        return None


_KCMP = {"x86_64": 312, "aarch64": 272}.get(platform.machine())  # the kcmp(2) system call's number
_KCMP_VM = 1
_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded once: the sampler asks for every process, every sample


def _same_address_space(pid: int, parent: int, statm: tuple, parent_statm: tuple | None) -> bool:
    """True when ``pid`` runs in ``parent``'s address space: kcmp(2) says so, or, where kcmp is not
    available, both show the same statm."""
    if _KCMP is not None:
        answer = _LIBC.syscall(_KCMP, pid, parent, _KCMP_VM, 0, 0)
        if answer >= 0:
            return answer == 0
    return statm == parent_statm


def process_kind(pid: int, root_pid: int) -> str:
    """What ``pid`` is in a harvest's tree rooted at ``root_pid``: "driver" (the root, the harvest's
    Python), "JVM", "Python workers" (the worker daemon and the workers it forks) or "other" (such as
    the JVM's chmod helpers)."""
    if pid == root_pid:
        return "driver"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline_file:
            cmdline = cmdline_file.read()
    except OSError:
        return "other"
    if os.path.basename(cmdline.split(b"\0", 1)[0]) == b"java":
        return "JVM"
    if any(name in cmdline for name in WORKER_COMMANDS):
        return "Python workers"
    return "other"


def tree_memory(root_pid: int) -> dict[str, tuple[int, int]]:
    """Resident set size of ``root_pid`` and all its descendants, each address space once, by kind
    (``process_kind``): kind -> (bytes, processes).

    The JVM starts helper processes (``chmod`` for Hadoop's file permissions, ``jspawnhelper``) with
    vfork: until the child execs, it runs in the JVM's own address space and /proc shows it with the
    JVM's whole RSS. Counting it again doubled the JVM in samples that caught one (8.7 GB peaks that
    per-process sampling never saw). Such a child is counted once, as its parent (kcmp(2) tells; where
    it cannot, equal statm does).

    A child's size is read again once kcmp has said it is apart: a child read while it still shared the
    JVM's pages, then found apart because it had exec'd in between, counted the JVM's whole RSS again
    (a 430,000-record next-day harvest's peak sample had "other" at the JVM's 2,247 MiB). Exec is one
    way, so a size read after kcmp found the child apart is the child's own.
    """
    parents = _parents()
    statms = {pid: _statm(pid) for pid in descendants(root_pid, parents)}
    kinds: dict[str, tuple[int, int]] = {}
    for pid, first in statms.items():
        parent = parents.get(pid, -1)
        statm = first
        if pid != root_pid and first is not None and parent in statms:
            if _same_address_space(pid, parent, first, statms[parent]):
                continue  # a vfork child: its pages are its parent's, counted there
            statm = _statm(pid)
        if statm is None:
            continue
        kind = process_kind(pid, root_pid)
        size, processes = kinds.get(kind, (0, 0))
        kinds[kind] = (size + statm[1] * PAGE, processes + 1)
    return kinds


# One sample of a process tree: (time.monotonic(), total RSS in bytes, ``tree_memory`` by kind).
Sample = tuple[float, int, dict[str, tuple[int, int]]]


@dataclass
class MeasuredRun:
    """A finished subprocess: exit code, wall seconds, the samples of its tree's memory and its output."""

    returncode: int
    seconds: float
    samples: list[Sample] = field(default_factory=list)
    output: str = ""

    def peak_sample_between(self, start: float, end: float) -> Sample:
        """The sample with the highest RSS between two time.monotonic() instants ((0, 0, {}) when none)."""
        return max(
            (sample for sample in self.samples if start <= sample[0] <= end),
            key=lambda sample: sample[1],
            default=(0.0, 0, {}),
        )


def run_measured(command: list[str], env: dict | None = None, interval_s: float = 0.2) -> MeasuredRun:
    """Run ``command``, sampling its process tree's RSS every ``interval_s``; output goes to a pipe."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    samples: list[Sample] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            kinds = tree_memory(process.pid)
            samples.append((time.monotonic(), sum(size for size, _ in kinds.values()), kinds))
            done.wait(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    done.set()
    sampler.join()
    seconds = time.monotonic() - started
    return MeasuredRun(process.returncode, seconds, samples, output)
