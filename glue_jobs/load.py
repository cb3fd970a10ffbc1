"""Glue job: apply the accepted changes to the catalog and write the harvest report.

The order of publication and why it is safe at every step: transforms/publish/publication.py.
"""

import json
import logging

from glue_jobs.job_context import begin
from transforms import lake, lake_lock
from transforms.publish.next_version import record_outcomes
from transforms.publish.publication import plan_publication, publish_catalog
from transforms.publish.report import build_report, check_counts, write_report
from transforms.schemas import SOURCE_STATUS, VALIDATED

log = logging.getLogger("harvest")


def main(argv: list[str] | None = None) -> None:
    """Load: check, then validate/records -> database, catalog version, pointer switch; report; release the lake."""
    job = begin("load", argv)
    # Load never needs the source text; dropping it here means Parquet never even reads it.
    validated = job.read("validate", "records", VALIDATED).drop("raw")
    statuses = job.read("validate", "sources", SOURCE_STATUS)
    quality_text = lake.read_text(lake.join(lake.run_path(job.lake, job.run_id, "quality"), "summary.json"))
    quality = json.loads(quality_text or "{}")
    run = {
        "run_id": job.run_id,
        "started": job.manifest.started,
        "lake": job.lake,
        "force": job.args["force"],
    }
    plan = plan_publication(job.lake, job.manifest)
    # Before anything is published: a report whose counts do not add up is a bug, and stops the load here.
    check_counts(build_report(run, record_outcomes(validated), statuses, job.sources, quality))
    published = publish_catalog(
        job.spark,
        job.lake,
        job.manifest,
        plan,
        validated,
        job.args["db_url"],
        lake.run_path(job.lake, job.run_id, "load", "db_results"),
    )
    report = write_report(
        job.lake, run, record_outcomes(validated, published.refused), statuses, job.sources, quality
    )
    from glue_jobs.publish_targets import publish_run

    publish_run(job, report)
    lake_lock.release(job.lake, job.run_id)
    job.finish(
        changes_applied=published.changed,
        **{k: report["totals"][k] for k in ("created", "updated", "deleted", "rejected")},
    )


if __name__ == "__main__":
    main()
