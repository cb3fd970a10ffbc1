"""data.gov's harvest tables around the published datasets: organizations, sources, jobs and their errors.

* ``register_sources``: each registry source as a ``harvest_source`` row, and its organization (by
  name) as an ``organization`` row, with ids derived from the registry id and the name, so the same
  source is the same row in every load. An organization keeps the slug it was first given.
* A run's ``harvest_job`` of a source is opened by the first change load applies for it
  (``postgres.JOB``), and ``close_jobs`` finishes every job of the run's report once the outcomes are
  known: its status, dates and ``records_*`` counters, the source's own errors (``harvest_job_error``),
  and each rejected record (a ``harvest_record`` with status ``error``) with every error and warning
  of a record (``harvest_record_error``).

``close_jobs`` may run again for the same run (a rerun of a load that stopped after publishing): it
replaces what an earlier attempt wrote of the run's errors.
"""

import logging
from collections.abc import Iterable, Iterator

import pandas as pd
import psycopg
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.publish.connection import UTC_NOW, connect
from transforms.publish.db_config import resolve_db_url
from transforms.publish.next_version import KEYS
from transforms.publish.slugs import slugify
from transforms.registry import DCATUS3, Source
from transforms.schemas import Outcome, SourceState

log = logging.getLogger(__name__)

# The registry's words in H2.0's vocabulary. H2.0 dropped FGDC ("csdgm") from schema_type: an FGDC WAF is
# labelled with the ISO schema its harvester reads (docs/DATABASE.md).
SCHEMA_TYPES = {
    "dcatus1.1-federal": "dcatus1.1: federal",
    "dcatus1.1-non-federal": "dcatus1.1: non-federal",
    DCATUS3: "dcatus3.0",
    "iso19115": "iso19115_2",
    "fgdc": "iso19115_2",
}
SOURCE_TYPES = {
    "datajson": "document",
    "iso-document": "document",
    "waf": "waf",
    "waf-collection": "waf-collection",
}
ORGANIZATION = """INSERT INTO public.organization (id, name, slug)
SELECT new.id, %(name)s, CASE
    WHEN EXISTS (SELECT 1 FROM public.organization AS o WHERE o.slug = %(slug)s AND o.id <> new.id)
    THEN left(%(slug)s, 90) || '-' || left(new.id, 8) ELSE %(slug)s END
FROM (SELECT catalog.harvest_id('organization', %(name)s) AS id) AS new
ON CONFLICT (id) DO NOTHING"""
SOURCE = """INSERT INTO public.harvest_source AS h (id, organization_id, name, url, notification_emails, frequency,
    schema_type, source_type, notification_frequency, collection_parent_url)
VALUES (catalog.harvest_id('harvest-source', %(source_id)s), catalog.harvest_id('organization', %(organization)s),
    %(name)s, %(url)s, %(notification_emails)s, %(frequency)s, %(schema_type)s, %(source_type)s,
    %(notification_frequency)s, %(collection_parent_url)s)
ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, name = excluded.name, url = excluded.url,
    notification_emails = excluded.notification_emails, frequency = excluded.frequency,
    schema_type = excluded.schema_type, source_type = excluded.source_type,
    notification_frequency = excluded.notification_frequency, collection_parent_url = excluded.collection_parent_url"""
# A dataset names its source's organization: when the registry moves a source to another organization.
DATASET_ORGANIZATION = """UPDATE public.dataset AS d SET organization_id = h.organization_id FROM public.harvest_source AS h
WHERE h.id = catalog.harvest_id('harvest-source', %(source_id)s) AND d.harvest_source_id = h.id
    AND d.organization_id <> h.organization_id"""
SOURCE_KEY = """INSERT INTO catalog.source_key (source_id, harvest_source_id)
VALUES (%(source_id)s, catalog.harvest_id('harvest-source', %(source_id)s)) ON CONFLICT (source_id) DO NOTHING"""

JOB_ID = "catalog.harvest_id('harvest-job', %(run_id)s, %(source_id)s)"
# What an earlier attempt of close_jobs wrote for this job, replaced whole.
CLEAR_JOB = [
    f"DELETE FROM public.harvest_record_error WHERE harvest_job_id = {JOB_ID}",
    f"DELETE FROM public.harvest_job_error WHERE harvest_job_id = {JOB_ID}",
    f"DELETE FROM public.harvest_record WHERE harvest_job_id = {JOB_ID} AND status = 'error'",
]
FINISH_JOB = f"""INSERT INTO public.harvest_job AS j (id, harvest_source_id, status, job_type, date_created, date_finished,
    records_total, records_added, records_updated, records_deleted, records_errored, records_ignored,
    records_validated, records_warned)
VALUES ({JOB_ID}, catalog.harvest_id('harvest-source', %(source_id)s), %(status)s, 'harvest', {UTC_NOW}, {UTC_NOW},
    %(total)s, %(added)s, %(updated)s, %(deleted)s, %(errored)s, %(ignored)s, %(validated)s, %(warned)s)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, date_finished = excluded.date_finished,
    records_total = excluded.records_total, records_added = excluded.records_added,
    records_updated = excluded.records_updated, records_deleted = excluded.records_deleted,
    records_errored = excluded.records_errored, records_ignored = excluded.records_ignored,
    records_validated = excluded.records_validated, records_warned = excluded.records_warned"""
