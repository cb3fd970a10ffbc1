"""`make bench`: the whole workflow on generated catalogs, side by side with data.gov's serial loop.

Four parts, each runnable alone (``--parts`` or ``BENCH_PARTS``, comma-separated):

- ``fixed``: the fixed cost of a run, ``BENCH_FIXED_RECORDS`` (500) mixed records from disk, the same
  three harvests as ``sizes``, with the Spark jobs each stage started.
- ``sizes``: for each record count (``BENCH_RECORDS``), generate mixed data.json + WAF sources, time
  the serial loop on them from disk, then three harvests (first, next-day after `mutate`, unchanged).
- ``side``: ``BENCH_SIDE_RECORDS`` data.json records served by the loopback HTTP server (no added
  latency); data.gov's loop fetches them with urllib in full mode, then in hash-only mode against the
  hashes it stored; the pipeline runs a first harvest and an unchanged re-harvest from the same server.
- ``scaleout``: ``BENCH_SCALEOUT_RECORDS`` mixed records on disk; a first harvest with
  ``HARVEST_SPARK_MASTER`` set to local[1], local[2] and a 2-worker standalone cluster, each catalog
  compared with local[2]'s.

Every harvest runs in its own subprocess so the RSS of its process tree (driver, JVM, Python workers)
can be sampled. Writes <work>/results.json (parts not run keep their previous figures), the page
(``--page``, BENCHMARKS.md by default) and the scaling chart beside it.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: it loads PySpark
    from benchmarks.memory import MeasuredRun

REPO = Path(__file__).resolve().parents[1]
HARVESTS = ("first", "next-day", "unchanged")
PARTS = ("fixed", "sizes", "side", "scaleout")
SCALEOUT_MASTERS = ("local[1]", "local[2]", "cluster")  # compared with local[2]


def workflow_overrides(sources: str, lake: str, run_id: str) -> dict[str, str]:
    """The arguments of a benchmark's harvest: a plain run of every source, no database."""
    return {
        "lake": lake,
        "sources": sources,
        "run-id": run_id,
        "force": "false",
        "only-sources": "",
        "db-url": "",
    }


def harvest_once(sources: str, lake: str, run_id: str, out: str) -> int:
    """Child process: run the workflow once; write seconds and monotonic start/end per stage, and the master."""
    from pyspark import SparkContext

    from harvest_cli.workflow import run_workflow

    windows: dict[str, list[float]] = {}
    jobs: dict[str, list[int]] = {}

    def progress(message: str) -> None:
        print(message, flush=True)
        stage = message.split()[1]
        windows.setdefault(stage, []).append(time.monotonic())
        jobs.setdefault(stage, []).append(spark_jobs_started())

    result = run_workflow(workflow_overrides(sources, lake, run_id), on_progress=progress)
    context = SparkContext._active_spark_context  # the master actually used, whatever the environment said
    Path(out).write_text(
        json.dumps(
            {
                "seconds": result.seconds,
                "failed_stage": result.failed_stage,
                "windows": windows,
                "spark_jobs": {stage: marks[-1] - marks[0] for stage, marks in jobs.items()},
                "master": context.master if context else None,
            }
        ),
        "utf-8",
    )
    return 1 if result.failed_stage else 0


def spark_jobs_started() -> int:
    """How many Spark jobs the running context has started: its job ids count up from 0.

    Every action (count, collect, write, a persisted frame materialised) is one job, and each job
    costs a scheduling round trip, so the number per stage is the fixed cost the benchmark reports.
    """
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    ids = context.statusTracker().getJobIdsForGroup() if context else []
    return max(ids) + 1 if ids else 0


