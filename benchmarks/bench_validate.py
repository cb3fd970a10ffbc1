"""Benchmark: validate-stage records per second, schema checks and GE suites apart, with a baseline.

Replicates every dataset of the real data.json files in ../shared/realdata/datajson to N
records with new identifiers, spread over 1,000 sources, then times in the same run:

- baseline: data.gov harvester's serial loop, one ``jsonschema.Draft202012Validator(schema,
  format_checker=...)`` and its ``iter_errors`` per record, schema read from ../shared;
- ours, in process: ``DatasetChecker.check_text`` (jsonschema-rs decides, jsonschema explains);
- ours, the Spark stage: ``check_schemas`` (mapInPandas) counted on local[2];
- the GE suites: ``run_suites`` (both suites, the records judged in batches, Data Docs included).

    .venv/bin/python -m benchmarks.bench_validate --records 100000
"""

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import jsonschema

from glue_jobs.runtime import local_spark
from transforms.gate.schema_check import checker
from transforms.gate.validate import check_schemas, run_suites
from transforms.registry import Source
from transforms.schemas import SOURCE_STATUS, TRANSFORMED

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
SUITES = str(Path(__file__).resolve().parents[1] / "expectations")
SOURCES = 1000


def real_datasets() -> list[dict]:
    """Every dataset of every real data.json that parses (a few are broken on purpose)."""
    found = []
    for path in sorted((REALDATA / "datajson").rglob("*.json*")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        datasets = document.get("dataset") if isinstance(document, dict) else document
        found += [d for d in datasets or [] if isinstance(d, dict)] if isinstance(datasets, list) else []
    return found


def replicate(datasets: list[dict], records: int) -> list[tuple[str, str, dict]]:
    """(source_id, identifier, dataset) triples with fresh identifiers."""
    rows = []
    for n in range(records):
        record = dict(datasets[n % len(datasets)])
        record["identifier"] = f"bench-{n}"
        rows.append((f"source-{n % SOURCES}", record["identifier"], record))
    return rows


def transformed_row(source_id: str, identifier: str, record: dict) -> dict:
    values = dict.fromkeys(TRANSFORMED.fieldNames())
    contact = record.get("contactPoint") if isinstance(record.get("contactPoint"), dict) else {}
    distributions = record.get("distribution") if isinstance(record.get("distribution"), list) else []
    values.update(
        source_id=source_id,
        identifier=identifier,
        action="create",
        dcat_json=json.dumps(record),
        source_format="dcatus",
        warnings=[],
        title=record.get("title") if isinstance(record.get("title"), str) else None,
        access_level=record.get("accessLevel"),
        modified=record.get("modified"),
        has_email=contact.get("hasEmail"),
        distribution_urls=[
            d.get("downloadURL") or d.get("accessURL")
            for d in distributions
            if isinstance(d, dict) and (d.get("downloadURL") or d.get("accessURL"))
        ],
    )
    return values


def rate(label: str, count: int, seconds: float) -> float:
    print(f"{label:<48} {count:>8} records {seconds:8.1f} s {count / seconds:>10,.0f} records/s", flush=True)
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument(
        "--baseline-records",
        type=int,
        default=None,
        help="records for the (slow) baseline loop; default: all of them",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rows = replicate(real_datasets(), args.records)
    texts = [json.dumps(record) for _, _, record in rows]

    reference = json.loads(
        (REALDATA / "schema/datagov-harvester-dcatus1.1/non-federal_dataset.json").read_text()
    )
    baseline = texts[: args.baseline_records or len(texts)]
    started = time.perf_counter()
    invalid_baseline = sum(
        bool(
            list(
                jsonschema.Draft202012Validator(
                    reference, format_checker=jsonschema.FormatChecker()
                ).iter_errors(json.loads(text))
            )
        )
        for text in baseline
    )
    base_rate = rate("baseline: serial jsonschema, 1 core", len(baseline), time.perf_counter() - started)

    ours = checker("non-federal")
    started = time.perf_counter()
    invalid_ours = sum(any(f.severity == "error" for f in ours.check_text(text)) for text in baseline)
    ours_rate = rate("ours: DatasetChecker.check_text, 1 core", len(baseline), time.perf_counter() - started)
    assert invalid_ours == invalid_baseline, (invalid_ours, invalid_baseline)

    spark = local_spark("bench-validate", cores=2)
    spark.conf.set("spark.sql.shuffle.partitions", "4")
    sources = [
        Source(f"source-{i}", "s", "o", "https://example.gov/data.json", "datajson", "dcatus1.1-non-federal")
        for i in range(SOURCES)
    ]
    frame = spark.createDataFrame([transformed_row(*row) for row in rows], TRANSFORMED).repartition(4).cache()
    frame.count()
    started = time.perf_counter()
    checked = check_schemas(frame, sources).filter("size(schema_errors) > 0").count()
    stage_rate = rate(
        "ours: check_schemas (mapInPandas), local[2]", args.records, time.perf_counter() - started
    )

    statuses = spark.createDataFrame(
        [
            {
                **dict.fromkeys(SOURCE_STATUS.fieldNames()),
                "source_id": s.id,
                "status": "complete",
                "extracted": args.records // SOURCES,
            }
            for s in sources
        ],
        SOURCE_STATUS,
    )
    published = spark.createDataFrame([(s.id, 0) for s in sources], "source_id string, published long")
    with tempfile.TemporaryDirectory() as quality_dir:
        started = time.perf_counter()
        holds, failures, _ = run_suites(frame, statuses, published, SUITES, quality_dir, "bench")
        suites_rate = rate("GE suites (both, incl. Data Docs)", args.records, time.perf_counter() - started)
    print(
        f"invalid records: {checked} of {args.records}; held sources: {len(holds)}; "
        f"sources with failed expectations: {len(failures)}"
    )
    print(
        f"speed-up, schema checks in process: {ours_rate / base_rate:.0f}x; Spark stage: {stage_rate / base_rate:.0f}x; "
        f"GE suites: {suites_rate:,.0f} records/s"
    )
    spark.stop()


if __name__ == "__main__":
    main()
