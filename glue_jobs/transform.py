"""Glue job: turn created and updated records into DCAT-US 1.1 datasets."""

from glue_jobs.job_context import begin
from transforms.schemas import CHANGES, TRANSFORMED, Action


def main(argv: list[str] | None = None) -> None:
    """Transform: compare/changes -> transform/records; compare/sources handed on as they are."""
    job = begin("transform", argv)
    if job.repeat_of:
        return job.finish_repeat()
    # Imported here: the crosswalk's modules take a second to load, which a repeat run need not spend.
    from transforms.crosswalk.transform import transform_changes

    changes = job.read("compare", "changes", CHANGES)
    transformed = transform_changes(changes, job.sources, job.args["publish_as"])
    actions = job.write(transformed, "records", TRANSFORMED, count_by=("action", Action))
    job.pass_on("sources", "compare")  # transform changes no source's status
    job.finish(**actions)


if __name__ == "__main__":
    main()