def measure_harvest(registry: Path, lake: Path, driver_memory: str, master: str | None = None) -> dict:
    """One harvest in a subprocess: wall seconds, peak tree RSS, seconds and peak RSS per stage, totals.

    ``master`` goes to the child as HARVEST_SPARK_MASTER (local[N] or a spark:// URL); None keeps the
    environment's.
    """
    from benchmarks.memory import run_measured
    from glue_jobs.arguments import new_run_id

    run_id, out = new_run_id(), lake.parent / f"{lake.name}-harvest.json"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "HARVEST_DRIVER_MEMORY": driver_memory,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
    }
    if master:
        env["HARVEST_SPARK_MASTER"] = master
    command = [
        sys.executable,
        "-m",
        "benchmarks.run_bench",
        "harvest-once",
        str(registry),
        str(lake),
        run_id,
        str(out),
    ]
    run = run_measured(command, env=env)
    child = json.loads(out.read_text("utf-8")) if out.is_file() else {"seconds": {}, "windows": {}}
    stages = {
        stage: {
            "seconds": seconds,
            **_peak(run, *child["windows"][stage][:2]),
            "spark_jobs": child.get("spark_jobs", {}).get(stage),
        }
        for stage, seconds in child["seconds"].items()
    }
    report = lake / "runs" / run_id / "report" / "report.json"
    totals = json.loads(report.read_text("utf-8")).get("totals", {}) if report.is_file() else {}
    if run.returncode:
        print(run.output[-3000:], file=sys.stderr)
    return {
        "seconds": run.seconds,
        **_peak(run, 0.0, float("inf")),
        "returncode": run.returncode,
        "stages": stages,
        "spark_jobs": sum(child.get("spark_jobs", {}).values()),
        "failed_stage": child.get("failed_stage"),
        "master": child.get("master"),
        "totals": totals,
    }


def _peak(run: "MeasuredRun", start: float, end: float) -> dict:
    """The peak RSS between two monotonic instants, and whose it was: kind -> [bytes, processes]."""
    _, rss, kinds = run.peak_sample_between(start, end)
    return {"peak_rss": rss, "peak_by_process": kinds}


def _print_harvest(label: str, figures: dict) -> None:
    print(
        f"{label}: {figures['seconds']:.1f} s, {figures.get('spark_jobs')} Spark jobs, "
        f"peak {figures['peak_rss'] / 2**20:,.0f} MiB, "
        f"exit {figures['returncode']}, master {figures['master']}, totals {figures['totals']}",
        flush=True,
    )


def _generated(root: Path, records: int, seed: int, **shape) -> list:
    from benchmarks.generate import generate

    started = time.monotonic()
    plan = generate(root, records, seed=seed, **shape)
    print(
        f"{records:,} records in {len(plan)} sources generated in {time.monotonic() - started:.0f} s",
        flush=True,
    )
    return plan


def _loop_figures(loop) -> dict:
    return {
        "records": loop.records,
        "seconds": loop.seconds,
        "rate": loop.rate,
        "validated": loop.validated,
        "invalid": loop.invalid,
        "changed": loop.changed,
        "schema": os.path.relpath(loop.schema, REPO),
    }


@contextmanager
def _served(root: Path, mode: str, latency_s: float) -> Iterator[str]:
    """The base URL of ``root/www``: file:// in disk mode, the loopback server's in http mode."""
    from devtools.local_http import serve_folder

    serving = (
        serve_folder(root / "www", latency_s=latency_s)
        if mode == "http"
        else nullcontext((root / "www").as_uri())
    )
    with serving as base_url:
        yield base_url


def bench_size(records: int, work: Path, seed: int, mode: str, latency_s: float, driver_memory: str) -> dict:
    """Generate ``records`` mixed records, run the disk loop and the three harvests; the figures as a dict."""
    from benchmarks.baseline import run_baseline
    from benchmarks.generate import mutate, registry_text

    root, lake = work / f"sources-{records}", work / f"lake-{records}"
    shutil.rmtree(lake, ignore_errors=True)
    plan = _generated(root, records, seed)
    baseline = run_baseline(root)
    print(f"baseline loop: {baseline.rate:,.0f} records/s ({baseline.seconds:.1f} s)", flush=True)
    result = {
        "records": records,
        "sources": len(plan),
        "largest_source": max(s.records for s in plan),
        "baseline": _loop_figures(baseline),
        "harvests": {},
    }
    with _served(root, mode, latency_s) as base_url:
        registry = work / f"sources-{records}.yaml"
        registry.write_text(registry_text(root, base_url), "utf-8")
        for harvest in HARVESTS:
            if harvest == "next-day":
                result["mutation"] = mutate(root, seed=1)
            result["harvests"][harvest] = measure_harvest(registry, lake, driver_memory)
            _print_harvest(f"{harvest} harvest", result["harvests"][harvest])
    return result


