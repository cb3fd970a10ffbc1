"""Glue job: apply the accepted changes to the catalog and write the harvest report.

The order of publication and why it is safe at every step: transforms/publish/publication.py.
"""

import json
import logging

from pyspark import StorageLevel

from glue_jobs.job_context import begin
from transforms import lake
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import read_state
from transforms.lake.harvest_times import record_source_harvests
from transforms.publish.db_config import resolve_db_url
from transforms.publish.last_harvested import refresh_harvest_times
from transforms.publish.next_version import record_outcomes
from transforms.publish.publication import plan_publication, publish_catalog
from transforms.repeat_run import carriable_sources, waf_files, write_last_run
from transforms.reports.published_warnings import report_rows
from transforms.reports.report import check_counts, report_figures, write_report
from transforms.schemas import CHANGES, EXTRACT_RECORDS, SOURCE_STATUS, VALIDATED

log = logging.getLogger("harvest")
DRY_RUN_MESSAGE = (
    "dry run: every stage ran and this report says what would have been published; nothing was published "
    "(no catalog version, no pointer switch, no database write, no Glue Data Catalog change, no notification)"
)

REPEAT_MESSAGE = (
    "nothing changed since run {previous}: every data.json is byte-identical, every WAF lists the same files, "
    "none modified, and the code and settings are the same, so its verdicts stand (no record was read or "
    "judged again, no suite ran)"
)


def persisted_report_rows(job, outcomes, published):
    """The run's report rows (``published_warnings.report_rows``), persisted: the report's figures, its
    outcomes table and its CSVs all read them, and each would otherwise join the run with the catalog again."""
    return report_rows(outcomes, published, [source.id for source in job.sources]).persist(
        StorageLevel.MEMORY_AND_DISK
    )


def report_dry_run(job, run: dict, validated, statuses, quality: dict, published) -> None:
    """A dry run ends here: the report of what would have been published, nothing published, the lake released."""
    run = {**run, "message": DRY_RUN_MESSAGE}
    rows = persisted_report_rows(job, record_outcomes(validated), published)
    report = write_report(job.lake, run, rows, statuses, job.sources, quality)
    rows.unpersist()
    log.info("dry run: nothing was published")
    lake_lock.release(job.lake, job.run_id)
    job.finish(
        dry_run=True, **{k: report["totals"][k] for k in ("created", "updated", "deleted", "rejected")}
    )


def publish_search_changes(job, db_url: str, report: dict) -> None:
    """The run's changes to data.gov's search index, built from the database rows load wrote: written under
    runs/<run_id>/search/, and sent when an OpenSearch is configured (--opensearch-url)."""
    from transforms.publish.connection import connect
    from transforms.publish.search.export import write_run_search_changes
    from transforms.publish.search.index import configured_opensearch_url

    sources = [entry["source_id"] for entry in report["sources"]]
    with connect(db_url) as conn:
        files = write_run_search_changes(conn, job.lake, job.run_id, sources, job.args["catalog_base_url"])
    opensearch_url = configured_opensearch_url(job.args["opensearch_url"])
    if files and opensearch_url:
        from transforms.publish.search.index import opensearch_client, send_bulk_files

        sent = send_bulk_files(opensearch_client(opensearch_url, job.args["opensearch_secret"]), files)
        log.info("search index: %s actions sent to %s", sent, opensearch_url)


def main(argv: list[str] | None = None) -> None:
    """Load: check, then validate/records -> database, catalog version, pointer switch; report; release the lake."""
    job = begin("load", argv)
    # Transform drops the records' text; only the database keeps it (harvest_record.source_raw), from compare.
    validated = job.read("validate", "records", VALIDATED).drop("raw")
    if job.args["db_url"] and not job.args["dry_run"]:
        from transforms.publish.datagov import with_source_text

        validated = with_source_text(validated, job.read("compare", "changes", CHANGES))
    statuses = job.read("validate", "sources", SOURCE_STATUS)
    quality_text = lake.read_text(lake.join(lake.run_path(job.lake, job.run_id, "quality"), "summary.json"))
    quality = json.loads(quality_text or "{}")
    run = {
        "run_id": job.run_id,
        "started": job.manifest.started,
        "lake": job.lake,
        "force": job.args["force"],
        "dry_run": job.args["dry_run"],
    }
    if job.carry is not None:  # sources whose verdicts are the last run's (transforms.repeat_run)
        run["carried"] = {"run": job.carry.of, "sources": sorted(job.carry.documents)}
    if job.repeat_of:
        run["repeat_of"] = job.repeat_of
        run["message"] = REPEAT_MESSAGE.format(previous=job.repeat_of)
    # The base version holds the warnings of the records this run leaves as they are (the report shows them).
    published_before = read_state(job.spark, job.lake, job.manifest.base_version)
    if job.args["dry_run"]:  # no catalog version, pointer switch, database, Glue catalog or notification
        return report_dry_run(job, run, validated, statuses, quality, published_before)
    plan = plan_publication(job.lake, job.manifest)
    # Before anything is published: a report whose counts do not add up is a bug, and stops the load here.
    rows = persisted_report_rows(job, record_outcomes(validated), published_before)
    report_folder = lake.run_path(job.lake, job.run_id, "report")
    figures = report_figures(rows, statuses, job.sources, quality, report_folder)
    check_counts(figures)
    db_url = resolve_db_url(job.args["db_url"])  # a secret's ARN is looked up once, not at every connection
    published = publish_catalog(
        job.spark,
        job.lake,
        job.manifest,
        plan,
        validated,
        sum(figures["totals"][name] for name in ("created", "updated", "deleted")),
        db_url,
        lake.run_path(job.lake, job.run_id, "load", "db_results"),
    )
    refresh_harvest_times(job.spark, job.lake, job.run_id, validated, published.version, db_url)
    # What the schedule counts from (transforms.registry.due_sources): every source this run harvested.
    record_source_harvests(job.lake, [source.id for source in job.sources], job.manifest.started)
    # The figures checked above are the report's unless the database refused rows (they become rejected).
    if published.refused is not None:  # their outcomes, figures and CSVs are computed again
        rows.unpersist()
        rows = persisted_report_rows(job, record_outcomes(validated, published.refused), published_before)
        figures = report_figures(rows, statuses, job.sources, quality, report_folder)
    report = write_report(job.lake, run, rows, statuses, job.sources, quality, figures)
    if db_url:
        from transforms.publish.datagov import RECORD_TEXT, close_jobs

        close_jobs(
            db_url,
            job.run_id,
            report,
            job.sources,
            record_outcomes(validated, published.refused, RECORD_TEXT),
        )
        publish_search_changes(job, db_url, report)
    from transforms.publish.aws_targets import publish_run

    publish_run(job, report)
    # Last, once everything is published: what a repeat of this run may carry (transforms.repeat_run).
    files = waf_files(
        figures, job.sources, job.carry, job.lake, lambda: job.read("extract", "records", EXTRACT_RECORDS)
    )
    carriable = carriable_sources(figures, published.refused, files)  # from the figures on the driver
    write_last_run(job.lake, job.manifest, published.version, carriable, files)
    rows.unpersist()
    lake_lock.release(job.lake, job.run_id)
    job.finish(
        changes_applied=published.changed,
        **{k: report["totals"][k] for k in ("created", "updated", "deleted", "rejected")},
    )


if __name__ == "__main__":
    main()