JOB_ERROR = f"""INSERT INTO public.harvest_job_error (id, harvest_job_id, date_created, type, message)
VALUES (gen_random_uuid()::text, {JOB_ID}, {UTC_NOW}, %(type)s, %(message)s)"""

# The record rows close_jobs writes: each rejected record, and each record with warnings; with what the
# outcomes table does not carry of the record (RECORD_TEXT, kept from the validated records).
RECORD_TEXT = ("raw", "raw_format", "content_hash", "parent_identifier", "dcat_json")
ISSUES = ["source_id", "identifier", "action", "outcome", "reasons", "warnings", "record_type", *RECORD_TEXT]
ISSUE_STAGING = """CREATE TEMPORARY TABLE issues (source_id text, identifier text, action text, outcome text,
    reasons text[], warnings text[], record_type text, raw text, raw_format text, content_hash text,
    parent_identifier text, dcat_json text,
    -- a rejected record gets a row of its own; an accepted one's errors go to the row load wrote
    record_id varchar(36)) ON COMMIT DROP"""
ISSUE_RECORD_IDS = """UPDATE issues SET record_id = CASE WHEN outcome = 'rejected' THEN gen_random_uuid()::text
    ELSE catalog.harvest_id('harvest-record', %(run_id)s, source_id, identifier) END"""
REJECTED_RECORDS = f"""INSERT INTO public.harvest_record (id, identifier, harvest_job_id, harvest_source_id, source_hash,
    source_raw, source_transform, date_created, date_finished, action, parent_identifier, status, record_type)
SELECT i.record_id, i.identifier, catalog.harvest_id('harvest-job', %(run_id)s, i.source_id),
    catalog.harvest_id('harvest-source', i.source_id), i.content_hash, i.raw,
    CASE WHEN i.raw_format = 'xml' AND i.dcat_json IS NOT NULL AND i.dcat_json::text <> '' THEN i.dcat_json::jsonb END,
    {UTC_NOW}, {UTC_NOW}, CASE WHEN i.action IN ('create', 'update', 'delete') THEN i.action::public.record_action END,
    i.parent_identifier, 'error', catalog.datagov_record_type(i.record_type)
FROM issues AS i WHERE i.outcome = 'rejected' AND i.identifier IS NOT NULL"""
RECORD_ERRORS = f"""INSERT INTO public.harvest_record_error (id, harvest_record_id, harvest_job_id, date_created, type,
    message, severity)
SELECT gen_random_uuid()::text, i.record_id, catalog.harvest_id('harvest-job', %(run_id)s, i.source_id), {UTC_NOW},
    CASE WHEN issue.severity = 'warning' THEN 'ValidationWarning'
        WHEN issue.message LIKE 'database: %%' THEN 'DatabaseException' ELSE 'ValidationException' END,
    issue.message, issue.severity::public.error_severity
FROM issues AS i, LATERAL (
    SELECT message, 'error' AS severity FROM unnest(i.reasons) AS message WHERE i.outcome = 'rejected'
    UNION ALL SELECT message, 'warning' FROM unnest(i.warnings) AS message
) AS issue WHERE i.identifier IS NOT NULL"""
# A rejected entry without an identifier is no record H2.0 could hold (identifier is required): the job's error.
UNIDENTIFIED = f"""INSERT INTO public.harvest_job_error (id, harvest_job_id, date_created, type, message)
SELECT gen_random_uuid()::text, catalog.harvest_id('harvest-job', %(run_id)s, i.source_id), {UTC_NOW},
    'ValidationException', 'record without identifier: ' || array_to_string(i.reasons, '; ')
FROM issues AS i WHERE i.identifier IS NULL AND i.outcome = 'rejected'"""


def with_source_text(validated: DataFrame, changes: DataFrame) -> DataFrame:
    """The validated records with ``raw``, the text the publisher served, from compare's changes (which keep it
    for creates and updates, one row per key: a duplicated identifier is rejected there, without its text)."""
    text = changes.filter(F.col("raw").isNotNull()).select("source_id", "identifier", "raw")
    return validated.join(text, on=KEYS, how="left")