def bench_side_by_side(records: int, work: Path, seed: int, driver_memory: str) -> dict:
    """data.json records over loopback HTTP: the serial loop (full, then hash-only) and the pipeline (first, unchanged)."""
    from benchmarks.baseline import datajson_urls, http_records, run_loop
    from benchmarks.generate import registry_text

    root, lake = work / f"side-sources-{records}", work / f"side-lake-{records}"
    shutil.rmtree(lake, ignore_errors=True)
    plan = _generated(root, records, seed, xml_share=0)
    result = {"records": records, "sources": len(plan), "largest_source": max(s.records for s in plan)}
    with _served(root, "http", 0.0) as base_url:
        urls = datajson_urls(root, base_url)
        full = run_loop(http_records(urls), "full")
        print(f"full loop over HTTP: {full.rate:,.0f} records/s ({full.seconds:.1f} s)", flush=True)
        hash_only = run_loop(http_records(urls), "hash-only", previous=full.hashes)
        print(
            f"hash-only loop over HTTP: {hash_only.seconds:.1f} s, {hash_only.validated} validated",
            flush=True,
        )
        result["loops"] = {"full": _loop_figures(full), "hash-only": _loop_figures(hash_only)}
        registry = work / f"side-sources-{records}.yaml"
        registry.write_text(registry_text(root, base_url), "utf-8")
        result["harvests"] = {}
        for harvest in ("first", "unchanged"):
            result["harvests"][harvest] = measure_harvest(registry, lake, driver_memory)
            _print_harvest(f"side-by-side {harvest} harvest", result["harvests"][harvest])
    return result


def _cluster_harvest(registry: Path, lake: Path, driver_memory: str, work: Path) -> dict:
    """A first harvest on a 2-worker standalone cluster (1 core, 2g each); an error entry when it does not start."""
    from devtools.spark_cluster import standalone_cluster

    try:
        with standalone_cluster(workers=2, cores_per_worker=1, memory="2g", work=work) as master_url:
            figures = measure_harvest(registry, lake, driver_memory, master=master_url)
    except Exception as error:  # a cluster that does not start is a figure of the run, not a crash
        return {"error": f"standalone cluster failed: {error!r}"}
    return {**figures, "master_url": master_url}


def bench_scaleout(records: int, work: Path, seed: int, driver_memory: str) -> dict:
    """A first harvest of the same mixed catalog on local[1], local[2] and a 2-worker standalone cluster."""
    from benchmarks.generate import registry_text

    root = work / f"scaleout-sources-{records}"
    plan = _generated(root, records, seed)
    registry = work / f"scaleout-sources-{records}.yaml"
    registry.write_text(registry_text(root, (root / "www").as_uri()), "utf-8")
    lakes = {name: work / f"scaleout-lake-{name.strip(']').replace('[', '')}" for name in SCALEOUT_MASTERS}
    runs: dict[str, dict] = {}
    for name, lake in lakes.items():
        shutil.rmtree(lake, ignore_errors=True)
        if name == "cluster":
            runs[name] = _cluster_harvest(registry, lake, driver_memory, work / "scaleout-cluster")
        else:
            runs[name] = measure_harvest(registry, lake, driver_memory, master=name)
        if "error" in runs[name]:
            print(f"scale-out {name}: {runs[name]['error']}", flush=True)
        else:
            _print_harvest(f"scale-out {name}", runs[name])
    _compare_catalogs(runs, lakes)
    return {
        "records": records,
        "sources": len(plan),
        "largest_source": max(s.records for s in plan),
        "runs": runs,
    }


def _compare_catalogs(runs: dict[str, dict], lakes: dict[str, Path]) -> None:
    """Add to each run the differences between its catalog and local[2]'s (None when not comparable)."""
    try:
        from devtools.spark_cluster import catalog_difference
    except ImportError:
        catalog_difference = None
    reference = runs["local[2]"]
    for name, run in runs.items():
        comparable = (
            catalog_difference is not None
            and name != "local[2]"
            and not run.get("returncode", 1)
            and not reference["returncode"]
        )
        try:
            difference = catalog_difference(str(lakes["local[2]"]), str(lakes[name])) if comparable else None
        except Exception as error:  # an unreadable catalog is a finding of the run, not a crash after it
            difference = [f"comparison failed: {error!r}"]
        run["catalog_difference"] = difference[:20] if difference is not None else None


def machine() -> dict:
    """Cores, memory, CPU model and the versions that matter."""
    meminfo = Path("/proc/meminfo").read_text()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    import pyspark

    return {
        "cores": os.cpu_count(),
        "memory": meminfo.splitlines()[0].split(":", 1)[1].strip(),
        "cpu": cpu,
        "python": platform.python_version(),
        "pyspark": pyspark.__version__,
        "java": java[0] if java else "?",
    }


