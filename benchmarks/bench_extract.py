"""Extract benchmark: a big WAF behind a slow server, and a big data.json catalog.

    .venv/bin/python -m benchmarks.bench_extract --files 10000 --latency 0.05 --catalog-mb 200

Prints files per second for the WAF (data.gov's harvester manages about 105 files a minute) and
records per second plus peak memory for the catalog: the driver's Python process, the Spark JVM
and the largest Python worker (peak RSS, VmHWM from /proc, sampled while the run goes on).
"""

import argparse
import json
import logging
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.memory import descendants, process_kind
from devtools.local_http import serve_folder
from glue_jobs.runtime import local_spark
from transforms.fetch.extract import extract_sources
from transforms.fetch.http import FetchPolicy
from transforms.registry import Source

RECORD = """<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">
  <gmd:fileIdentifier><gco:CharacterString>bench-{n}</gco:CharacterString></gmd:fileIdentifier>
  <gmd:identificationInfo><gmd:MD_DataIdentification><gmd:abstract><gco:CharacterString>{text}</gco:CharacterString>
  </gmd:abstract></gmd:MD_DataIdentification></gmd:identificationInfo>
</gmd:MD_Metadata>
"""


class PeakMemory:
    """Samples the peak RSS (VmHWM) of this process's descendants: the JVM and its Python workers.

    Only descendants count: other Spark applications on the same machine are not ours to measure.
    """

    def __init__(self):
        self.jvm_kb, self.worker_kb, self._stop = 0, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()

    def _run(self):
        me = os.getpid()
        while not self._stop.wait(0.25):
            for pid in descendants(me) - {me}:
                kind = process_kind(pid, me)
                try:
                    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
                        fields = dict(line.split(":", 1) for line in status if ":" in line)
                except OSError:
                    continue
                peak = int(fields.get("VmHWM", "0 kB").split()[0])
                if kind == "JVM":
                    self.jvm_kb = max(self.jvm_kb, peak)
                elif kind == "Python workers":
                    self.worker_kb = max(self.worker_kb, peak)


def make_waf(root: Path, files: int) -> None:
    for n in range(files):
        folder = root / "waf" / f"part-{n // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"record-{n:05d}.xml").write_text(RECORD.format(n=n, text="Coastal survey " * 40))


def make_catalog(path: Path, megabytes: int) -> int:
    """A synthetic DCAT-US catalog of about `megabytes` MB with ~5 KB datasets; returns the dataset count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [')
        while out.tell() < megabytes * 1024 * 1024:
            dataset = {
                "identifier": f"https://data.example.gov/id/{count}",
                "title": f"Dataset {count}",
                "description": "Measurements of many things, with care. " * 100,
                "keyword": ["bench", "é"],
                "distribution": [
                    {"downloadURL": f"https://data.example.gov/{count}/{k}.csv"} for k in range(5)
                ],
            }
            out.write(("," if count else "") + json.dumps(dataset))
            count += 1
        out.write("]}")
    return count


def run(spark, source: Source, policy: FetchPolicy) -> tuple[float, int, object]:
    started = time.monotonic()
    records, statuses = extract_sources(spark, [source], None, policy)
    status = statuses.first()
    return time.monotonic() - started, records.count(), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--catalog-mb", type=int, default=200)
    parser.add_argument("--connections-per-host", type=int, default=FetchPolicy.connections_per_host)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spark = local_spark("bench-extract")
    policy = FetchPolicy(
        allow_private_network=True,
        connections_per_host=args.connections_per_host,
        threads_per_task=max(16, args.connections_per_host),
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_waf(root, args.files)
        with serve_folder(root, latency_s=args.latency) as base:
            seconds, count, status = run(
                spark, Source("bench-waf", "b", "b", base + "waf/", "waf", "iso19115", True), policy
            )
        print(
            f"WAF: {count} files ({status.status}, {status.errors} errors) in {seconds:.1f} s = "
            f"{count / seconds:.0f} files/s with {args.latency * 1000:.0f} ms latency per request"
        )
        datasets = make_catalog(root / "catalog" / "data.json", args.catalog_mb)
        with serve_folder(root / "catalog") as base, PeakMemory() as peak:
            seconds, count, status = run(
                spark,
                Source("bench-json", "b", "b", base + "data.json", "datajson", "dcatus1.1-federal", True),
                policy,
            )
        assert count == datasets, (count, datasets)
        driver_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"data.json: {count} datasets ({args.catalog_mb} MB, {status.status}) in {seconds:.1f} s = "
            f"{count / seconds:.0f} records/s; peak RSS: driver Python {driver_mb:.0f} MB, "
            f"JVM {peak.jvm_kb / 1024:.0f} MB, largest Python worker {peak.worker_kb / 1024:.0f} MB (pid {os.getpid()})"
        )
    spark.stop()


if __name__ == "__main__":
    main()
