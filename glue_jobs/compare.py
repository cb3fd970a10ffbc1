"""Glue job: match extracted records against the catalog state."""

from glue_jobs.job_context import begin
from transforms.compare.changes import classify_changes, mark_held_deletes
from transforms.lake.catalog_state import read_state
from transforms.schemas import CHANGES, EXTRACT_RECORDS, SOURCE_STATUS, Action


def main(argv: list[str] | None = None) -> None:
    """Compare: extract/records + catalog state -> compare/changes, compare/sources (held deletes noted)."""
    job = begin("compare", argv)
    if job.repeat_of:
        return job.finish_repeat()
    records = job.read("extract", "records", EXTRACT_RECORDS)
    statuses = job.read("extract", "sources", SOURCE_STATUS)
    state = read_state(job.spark, job.lake, job.manifest.base_version)
    actions = job.write(
        classify_changes(records, statuses, state), "changes", CHANGES, count_by=("action", Action)
    )
    # A source whose deletes compare held back becomes partial (read back: only three columns are read).
    job.write(mark_held_deletes(statuses, job.read("compare", "changes", CHANGES)), "sources", SOURCE_STATUS)
    job.finish(**actions)


if __name__ == "__main__":
    main()
