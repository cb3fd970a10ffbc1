"""Benchmark: where a first data.json harvest's time goes, against the floor of its record work.

The side-by-side target (a first harvest at 2x data.gov's serial loop) asks the pipeline to do on
2 cores, in half the loop's time, what the loop does on one. This benchmark says what stands in
the way, in two parts over the same generated data.json catalogs (``benchmarks.generate`` with
``xml_share=0``, as the side-by-side part of ``make bench``):

- **record work, serial, in this process**: CPU seconds of each step one record goes through,
  in the loop (parse, sorted JSON + sha256, jsonschema) and in the pipeline's own code without
  Spark (extract's split and canonical text, transform_row, the schema check). Half the
  pipeline's sum is the floor of a 2-core harvest that did nothing else.
- **the harvest, stage by stage**: the whole workflow over the loopback HTTP server, as the
  side-by-side part runs it, with the CPU seconds each stage used split into the JVM's JIT
  compiler threads, its garbage collector, its other threads (tasks, the py4j gateway, Parquet),
  and the Python processes (driver and workers).

    make bench-floor                      # 100,000 records
    .venv/bin/python -m benchmarks.bench_floor --records 20000 --work .bench
"""

import argparse
import collections
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.baseline import harvester_validator, record_digest
from benchmarks.memory import descendants, process_kind, stat_fields
from benchmarks.run_bench import REPO, workflow_overrides
from transforms.schemas import Action

TICKS = os.sysconf("SC_CLK_TCK")
# JVM thread names (digits folded) and the group their CPU is counted in.
JVM_GROUPS = (
    ("JIT compiler", re.compile(r"C\d CompilerThre")),
    ("GC", re.compile(r"GC Thread|G1 |VM Thread")),
)


def _thread_cpu(root: int) -> dict[tuple, tuple[str, float]]:
    """What each part of ``root``'s tree has used so far: a JVM's threads one by one, named by group;
    any other process whole (as "Python"). Keyed by pid and start time, and the JVM thread's id."""
    found: dict[tuple, tuple[str, float]] = {}
    for pid in descendants(root):
        fields = stat_fields(f"/proc/{pid}/stat")
        if not fields:
            continue
        key = (pid, fields[19])  # the process's start time: a pid may be reused
        if process_kind(pid, root) != "JVM":
            found[key] = ("Python", (int(fields[11]) + int(fields[12])) / TICKS)
            continue
        for task in os.listdir(f"/proc/{pid}/task"):
            thread = stat_fields(f"/proc/{pid}/task/{task}/stat")
            try:
                with open(f"/proc/{pid}/task/{task}/comm") as comm:
                    name = comm.read().strip()
            except OSError:
                continue
            if thread:
                group = next((label for label, pattern in JVM_GROUPS if pattern.match(name)), "JVM other")
                found[(*key, task, thread[19])] = (group, (int(thread[11]) + int(thread[12])) / TICKS)
    return found


