"""Glue job: fetch every source and split it into one row per record."""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from glue_jobs.job_context import JobContext, begin
from transforms import lake
from transforms.fetch.extract import extract_sources, withdrawn_sources
from transforms.lake.catalog_state import read_state
from transforms.lake.harvest_times import read_harvest_times, with_harvest_times
from transforms.repeat_run import Carry, carry_uri, record_carry
from transforms.schemas import EXTRACT_RECORDS, SOURCE_STATUS, FetchStatus, SourceState


def main(argv: list[str] | None = None) -> None:
    """Extract: takes the lake lock, pins the run's manifest; sources -> extract/records, extract/sources."""
    job = begin("extract", argv)
    if job.repeat_of:  # no source changed since the last run: nothing to split or write
        return job.finish_repeat(sources=len(job.sources), unchanged_documents=len(job.sources))
    validators = _validators(job) if job.manifest.base_version is not None else None
    carry = job.carry
    fetched: dict[str, int] = {}

    def write_records(records: DataFrame) -> DataFrame:
        """The records written (the write fetches the WAF files), as the table now holds them."""
        fetched.clear()
        fetched.update(job.write(records, "records", EXTRACT_RECORDS, count_by=("fetch_status", FetchStatus)))
        return job.read("extract", "records", EXTRACT_RECORDS)

    # Nothing to read: `harvest clear` reads its sources as empty, so compare deletes their records, and
    # a scheduled run with no source due has no source at all. Neither writes a records table.
    if job.manifest.clear or not job.sources:
        _, statuses = withdrawn_sources(job.spark, job.sources)
        job.write_nothing("records")
    else:
        _, statuses = extract_sources(
            job.spark,
            job.sources,
            validators,
            publish_as=job.args["publish_as"],
            carried=carry.documents if carry else None,
            write=write_records,
        )
    states = job.write(statuses, "sources", SOURCE_STATUS, count_by=("status", SourceState))
    carried = _carried(statuses, carry, states.get(SourceState.CARRIED, 0))
    if carry and carried:  # validate carries their verdicts from the last run
        record_carry(job.lake, job.run_id, carry.only(carried))
    else:  # an earlier attempt of this run may have carried some
        lake.delete(carry_uri(job.lake, job.run_id))
    # Extract caches its first pass so the records and the statuses read it once; free it for the next job.
    job.spark.catalog.clearCache()
    job.finish(
        sources=len(job.sources),
        records_read=sum(fetched.values()),
        failed_sources=states.get(SourceState.FAILED, 0),
        carried_sources=states.get(SourceState.CARRIED, 0),
    )


def _validators(job: JobContext) -> DataFrame:
    """source_id, record_url, etag, last_modified, dcat_version of the catalog's records fetched from a URL."""
    state = read_state(job.spark, job.lake, job.manifest.base_version)
    # The validators of records seen unchanged since their version was written are in the side table.
    state = with_harvest_times(state, read_harvest_times(job.spark, job.lake, job.run_id))
    return state.select("source_id", "record_url", "etag", "last_modified", "dcat_version").filter(
        "record_url is not null"
    )


def _carried(statuses: DataFrame, carry: Carry | None, carried: int) -> list[str]:
    """The sources whose document was unchanged (status "carried"); looked up only when some, not all, were."""
    if carry is None or not carried:
        return []
    if carried == len(carry.documents):  # only a candidate can be carried
        return sorted(carry.documents)
    return sorted(row.source_id for row in statuses.filter(F.col("status") == SourceState.CARRIED).collect())


if __name__ == "__main__":
    main()
