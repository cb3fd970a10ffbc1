"""Glue job: fetch every source and split it into one row per record."""

from pyspark.sql import functions as F

from glue_jobs.job_context import begin
from transforms import lake
from transforms.fetch.extract import extract_sources, withdrawn_sources
from transforms.lake.catalog_state import read_state
from transforms.lake.harvest_times import read_harvest_times, with_harvest_times
from transforms.repeat_run import carry_uri, record_carry
from transforms.schemas import EXTRACT_RECORDS, SOURCE_STATUS, FetchStatus, SourceState


def main(argv: list[str] | None = None) -> None:
    """Extract: takes the lake lock, pins the run's manifest; sources -> extract/records, extract/sources."""
    job = begin("extract", argv)
    if job.repeat_of:  # every document is byte-identical to the last run's: nothing to split or write
        return job.finish_repeat(sources=len(job.sources), unchanged_documents=len(job.sources))
    state = read_state(job.spark, job.lake, job.manifest.base_version)
    # The validators of records seen unchanged since their version was written are in the side table.
    state = with_harvest_times(state, read_harvest_times(job.spark, job.lake, job.run_id))
    validators = state.select("source_id", "record_url", "etag", "last_modified", "dcat_version").filter(
        "record_url is not null"
    )
    carry = job.carry
    if job.manifest.clear:  # `harvest clear`: the sources are read as empty, so compare deletes their records
        records, statuses = withdrawn_sources(job.spark, job.sources)
    else:
        records, statuses = extract_sources(
            job.spark,
            job.sources,
            validators,
            publish_as=job.args["publish_as"],
            carried=carry.documents if carry else None,
        )
    states = job.write(statuses, "sources", SOURCE_STATUS, count_by=("status", SourceState))
    carried = (
        sorted(row.source_id for row in statuses.filter(F.col("status") == SourceState.CARRIED).collect())
        if states.get(SourceState.CARRIED)
        else []
    )
    if carry and carried:  # validate carries their verdicts from the last run
        record_carry(job.lake, job.run_id, carry.only(carried))
    else:  # an earlier attempt of this run may have carried some
        lake.delete(carry_uri(job.lake, job.run_id))
    fetched = job.write(records, "records", EXTRACT_RECORDS, count_by=("fetch_status", FetchStatus))
    # Extract caches what it fetched so the two writes fetch once; free it for the next job in this session.
    job.spark.catalog.clearCache()
    job.finish(
        sources=len(job.sources),
        records_read=sum(fetched.values()),
        failed_sources=states.get(SourceState.FAILED, 0),
        carried_sources=states.get(SourceState.CARRIED, 0),
    )


if __name__ == "__main__":
    main()
