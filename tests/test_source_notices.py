"""Each source's notice to its own publisher, sent with SES through moto and read back from what SES sent."""

from types import SimpleNamespace

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from glue_jobs.arguments import resolve_arguments
from transforms.publish.aws_targets import publish_run
from transforms.publish.source_notices import has_error, notice_due, send_source_notices
from transforms.registry import NOTIFICATION_FREQUENCIES, parse_registry
from transforms.schemas import COUNT_NAMES, SourceState

REGION = "us-east-1"
SENDER = "harvest@data.example.gov"
ENTRY = """
  - id: {id}
    title: {id} data.json
    organization: Agency
    url: https://example.gov/{id}/data.json
    type: datajson
    schema: dcatus1.1-federal
    notification_emails: [{emails}]
    notification_frequency: {frequency}
"""


def entry(source_id: str, status: str = "complete", reason=None, **counts) -> dict:
    """A report entry as report_figures writes one (the fields a notice reads)."""
    return {
        "source_id": source_id,
        "title": f"{source_id} data.json",
        "status": status,
        "reason": reason,
        **{name: 0 for name in COUNT_NAMES},
        "deletes_held": 0,
        "top_reasons": [],
        **counts,
    }


def registry(*rows: tuple[str, str, str]):
    text = "sources:" + "".join(ENTRY.format(id=i, emails=e, frequency=f) for i, e, f in rows)
    return parse_registry(text)


REPORT = {
    "run_id": "20261127T020000Z-ab12cd",
    "status": "succeeded",
    "finished": "2026-11-27T02:03:10Z",
    "lake": "s3://harvest-lake/prod",
    "sources": [
        entry("quiet", extracted=40, unchanged=40),
        entry("changed", extracted=40, unchanged=38, created=1, updated=1),
        entry(
            "broken",
            status=SourceState.FAILED,
            reason="fetch failed: HTTP 503\n\x1b[2J",
        ),
        entry(
            "rejecting",
            extracted=3,
            unchanged=2,
            rejected=1,
            top_reasons=[{"reason": "schema: $.title: required field is missing", "count": 1}],
        ),
    ],
}


def sent_messages() -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


@pytest.mark.parametrize(
    ("frequency", "noticed"),
    [
        ("always", ["quiet", "changed", "broken", "rejecting"]),
        ("on_error", ["broken", "rejecting"]),
        ("on_error_or_update", ["changed", "broken", "rejecting"]),
    ],
)
def test_each_publisher_hears_of_its_own_source_as_its_notification_frequency_says(frequency, noticed):
    sources = registry(
        *[
            (e["source_id"], f"ops@{e['source_id']}.gov, gis@{e['source_id']}.gov", frequency)
            for e in REPORT["sources"]
        ]
    )
    with mock_aws():
        ses = boto3.client("ses", region_name=REGION)
        ses.verify_email_identity(EmailAddress=SENDER)
        sent = send_source_notices(ses, SENDER, REPORT, sources)
        messages = sent_messages()
        assert sorted(sent) == sorted(noticed) and len(messages) == len(noticed)
        by_address = {tuple(m.destinations["ToAddresses"]): m for m in messages}
    assert sorted(by_address) == sorted((f"ops@{i}.gov", f"gis@{i}.gov") for i in noticed)
    for source_id in noticed:
        message = by_address[(f"ops@{source_id}.gov", f"gis@{source_id}.gov")]
        assert message.source == SENDER
        assert f"of {source_id}" in message.subject and "\n" not in message.subject
        # only its own source: no other source's name in the body
        others = [e["source_id"] for e in REPORT["sources"] if e["source_id"] != source_id]
        assert not any(f"- {other} (" in message.body for other in others)
    if "broken" in noticed:
        body = by_address[("ops@broken.gov", "gis@broken.gov")].body
        assert "- broken (failed): fetch failed: HTTP 503" in body and "\x1b" not in body
    if "rejecting" in noticed:
        body = by_address[("ops@rejecting.gov", "gis@rejecting.gov")].body
        assert "1 x schema: $.title: required field is missing" in body


def test_a_source_without_addresses_gets_no_notice_and_an_unverified_sender_sends_nothing():
    sources = registry(("broken", "", "always"), ("rejecting", "ops@rejecting.gov", "on_error"))
    with mock_aws():
        ses = boto3.client("ses", region_name=REGION)
        ses.verify_email_identity(EmailAddress=SENDER)
        assert list(send_source_notices(ses, SENDER, REPORT, sources)) == ["rejecting"]
        # SES refuses a sender that is not a verified identity: logged, nothing raised, nothing sent
        assert send_source_notices(ses, "someone@else.gov", REPORT, sources) == {}
        assert len(sent_messages()) == 1


counts = st.fixed_dictionaries(
    {
        name: st.integers(min_value=0, max_value=3)
        for name in ("created", "updated", "deleted", "rejected", "errors")
    }
)


@given(status=st.sampled_from(list(SourceState)), counts=counts)
def test_the_notification_frequencies_nest_and_on_error_means_the_publisher_must_act(status, counts):
    """Rule: on_error notices are a subset of on_error_or_update's, which are a subset of always's; on_error
    fires exactly when the source needs attention or lost records or files to errors."""
    report_entry = entry("a", status=status, **counts)
    due = {frequency: notice_due(report_entry, frequency) for frequency in NOTIFICATION_FREQUENCIES}
    assert due["always"]
    assert due["on_error"] <= due["on_error_or_update"]
    must_act = status in (SourceState.FAILED, SourceState.HELD, SourceState.PARTIAL) or bool(
        counts["rejected"] or counts["errors"]
    )
    assert due["on_error"] == must_act == has_error(report_entry)
    changed = bool(counts["created"] or counts["updated"] or counts["deleted"])
    assert due["on_error_or_update"] == (must_act or changed)


def test_load_sends_the_notices_when_the_notify_from_argument_names_a_sender(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    sources = registry(("broken", "ops@broken.gov", "on_error"), ("quiet", "ops@quiet.gov", "on_error"))
    with mock_aws():
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        args = resolve_arguments(["load.py", "--lake", "/tmp/lake", "--notify-from", SENDER])
        publish_run(SimpleNamespace(args=args, sources=sources), REPORT)
        assert [m.destinations["ToAddresses"] for m in sent_messages()] == [["ops@broken.gov"]]
        without = resolve_arguments(["load.py", "--lake", "/tmp/lake"])
        publish_run(SimpleNamespace(args=without, sources=sources), REPORT)  # no sender: no notice
        assert len(sent_messages()) == 1
