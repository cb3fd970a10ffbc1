"""Glue job: fetch every source and split it into one row per record."""

import json
from datetime import UTC, datetime

from glue_jobs.job_context import begin
from transforms import lake
from transforms.fetch.extract import extract_sources
from transforms.publish.catalog_state import read_base_state
from transforms.schemas import EXTRACT_RECORDS, SOURCE_STATUS


def main(argv: list[str] | None = None) -> None:
    """Extract: sources -> extract/records, extract/sources."""
    job = begin("extract", argv)
    started = {"run_id": job.run_id, "started": datetime.now(UTC).isoformat(timespec="seconds")}
    lake.write_text(
        lake.run_path(job.lake, job.run_id, "run.json"), json.dumps(started) + "\n", "application/json"
    )
    state = read_base_state(job.spark, job.lake, job.run_id)
    validators = state.select("source_id", "record_url", "etag", "last_modified", "dcat_version").filter(
        "record_url is not null"
    )
    records, statuses = extract_sources(job.spark, job.sources, validators, publish_as=job.args["publish_as"])
    job.write(statuses, "sources", SOURCE_STATUS)
    job.write(records, "records", EXTRACT_RECORDS)
    # Extract caches what it fetched so the two writes fetch once; free it for the next job in this session.
    job.spark.catalog.clearCache()
    job.finish(sources=len(job.sources))


if __name__ == "__main__":
    main()