def load_results(path: Path) -> dict:
    """The last run's results.json; an older file (a plain list of sizes) is read as the sizes part."""
    if not path.is_file():
        return {}
    results = json.loads(path.read_text("utf-8"))
    if isinstance(results, list):
        return {"sizes": {"runs": results, "mode": "disk", "latency_s": 0.0, "driver_memory": "4g"}}
    return results


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def run_parts(parts: list[str], args: argparse.Namespace, work: Path, results: dict) -> None:
    """Run the chosen parts into ``results``, saving <work>/results.json after each (a crash keeps the parts before it)."""
    latency = 0.0 if args.mode == "disk" else args.latency
    measure = {
        # The fixed cost of a run: a small catalog from disk, where Spark's own work is nearly all there is.
        "fixed": lambda: bench_size(args.fixed_records, work, args.seed, "disk", 0.0, args.driver_memory),
        "sizes": lambda: {
            "runs": [
                bench_size(int(n), work, args.seed, args.mode, latency, args.driver_memory)
                for n in args.records.split(",")
            ],
            "mode": args.mode,
            "latency_s": latency,
        },
        "side": lambda: bench_side_by_side(args.side_records, work, args.seed, args.driver_memory),
        "scaleout": lambda: bench_scaleout(args.scaleout_records, work, args.seed, args.driver_memory),
    }
    results["machine"] = machine()
    for part in PARTS:
        if part in parts:
            results[part] = {**measure[part](), "measured_at": _now(), "driver_memory": args.driver_memory}
            (work / "results.json").write_text(json.dumps(results, indent=1), "utf-8")


def _all_succeeded(results: dict) -> bool:
    harvests = [h for r in results.get("sizes", {}).get("runs", []) for h in r["harvests"].values()]
    harvests += list(results.get("fixed", {}).get("harvests", {}).values())
    harvests += list(results.get("side", {}).get("harvests", {}).values())
    harvests += list(results.get("scaleout", {}).get("runs", {}).values())
    return all(h.get("returncode", 1) == 0 for h in harvests)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments; run `harvest-once` (child), the chosen parts of the benchmark, or re-render its page."""
    from glue_jobs.runtime import DRIVER_MEMORY

    parser = argparse.ArgumentParser(prog="run_bench", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        default="bench",
        choices=("bench", "render", "harvest-once"),
        help="render: rewrite the page from the last run's <work>/results.json",
    )
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--parts", default=os.environ.get("BENCH_PARTS", ",".join(PARTS)))
    parser.add_argument("--records", default=os.environ.get("BENCH_RECORDS", "10000,100000"))
    parser.add_argument(
        "--fixed-records", type=int, default=int(os.environ.get("BENCH_FIXED_RECORDS", "500"))
    )
    parser.add_argument(
        "--side-records", type=int, default=int(os.environ.get("BENCH_SIDE_RECORDS", "100000"))
    )
    parser.add_argument(
        "--scaleout-records", type=int, default=int(os.environ.get("BENCH_SCALEOUT_RECORDS", "20000"))
    )
    parser.add_argument("--work", default=str(REPO / ".bench"))
    parser.add_argument("--page", default=str(REPO / "BENCHMARKS.md"), help="the Markdown page to write")
    parser.add_argument("--mode", choices=("disk", "http"), default=os.environ.get("BENCH_MODE", "disk"))
    parser.add_argument("--latency", type=float, default=float(os.environ.get("BENCH_LATENCY", "0.005")))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--driver-memory", default=os.environ.get("HARVEST_DRIVER_MEMORY", DRIVER_MEMORY))
    args = parser.parse_args(argv)
    if args.command == "harvest-once":
        return harvest_once(*args.rest)
    from benchmarks.bench_page import write_outputs

    parts = [part.strip() for part in args.parts.split(",") if part.strip()]
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = load_results(work / "results.json")
    if args.command == "bench":
        run_parts(parts, args, work, results)
    if "machine" not in results:  # an older results.json: the machine as it is now
        results["machine"] = machine()
    write_outputs(results, Path(args.page))
    return 0 if _all_succeeded(results) else 1


if __name__ == "__main__":
    sys.exit(main())
