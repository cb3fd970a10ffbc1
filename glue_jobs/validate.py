"""Glue job: the gate. Records against the DCAT-US 1.1 schema, batches against the suites."""

import json

from glue_jobs.job_context import begin
from transforms import lake
from transforms.gate.validate import validate_records
from transforms.publish.catalog_state import published_counts, read_state
from transforms.schemas import SOURCE_STATUS, TRANSFORMED, VALIDATED


def main(argv: list[str] | None = None) -> None:
    """Validate: transform/records -> validate/records, validate/sources, quality/ (Data Docs)."""
    job = begin("validate", argv)
    state = read_state(job.spark, job.lake, job.manifest.base_version)
    quality_dir = lake.run_path(job.lake, job.run_id, "quality")
    validated, statuses, quality = validate_records(
        job.read("transform", "records", TRANSFORMED),
        job.read("transform", "sources", SOURCE_STATUS),
        job.sources,
        published_counts(state),
        force=job.args["force"],
        quality_dir=quality_dir,
    )
    job.write(validated, "records", VALIDATED)
    job.write(statuses, "sources", SOURCE_STATUS)
    lake.write_text(lake.join(quality_dir, "summary.json"), json.dumps(quality, indent=2), "application/json")
    job.finish(**job.tally("records", "decision"))


if __name__ == "__main__":
    main()
