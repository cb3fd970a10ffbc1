"""Glue job: apply the accepted changes to the catalog and write the harvest report."""

import json
import logging
from datetime import UTC, datetime

from glue_jobs.job_context import JobContext, begin
from transforms import lake
from transforms.gate.duplicates import duplicates_uri
from transforms.publish.catalog_state import base_version, read_state, switch_pointer, write_version
from transforms.publish.error_groups import write_record_csvs
from transforms.publish.harvest_times import refresh_harvest_times
from transforms.publish.next_version import accepted_changes, next_state, record_outcomes, without_refused
from transforms.publish.report import build_report, unaccounted_records
from transforms.publish.report_html import render_report_html
from transforms.publish.slugs import assign_slugs
from transforms.publish.source_history import record_run
from transforms.schemas import OUTCOMES, SOURCE_STATUS, VALIDATED

log = logging.getLogger("harvest")
DRY_RUN_MESSAGE = (
    "dry run: every stage ran and this report says what would have been published; nothing was published "
    "(no catalog version, no pointer switch, no database write, no Glue Data Catalog change, no notification)"
)


def publish_to_database(job: JobContext, accepted):
    """Apply the changes to the catalog database; returns the refused rows (or None without a database)."""
    if not job.args["db_url"]:
        return None
    from pyspark.sql import functions as F

    from transforms.publish.postgres import ensure_schema, publish_changes

    ensure_schema(job.args["db_url"])
    registry = job.spark.createDataFrame(
        [(s.id, s.organization, s.title) for s in job.sources],
        "source_id string, organization string, source_title string",
    )
    results = publish_changes(
        accepted.join(registry, on="source_id", how="left"), job.args["db_url"], job.run_id
    )
    # Written once and read back: the database must never see the same changes applied twice by a lazy re-evaluation.
    job.write(results, "db_results", results.schema)
    stored = job.spark.read.parquet(job.path("load", "db_results"))
    return stored.filter(F.col("db_status") == "refused")


def write_report(job: JobContext, outcomes, statuses, quality: dict) -> dict:
    """report.json, report.html and the outcomes table under runs/<run_id>/report/."""
    outcomes.write.mode("overwrite").parquet(job.path("report", "outcomes"))
    outcomes = job.spark.read.schema(OUTCOMES).parquet(job.path("report", "outcomes"))
    started = json.loads(lake.read_text(lake.run_path(job.lake, job.run_id, "run.json")) or "{}").get(
        "started"
    )
    run = {
        "run_id": job.run_id,
        "status": "succeeded",
        "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "lake": job.lake,
        "force": job.args["force"],
        "dry_run": bool(job.args.get("dry_run")),
    }
    if run["dry_run"]:
        run["message"] = DRY_RUN_MESSAGE
    if quality.get("data_docs"):
        quality = {**quality, "data_docs": "quality/" + quality["data_docs"]}
    report = build_report(run, outcomes, statuses, job.sources, quality)
    report["duplicates"] = json.loads(lake.read_text(duplicates_uri(job.lake, job.run_id)) or "{}")
    problems = unaccounted_records(report)
    if problems:  # a bug, never bad data: fail the job rather than publish counts that lie
        raise RuntimeError("report counts do not add up: " + "; ".join(problems))
    folder = lake.run_path(job.lake, job.run_id, "report")
    write_record_csvs(outcomes, folder, report)
    lake.write_text(lake.join(folder, "report.json"), json.dumps(report, indent=2) + "\n", "application/json")
    lake.write_text(lake.join(folder, "report.html"), render_report_html(report), "text/html; charset=utf-8")
    record_run(job.lake, report)  # runs/history.json and the history page, runs/index.html
    return report


def read_quality(job: JobContext) -> dict:
    """The validate stage's quality summary (failed expectations, Data Docs) of this run."""
    return json.loads(
        lake.read_text(lake.join(lake.run_path(job.lake, job.run_id, "quality"), "summary.json")) or "{}"
    )


def report_dry_run(job: JobContext, validated, statuses) -> None:
    """A dry run ends here: the report of what would have been published, and nothing published."""
    report = write_report(job, record_outcomes(validated), statuses, read_quality(job))
    log.info("dry run: nothing was published")
    job.finish(
        dry_run=True, **{k: report["totals"][k] for k in ("created", "updated", "deleted", "rejected")}
    )


def main(argv: list[str] | None = None) -> None:
    """Load: validate/records -> catalog version + pointer switch, database, report."""
    job = begin("load", argv)
    # Load never needs the source text; dropping it here means Parquet never even reads it.
    validated = job.read("validate", "records", VALIDATED).drop("raw")
    statuses = job.read("validate", "sources", SOURCE_STATUS)
    base = base_version(job.lake, job.run_id)
    if job.args.get("dry_run"):  # no catalog version, pointer switch, database, Glue catalog or notification
        return report_dry_run(job, validated, statuses)
    state = read_state(job.spark, job.lake, base)
    accepted = assign_slugs(accepted_changes(validated), state).cache()
    refused = publish_to_database(job, accepted)
    applied = without_refused(accepted, refused)
    changed = applied.count()
    if changed:
        write_version(next_state(state, applied, job.run_id), job.lake, job.run_id)
        switch_pointer(job.lake, job.run_id, base)
    else:
        log.info("no accepted changes: catalog version %s stays current", base)
    refresh_harvest_times(
        job.spark, job.lake, job.run_id, validated, job.run_id if changed else base, job.args["db_url"]
    )
    report = write_report(job, record_outcomes(validated, refused), statuses, read_quality(job))
    from glue_jobs.publish_targets import publish_run

    publish_run(job, report)
    job.finish(
        changes_applied=changed,
        **{k: report["totals"][k] for k in ("created", "updated", "deleted", "rejected")},
    )


if __name__ == "__main__":
    main()
