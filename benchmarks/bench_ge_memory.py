"""Benchmark: peak memory of the validate stage's GE suites alone (``run_suites``), by process kind.

Generates N create records (``generate.RECORDS_PER_SOURCE`` per source, about 1% with a bad
``modified``, a few without a title) as a transform output table, then runs ``run_suites`` over it in
a subprocess on local[2], sampling the RSS of its driver, JVM and Python workers; the peaks are those
between the start and the end of ``run_suites``.

    .venv/bin/python -m benchmarks.bench_ge_memory --records 430000 --work /tmp/ge-memory
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from pyspark.sql import functions as F

from benchmarks.generate import RECORDS_PER_SOURCE
from benchmarks.memory import run_measured
from glue_jobs.runtime import local_spark
from transforms.gate.suites import PACKAGED_SUITES
from transforms.gate.validate import run_suites
from transforms.schemas import SOURCE_STATUS, TRANSFORMED

MIB = 1024 * 1024
STEP = "GE step"  # the marker lines the measured process prints around run_suites: "<STEP> start|end <time>"


def generate(spark, records: int, path: str) -> None:
    """N create records of the GE suites' columns (the others null) at ``path``, as parquet."""
    n = F.col("id")
    columns = {
        "source_id": F.concat(F.lit("source-"), (n % max(1, records // RECORDS_PER_SOURCE)).cast("string")),
        "identifier": F.concat(F.lit("record-"), n.cast("string")),
        "action": F.lit("create"),
        "dcat_json": F.lit("{}"),
        "record_type": F.lit("Dataset"),
        "title": F.when(n % 997 == 0, F.lit(None)).otherwise(F.concat(F.lit("Title of "), n.cast("string"))),
        "access_level": F.element_at(
            F.array(*map(F.lit, ("public", "restricted public", "non-public"))), (n % 3 + 1).cast("int")
        ),
        "modified": F.when(n % 100 == 0, F.lit("last tuesday")).otherwise(F.lit("2024-01-02T03:04:05Z")),
        "has_email": F.lit("mailto:data@agency.gov"),
        "distribution_urls": F.array_repeat(
            F.concat(F.lit("https://agency.gov/data/"), n.cast("string")), (n % 4).cast("int")
        ),
        "reasons": F.array().cast("array<string>"),
        "warnings": F.array().cast("array<string>"),
    }
    frame = spark.range(records).select(
        *(
            (columns[field.name] if field.name in columns else F.lit(None))
            .cast(field.dataType)
            .alias(field.name)
            for field in TRANSFORMED.fields
        )
    )
    frame.write.mode("overwrite").parquet(path)


def run(records_path: str) -> None:
    """The measured process: run_suites over the generated records, its start and end printed."""
    spark = local_spark("bench-ge-memory", cores=2)
    transformed = spark.read.schema(TRANSFORMED).parquet(records_path)
    sources = [row["source_id"] for row in transformed.select("source_id").distinct().collect()]
    statuses = spark.createDataFrame(
        [
            {
                **dict.fromkeys(SOURCE_STATUS.fieldNames()),
                "source_id": s,
                "status": "complete",
                "extracted": 0,
            }
            for s in sources
        ],
        SOURCE_STATUS,
    )
    published = spark.createDataFrame([], "source_id string, published long")
    with tempfile.TemporaryDirectory() as quality_dir:
        print(f"{STEP} start {time.monotonic()}", flush=True)
        holds, failures, _ = run_suites(
            transformed, statuses, published, PACKAGED_SUITES, quality_dir, "bench"
        )
        print(f"{STEP} end {time.monotonic()}", flush=True)
    print(f"held {len(holds)}, sources with failed expectations {len(failures)}", flush=True)
    spark.stop()


def measure(records: int, work: str) -> dict:
    """Generate (once per size) and measure: peak RSS in MiB by process kind during run_suites."""
    path = str(Path(work, f"transformed-{records}"))
    if not Path(path, "_SUCCESS").exists():
        spark = local_spark("bench-ge-memory-generate", cores=2)
        generate(spark, records, path)
        spark.stop()
    measured = run_measured(
        [sys.executable, "-m", "benchmarks.bench_ge_memory", "--run", path], env=dict(os.environ)
    )
    marks = {
        line.split()[-2]: float(line.split()[-1])
        for line in measured.output.splitlines()
        if line.startswith(STEP)
    }
    if measured.returncode or len(marks) != 2:
        raise SystemExit(f"the measured run failed ({measured.returncode}):\n{measured.output[-3000:]}")
    during = [sample for sample in measured.samples if marks["start"] <= sample[0] <= marks["end"]]
    kinds = {kind for _, _, sample in during for kind in sample}
    return {
        "records": records,
        "seconds": round(marks["end"] - marks["start"], 1),
        "peak_mib": {
            kind: round(max(sample.get(kind, (0, 0))[0] for _, _, sample in during) / MIB)
            for kind in sorted(kinds)
        },
        "driver_at_start_mib": round(during[0][2].get("driver", (0, 0))[0] / MIB) if during else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=430_000)
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir(), "bench-ge-memory")))
    parser.add_argument("--run", help=argparse.SUPPRESS)  # the measured process, over this table
    args = parser.parse_args()
    if args.run:
        run(args.run)
    else:
        print(measure(args.records, args.work), flush=True)


if __name__ == "__main__":
    main()
