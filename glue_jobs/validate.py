"""Glue job: the gate. Records against the DCAT-US 1.1 schema, batches against the suites."""

import json

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from glue_jobs.job_context import JobContext, begin
from transforms import lake
from transforms.gate import suites
from transforms.gate.duplicates import NO_DUPLICATES, apply_duplicates, check_duplicates
from transforms.gate.validate import suites_may_run, validate_records
from transforms.lake.catalog_state import published_counts, read_state
from transforms.repeat_run import carried_verdicts
from transforms.schemas import SOURCE_STATUS, TRANSFORMED, VALIDATED, Action, Decision, SourceState


def failed_sources(job: JobContext, statuses: DataFrame) -> list[str]:
    """The sources extract could not read: none to look up when extract counted none (its stage record)."""
    if job.stage_record("extract").get("counts", {}).get("failed_sources") == 0:
        return []
    failed = statuses.filter(F.col("status") == SourceState.FAILED).select("source_id").collect()
    return sorted(row.source_id for row in failed)


def main(argv: list[str] | None = None) -> None:
    """Validate: transform/records -> validate/records, validate/sources, quality/ (Data Docs)."""
    job = begin("validate", argv)
    quality_dir = lake.run_path(job.lake, job.run_id, "quality")
    carry = job.carry
    if carry is not None and carry.whole:  # a repeat: every verdict is the last run's, no suite runs
        validated, statuses = carried_verdicts(job.spark, job.lake, carry)
        quality: dict = {"data_docs": None, "sources": {}, "repeat_of": carry.of}
        duplicates_summary = NO_DUPLICATES.copy()
    else:
        # Transform's rows per action, read once: what the suites and the duplicates check may skip.
        transform_counts = job.stage_record("transform").get("counts")
        if suites_may_run(transform_counts):
            # GE's import overlaps the session's start (a stage of its own) and the work before the suites.
            suites.import_in_background()
        state = read_state(job.spark, job.lake, job.manifest.base_version)
        transformed = job.read("transform", "records", TRANSFORMED)
        statuses = job.read("transform", "sources", SOURCE_STATUS)
        carried = list(carry.documents) if carry else []
        if carried:  # their records were not read: their verdicts are the last run's, added below
            statuses = statuses.filter(~F.col("source_id").isin(carried))
        verdicts = validate_records(
            transformed,
            statuses,
            [source for source in job.sources if source.id not in carried],
            published_counts(state),
            failed=failed_sources(job, statuses),
            transform_counts=transform_counts,
            force=job.args["force"],
            quality_dir=quality_dir,
            run_id=job.run_id,
        )
        validated, statuses, quality = verdicts.validated, verdicts.statuses, verdicts.quality
        duplicates = check_duplicates(
            transformed,
            validated,
            verdicts.stopped,
            state,
            job.sources,
            transform_counts,
            job.catalog_counts,  # its sources: keys
        )
        validated = apply_duplicates(validated, duplicates)
        duplicates_summary = duplicates.summary
        if carry is not None and carried:
            carried_records, carried_statuses = carried_verdicts(job.spark, job.lake, carry)
            validated = validated.unionByName(carried_records)
            statuses = statuses.unionByName(carried_statuses)
    also = {  # counted by the write, beside the decisions
        "records_carried": F.count_if(F.col("source_id").isin(list(carry.documents) if carry else [])),
        "deletes": F.count_if(F.col("action") == F.lit(Action.DELETE)),
    }
    decisions = job.write(validated, "records", VALIDATED, count_by=("decision", Decision), also=also)
    counted = {name: decisions.pop(name) for name in also}
    # Written even when no source was held: a later run that carries verdicts reads it (repeat_run).
    job.write(statuses, "sources", SOURCE_STATUS)
    lake.write_text(lake.join(quality_dir, "summary.json"), json.dumps(quality, indent=2), "application/json")
    lake.write_text(
        lake.duplicates_uri(job.lake, job.run_id),
        json.dumps(duplicates_summary, indent=2),
        "application/json",
    )
    job.spark.catalog.clearCache()
    # Records read this run, carried and deletes apart, so the line follows on from extract's records
    # read and adds up to the decisions.
    job.finish(
        records_read=sum(decisions.values()) - counted["records_carried"] - counted["deletes"],
        **counted,
        **decisions,
    )


if __name__ == "__main__":
    main()