class TreeCpu:
    """CPU seconds used by a process tree, by group (JIT compiler, GC, JVM other, Python), sampled.

    A process or thread that ends takes its figures with it: the Python workers a daemon reaps
    without waiting, the compiler threads HotSpot retires. So the tree is sampled every
    ``interval`` seconds, and each keeps the last figure seen; what one used in its last interval
    is missed. The sampling's own CPU (in this process) is not counted.
    """

    def __init__(self, root: int, interval: float = 1.0):
        self.root, self.interval = root, interval
        self._last: dict[tuple, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._own = 0.0  # CPU seconds the sampling thread spent

    def _sample(self) -> None:
        seen = _thread_cpu(self.root)
        with self._lock:
            self._last.update(seen)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()
            self._own = time.thread_time()

    def __enter__(self) -> "TreeCpu":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def totals(self) -> dict[str, float]:
        """CPU seconds by group, from a sample taken now and the last figure of everything that ended."""
        self._sample()
        cpu: dict[str, float] = collections.defaultdict(float)
        with self._lock:
            for group, seconds in self._last.values():
                cpu[group] += seconds
        cpu["Python"] -= self._own
        return dict(cpu)


@contextlib.contextmanager
def _cpu(totals: dict[str, float], step: str) -> Iterator[None]:
    """Adds the CPU seconds this process spends in the block to ``totals[step]``."""
    started = time.process_time()
    yield
    totals[step] += time.process_time() - started


def record_work(root: Path) -> dict:
    """Every data.json record under ``root`` through the loop's steps and the pipeline's, one at a time.

    Returns ``records``, ``loop`` and ``pipeline`` ({step: CPU s}), and ``invalid`` (records the loop's
    jsonschema finds errors in; records the pipeline rejects at transform or in the schema check).
    """
    from transforms.crosswalk.transform import transform_row
    from transforms.fetch.datajson import inspect_catalog, iter_datasets
    from transforms.fetch.source_pass import dataset_item, stream_sha256
    from transforms.gate.schema_check import FEDERAL, checker
    from transforms.gate.validate import schema_findings
    from transforms.registry import Source

    validator = harvester_validator()
    federal = checker(FEDERAL)
    loop: dict[str, float] = collections.defaultdict(float)
    ours: dict[str, float] = collections.defaultdict(float)
    records = invalid_by_loop = rejected_by_pipeline = 0
    for path in sorted((root / "www" / "datajson").glob("*/data.json")):
        body = path.read_bytes()
        with _cpu(loop, "json.loads of the document"):
            catalog = json.loads(body)
        for record in catalog["dataset"]:
            records += 1
            with _cpu(loop, "sorted JSON + sha256"):
                record_digest(record)
            with _cpu(loop, "jsonschema (iter_errors)"):
                invalid_by_loop += bool(list(validator.iter_errors(record)))
        source = Source(
            path.parent.name,
            path.parent.name,
            path.parent.name,
            path.as_uri(),
            "datajson",
            "dcatus1.1-federal",
        )
        stream = io.BytesIO(body)
        with _cpu(ours, "extract: sha256 of the document"):
            stream_sha256(stream)
        with _cpu(ours, "extract: inspect the catalog"):
            info = inspect_catalog(stream)
        entries = iter_datasets(stream, info)
        while True:
            with _cpu(ours, "extract: split + canonical text"):
                entry = next(entries, None)
                item = dataset_item(source, *entry, info) if entry is not None else None
            if item is None:
                break
            row = {
                **dict.fromkeys(["file_identifier", "record_url", "parent_identifier", "reasons"]),
                "source_id": source.id,
                "identifier": item["identifier"],
                "raw": item["raw"],
                "raw_format": "json",
                "record_type": None,
                "dcat_version": None,
                "warnings": item["warnings"],
                "action": Action.CREATE,
            }
            with _cpu(ours, "compare: sha256 of the canonical text"):
                hashlib.sha256((row["raw"] or "").encode())
            with _cpu(ours, "transform: transform_row"):
                out = transform_row(row, {})
            if not out.get("dcat_json"):
                rejected_by_pipeline += 1
                continue
            with _cpu(ours, "validate: schema check"):
                errors, _ = schema_findings(federal, out["dcat_json"])
            rejected_by_pipeline += bool(errors)
    return {
        "records": records,
        "loop": dict(loop),
        "pipeline": dict(ours),
        "invalid": {"loop": invalid_by_loop, "pipeline": rejected_by_pipeline},
    }


def _spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {group: cpu - before.get(group, 0.0) for group, cpu in after.items()}


def harvest_by_stage(root: Path, lake: Path) -> dict:
    """A first harvest of ``root``'s data.json sources over loopback HTTP: per stage, seconds and CPU by group."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from benchmarks.generate import registry_text
    from devtools.local_http import serve_folder
    from glue_jobs.arguments import new_run_id
    from harvest_cli.workflow import run_workflow

    shutil.rmtree(lake, ignore_errors=True)
    marks: list[tuple[str, float, dict[str, float]]] = []

    sampler = TreeCpu(os.getpid())

    def progress(message: str) -> None:
        marks.append((message.split()[1], time.monotonic(), sampler.totals()))

    registry = lake.parent / f"{lake.name}.yaml"
    with serve_folder(root / "www", latency_s=0.0) as base_url, sampler:
        registry.write_text(registry_text(root, base_url), "utf-8")
        started, before = time.monotonic(), sampler.totals()
        result = run_workflow(
            workflow_overrides(str(registry), str(lake), new_run_id()), on_progress=progress
        )
        seconds, after = time.monotonic() - started, sampler.totals()
    stages = {}
    for (stage, start, cpu_start), (_, end, cpu_end) in zip(marks[::2], marks[1::2], strict=True):
        stages[stage] = {"seconds": end - start, "cpu": _spent(cpu_start, cpu_end)}
    return {
        "seconds": seconds,
        "cpu": _spent(before, after),
        "stages": stages,
        "failed_stage": result.failed_stage,
    }


def _print_steps(title: str, steps: dict[str, float], records: int) -> float:
    total = sum(steps.values())
    print(f"\n{title}: {total:.1f} CPU-s ({total / records * 1e6:,.0f} µs a record)")
    for step, cpu in sorted(steps.items(), key=lambda item: -item[1]):
        print(f"  {step:42} {cpu:7.1f} CPU-s  {cpu / records * 1e6:7,.0f} µs")
    return total


def main(argv: list[str] | None = None) -> int:
    """Generate the catalogs, measure both parts, print them and write <work>/floor-<records>.json."""
    from benchmarks.generate import generate

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=REPO / ".bench")
    args = parser.parse_args(argv)
    root, lake = args.work / f"floor-sources-{args.records}", args.work / f"floor-lake-{args.records}"
    generate(root, args.records, seed=args.seed, xml_share=0)
    work = record_work(root)
    records = work["records"]
    loop = _print_steps("data.gov's loop, serial", work["loop"], records)
    ours = _print_steps("the pipeline's record work, serial, without Spark", work["pipeline"], records)
    print(
        f"invalid records: the loop found {work['invalid']['loop']:,}, the pipeline {work['invalid']['pipeline']:,}"
    )
    print(f"\nfloor on 2 cores of the pipeline's record work: {ours / 2:.1f} s; the loop needs {loop:.1f} s")
    harvest = harvest_by_stage(root, lake)
    print(
        f"\nfirst harvest over loopback HTTP: {harvest['seconds']:.1f} s, "
        f"{sum(harvest['cpu'].values()):.1f} CPU-s (failed: {harvest['failed_stage']})"
    )
    groups = ["JIT compiler", "GC", "JVM other", "Python"]
    print(f"  {'stage':10} {'seconds':>8} " + " ".join(f"{g:>13}" for g in groups))
    for stage, figures in harvest["stages"].items():
        cpu = figures["cpu"]
        print(f"  {stage:10} {figures['seconds']:8.1f} " + " ".join(f"{cpu.get(g, 0):13.1f}" for g in groups))
    out = args.work / f"floor-{args.records}.json"
    out.write_text(json.dumps({"record_work": work, "harvest": harvest}, indent=2), "utf-8")
    print(f"\nwritten to {out}")
    return 1 if harvest["failed_stage"] else 0


if __name__ == "__main__":
    sys.exit(main())
