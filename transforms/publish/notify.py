"""A short run summary on an SNS topic, for whoever watches the harvest (e-mail, chat, a queue).

SNS subjects must be ASCII without line breaks and under 100 characters, and a message must stay
well under SNS's 256 KB; both are built to fit whatever the publishers' text contains.
"""

import logging

from transforms.schemas import COUNT_NAMES, NEEDS_ATTENTION
from transforms.text import fold_to_ascii, plain_text

log = logging.getLogger(__name__)

SUBJECT_MAX = 99
MESSAGE_MAX = 16_000  # plenty for a summary; SNS would take 256 KB, e-mail readers would not
LISTED = 10  # sources needing attention and reasons listed in the message


def _ascii_line(text: str) -> str:
    """Printable ASCII on one line: accents folded, control characters dropped."""
    return _one_line(fold_to_ascii(text))


def _one_line(text: str) -> str:
    """Publisher text on one line, without control characters (a reason may quote anything)."""
    return " ".join(plain_text(text).split())


def summary_subject(report: dict) -> str:
    """E.g. 'Harvest 20261127T020000Z-ab12cd succeeded: 3 created, 1 updated, 0 deleted, 1 rejected'."""
    totals = report.get("totals", {})
    counts = ", ".join(
        f"{int(totals.get(name) or 0)} {name}" for name in ("created", "updated", "deleted", "rejected")
    )
    subject = _ascii_line(f"Harvest {report.get('run_id')} {report.get('status')}: {counts}")
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 3] + "..."


def summary_message(report: dict) -> str:
    """The message body: totals, the sources that failed or were held, the commonest rejection reasons."""
    totals = report.get("totals", {})
    sources = report.get("sources", [])
    lines = [
        f"Harvest run {report.get('run_id')}: {report.get('status')} (finished {report.get('finished')})",
        f"{len(sources)} sources, {int(totals.get('extracted') or 0)} records extracted",
        ", ".join(f"{int(totals.get(name) or 0)} {name}" for name in COUNT_NAMES[1:]),
    ]
    attention = [s for s in sources if s.get("status") in NEEDS_ATTENTION]
    if attention:
        lines += ["", f"Sources needing attention ({len(attention)}):"]
        lines += [
            f"- {s.get('source_id')} ({s.get('status')}): {s.get('reason')}" for s in attention[:LISTED]
        ]
        if len(attention) > LISTED:
            lines.append(f"- and {len(attention) - LISTED} more")
    reasons = report.get("top_reasons") or []
    if reasons:
        lines += ["", "Top rejection reasons:"]
        lines += [f"- {int(r.get('count') or 0)} x {r.get('reason')}" for r in reasons[:LISTED]]
    lines += ["", f"Full report: {report.get('lake')}/runs/{report.get('run_id')}/report/report.html"]
    message = "\n".join(_one_line(line) for line in lines)
    return message if len(message) <= MESSAGE_MAX else message[: MESSAGE_MAX - 20] + "\n... (truncated)"


def publish_summary(sns, topic_arn: str, report: dict) -> str:
    """Publish the run summary to the topic; returns the SNS MessageId."""
    response = sns.publish(
        TopicArn=topic_arn, Subject=summary_subject(report), Message=summary_message(report)
    )
    log.info(
        "run %s summary published to %s (message %s)", report.get("run_id"), topic_arn, response["MessageId"]
    )
    return response["MessageId"]
