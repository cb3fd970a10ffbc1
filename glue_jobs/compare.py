"""Glue job: match extracted records against the catalog state."""

from pyspark.sql import functions as F

from glue_jobs.job_context import begin
from transforms.compare.changes import classify_changes, held_delete, mark_held_deletes
from transforms.lake.catalog_state import read_state
from transforms.schemas import CHANGES, EXTRACT_RECORDS, SOURCE_STATUS, Action

DELETES_HELD = "deletes_held"


def main(argv: list[str] | None = None) -> None:
    """Compare: extract/records + catalog state -> compare/changes, compare/sources (held deletes noted)."""
    job = begin("compare", argv)
    if job.repeat_of:
        return job.finish_repeat()
    records = job.read("extract", "records", EXTRACT_RECORDS)
    statuses = job.read("extract", "sources", SOURCE_STATUS)
    state = read_state(job.spark, job.lake, job.manifest.base_version)
    actions = job.write(
        classify_changes(records, statuses, state),
        "changes",
        CHANGES,
        count_by=("action", Action),
        also={DELETES_HELD: F.count_if(held_delete())},
    )
    if actions.pop(DELETES_HELD):
        # A source whose deletes compare held back becomes partial (read back: only three columns are read).
        job.write(
            mark_held_deletes(statuses, job.read("compare", "changes", CHANGES)), "sources", SOURCE_STATUS
        )
    else:  # no delete held (the usual run): every source keeps the status extract gave it
        job.pass_on("sources", "extract")
    job.finish(**actions)


if __name__ == "__main__":
    main()
