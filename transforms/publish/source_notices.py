"""Each source's own harvest notice, e-mailed with Amazon SES to the publisher's ``notification_emails``.

The registry says per source who hears (``notification_emails``) and when (``notification_frequency``,
data.gov's values): ``always`` after every harvest of the source, ``on_error`` when it needs attention
(failed, held, partly read) or had records rejected or files it could not fetch, ``on_error_or_update``
also when records were created, updated or deleted. The notice is the run summary of
``transforms.publish.notify`` cut down to the one source, so a publisher reads its own outcome and
nobody else's.

SES rather than SNS: the addresses live in the registry, and SES sends to them as they are written
there; SNS would need one subscription per address, kept in step with the registry and confirmed by
each recipient before it receives anything (docs/AWS.md, "Schedules and notifications").
"""

import logging

from transforms.publish.notify import summary_message, summary_subject
from transforms.registry import Source
from transforms.schemas import COUNT_NAMES, NEEDS_ATTENTION

log = logging.getLogger(__name__)


def has_error(entry: dict) -> bool:
    """A report entry of a source that needs its publisher: not fully harvested, or with rejected records
    or files that could not be fetched."""
    return entry.get("status") in NEEDS_ATTENTION or bool(entry.get("rejected")) or bool(entry.get("errors"))


def has_update(entry: dict) -> bool:
    """A report entry of a source whose published records changed this run."""
    return any(entry.get(name) for name in ("created", "updated", "deleted"))


def notice_due(entry: dict, notification_frequency: str) -> bool:
    """Whether a source with this report entry and notification_frequency gets a notice for the run."""
    if notification_frequency == "always":
        return True
    if notification_frequency == "on_error_or_update":
        return has_error(entry) or has_update(entry)
    return has_error(entry)  # on_error


def source_report(report: dict, entry: dict) -> dict:
    """The run's report as one source sees it: its entry alone, its counts as the totals, its reasons."""
    return {
        **report,
        "run_id": f"{report.get('run_id')} of {entry.get('source_id')}",
        "status": entry.get("status"),
        "sources": [entry],
        "totals": {name: entry.get(name, 0) for name in COUNT_NAMES},
        "top_reasons": entry.get("top_reasons") or [],
    }


def planned_notices(report: dict, sources: list[Source]) -> list[tuple[Source, dict]]:
    """(source, its one-source report) for every source of the run with addresses whose notice is due."""
    registry = {source.id: source for source in sources}
    planned = []
    for entry in report.get("sources", []):
        source = registry.get(entry.get("source_id"))
        if source and source.notification_emails and notice_due(entry, source.notification_frequency):
            planned.append((source, source_report(report, entry)))
    return planned


def send_source_notices(ses, sender: str, report: dict, sources: list[Source]) -> dict[str, str]:
    """E-mail each due source's notice from ``sender`` (an SES-verified identity); returns source id ->
    SES MessageId. A notice SES refuses is logged with its reason and the others are still sent: the
    run is published by now, and one publisher's bad address must not keep the others uninformed."""
    sent = {}
    for source, notice in planned_notices(report, sources):
        try:
            response = ses.send_email(
                Source=sender,
                Destination={"ToAddresses": list(source.notification_emails)},
                Message={
                    "Subject": {"Data": summary_subject(notice), "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": summary_message(notice), "Charset": "UTF-8"}},
                },
            )
        except Exception as error:  # noqa: BLE001 - botocore's errors: each source's notice stands alone
            log.warning("notice for source %s not sent: %s", source.id, error)
            continue
        sent[source.id] = response["MessageId"]
    log.info("source notices sent for %d source(s): %s", len(sent), ", ".join(sorted(sent)) or "none")
    return sent
