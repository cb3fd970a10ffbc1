"""Glue job: turn created and updated records into DCAT-US 1.1 datasets."""

from glue_jobs.job_context import begin
from transforms.schemas import CHANGES, SOURCE_STATUS, TRANSFORMED, Action


def main(argv: list[str] | None = None) -> None:
    """Transform: compare/changes -> transform/records (statuses passed on)."""
    job = begin("transform", argv)
    if job.repeat_of:
        return job.finish_repeat()
    # Imported here: the crosswalk's modules take a second to load, which a repeat run need not spend.
    from transforms.crosswalk.transform import transform_changes

    changes = job.read("compare", "changes", CHANGES)
    actions = job.write(
        transform_changes(changes, job.sources), "records", TRANSFORMED, count_by=("action", Action)
    )
    job.write(job.read("compare", "sources", SOURCE_STATUS), "sources", SOURCE_STATUS)
    job.finish(**actions)


if __name__ == "__main__":
    main()
