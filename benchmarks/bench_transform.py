"""Benchmark: ISO/FGDC records per second per core through the Spark transform stage.

Replicates the real ISO and FGDC samples in ../shared/realdata/waf to N records and runs
transforms.crosswalk.transform.transform_changes on local[1] and local[2], timing a full write-free
action (count of a cached-nothing plan forces every record through the crosswalk).

    .venv/bin/python -m benchmarks.bench_transform --records 100000
"""

import argparse
import logging
import time
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from glue_jobs.runtime import local_spark
from transforms.crosswalk.transform import transform_changes, transform_record
from transforms.registry import Source
from transforms.schemas import CHANGES

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "waf"
SAMPLES = [
    "datagov-harvester/iso_2_waf/valid_iso1.xml",
    "datagov-harvester/iso_2_waf/valid_iso2.xml",
    "ckanext-geodatagov/waf-gmi/cb_2014_us_necta_500k.shp.iso.xml",
    "ckanext-geodatagov/waf-collection1/tl_2013_us_county.shp.iso.xml",
    "ckanext-spatial/iso19139/dataset.xml",
    "ckanext-spatial/gemini2.1/service1.xml",
    "mdTranslator/iso19115-2_datagov.xml",
    "mdTranslator/iso19115-3.xml",
    "datagov-harvester/waf/USGSHydroCached.xml",
    "mdTranslator/fgdc/gulkanaGlacierGPR.xml",
]
SOURCE = Source("bench", "Bench", "Bench Org", "https://bench.example/waf/", "waf", "iso19115")


def _changes(spark: SparkSession, records: int, partitions: int):
    docs = [(path, (REALDATA / path).read_text(encoding="utf-8")) for path in SAMPLES]
    samples = spark.createDataFrame(docs, "path string, raw string")
    ids = spark.range(records, numPartitions=partitions).withColumn("pick", F.col("id") % len(docs))
    indexed = samples.withColumn("pick", F.monotonically_increasing_id() % len(docs))
    url = F.concat(F.lit("https://bench.example/waf/"), F.col("id").cast("string"), F.lit(".xml"))
    # A WAF record as compare writes a create; every other CHANGES column is null, as extract leaves
    # it for an XML file (its record type and DCAT-US version among them).
    values = {
        "source_id": F.lit("bench"),
        "identifier": url,
        "record_url": url,
        "action": F.lit("create"),
        "raw_format": F.lit("xml"),
        "raw": F.col("raw"),
        "content_hash": F.lit("h"),
    }
    rows = ids.join(F.broadcast(indexed), on="pick", how="inner").select(
        *[
            values.get(field.name, F.lit(None)).cast(field.dataType).alias(field.name)
            for field in CHANGES.fields
        ]
    )
    return rows.repartition(partitions).cache()


def run(cores: int, records: int) -> float:
    """Records per second per core on local[cores]."""
    spark = local_spark(f"bench-transform-{cores}", cores=cores)
    try:
        changes = _changes(spark, records, cores * 4)
        changes.count()  # materialise the input so only the transform is timed
        started = time.perf_counter()
        out = transform_changes(changes, [SOURCE])
        # One action over every row: the transform runs exactly once per record.
        total, rejected, _ = out.agg(
            F.count("*"), F.sum((F.col("action") == "reject").cast("int")), F.sum(F.length("dcat_json"))
        ).first()
        elapsed = time.perf_counter() - started
    finally:
        spark.stop()
    rate = records / elapsed / cores
    print(
        f"local[{cores}]: {records} records ({total} rows, {rejected} rejected) in {elapsed:.1f}s: "
        f"{records / elapsed:.0f} records/s, {rate:.0f} records/s/core"
    )
    return rate


def single_process(records: int = 2000) -> None:
    """The pure per-record function without Spark, for reference."""
    docs = [(REALDATA / path).read_text(encoding="utf-8") for path in SAMPLES]
    started = time.process_time()  # CPU time: the figure that does not depend on other load
    for index in range(records):
        transform_record("xml", docs[index % len(docs)], f"https://b/{index}.xml", None, {}, "Bench Org")
    elapsed = time.process_time() - started
    print(f"transform_record alone: {records / elapsed:.0f} records per CPU-second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--cores", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args()
    if not REALDATA.is_dir():
        raise SystemExit(f"{REALDATA} is absent: the benchmark replicates the real samples there")
    logging.basicConfig(level=logging.WARNING)
    single_process()
    for cores in args.cores:
        run(cores, args.records)


if __name__ == "__main__":
    main()