def register_sources(conn: psycopg.Connection, sources: list[Source]) -> None:
    """The sources' organization and harvest_source rows, created or brought up to date (in the caller's transaction)."""
    for name in sorted({source.organization for source in sources}):
        conn.execute(ORGANIZATION, {"name": name, "slug": slugify(name)})
    for source in sources:
        values = {
            "source_id": source.id,
            "organization": source.organization,
            "name": source.title,
            "url": source.url,
            "notification_emails": list(source.notification_emails) or None,
            "frequency": source.frequency,
            "schema_type": SCHEMA_TYPES[source.schema],
            "source_type": SOURCE_TYPES[source.type],
            "notification_frequency": source.notification_frequency,
            "collection_parent_url": source.collection_url if source.type == "waf-collection" else None,
        }
        conn.execute(SOURCE, values)
        conn.execute(DATASET_ORGANIZATION, values)
        conn.execute(SOURCE_KEY, values)


def job_counts(entry: dict) -> dict:
    """A report entry's counts as H2.0's ``records_*``: every record the job saw, deletes included, is added,
    updated, deleted, errored or ignored (unchanged, or held by a guard); validated are those not errored."""
    total = entry["extracted"] + entry["deleted"]
    return {
        "total": total,
        "added": entry["created"],
        "updated": entry["updated"],
        "deleted": entry["deleted"],
        "errored": entry["rejected"],
        "ignored": entry["unchanged"] + entry["held"],
        "validated": total - entry["rejected"],
        "warned": entry["warnings"],
    }


def _job_errors(entry: dict) -> list[tuple[str, str]]:
    """(type, message) of what went wrong with the source itself, not with one record."""
    errors = [("ExtractException", message) for message in entry.get("error_messages") or []]
    if entry["status"] != SourceState.COMPLETE and entry.get("reason"):
        errors.insert(0, (f"Source{entry['status'].capitalize()}", entry["reason"]))
    return errors


def _write_issues(batches: Iterable[pd.DataFrame], url: str, run_id: str) -> Iterator[pd.DataFrame]:
    """COPY a partition's rejected records and records with warnings, then write their rows in one transaction
    (no connection for a partition without rows)."""
    rows = [
        # NUL cannot be stored in PostgreSQL text: the record's text loses it, its errors are kept
        [value.replace("\x00", "") if isinstance(value, str) else _text_list(value) for value in record]
        for batch in batches
        for record in batch[ISSUES].astype(object).itertuples(index=False, name=None)
    ]
    if rows:
        with connect(url, application_name="harvest-load") as conn:
            conn.execute(ISSUE_STAGING)
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY issues ({', '.join(ISSUES)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            for statement in (ISSUE_RECORD_IDS, REJECTED_RECORDS, RECORD_ERRORS, UNIDENTIFIED):
                conn.execute(statement, {"run_id": run_id})
    yield pd.DataFrame({"written": [len(rows)]})


def _text_list(value) -> list[str] | None:
    """An array column's value (a numpy array, a list or a missing value) as a list of text for COPY."""
    if value is None or isinstance(value, float):  # pandas gives NaN for a missing value
        return None
    return [str(item).replace("\x00", "") for item in value]


def close_jobs(db_url: str, run_id: str, report: dict, sources: list[Source], outcomes: DataFrame) -> None:
    """Finish the run's harvest_job of every source in the report, with the errors of the source and its records.

    ``outcomes``: the run's record outcomes with ``RECORD_TEXT`` kept (``next_version.record_outcomes``).
    """
    url = resolve_db_url(db_url)
    with connect(url) as conn:
        register_sources(conn, sources)
        for entry in report["sources"]:
            keys = {"run_id": run_id, "source_id": entry["source_id"]}
            for statement in CLEAR_JOB:
                conn.execute(statement, keys)
            status = "error" if entry["status"] == SourceState.FAILED else "complete"
            conn.execute(FINISH_JOB, {**keys, "status": status, **job_counts(entry)})
            for kind, message in _job_errors(entry):
                conn.execute(JOB_ERROR, {**keys, "type": kind, "message": message})
    in_report = [entry["source_id"] for entry in report["sources"]]
    issues = outcomes.filter(
        F.col("source_id").isin(in_report)
        & (
            (F.col("outcome") == Outcome.REJECTED)
            | ((F.size("warnings") > 0) & F.col("outcome").isin(Outcome.CREATED, Outcome.UPDATED))
        )
    ).select(  # only a rejected record's harvest_record is written here, with its text
        *[
            F.when(F.col("outcome") == Outcome.REJECTED, F.col(c)).alias(c) if c in RECORD_TEXT else c
            for c in ISSUES
        ]
    )
    written = issues.mapInPandas(lambda batches: _write_issues(batches, url, run_id), "written long")
    total = sum(row.written for row in written.collect())
    log.info("catalog database: jobs of run %s closed, %s records with errors or warnings", run_id, total)
