"""The run's message on an SNS topic, for whoever watches the harvest (e-mail, chat, a queue).

One builder for every way a run ends: load's summary of a finished run (its report), and the alert
for a run that stopped before its report (``transforms.publish.run_alerts`` makes a failed run's
report from the Glue event: status, the stage it stopped at, why, the job run). A part the report
does not have (counts, sources, job run) is left out, never shown as zeros.

SNS subjects must be ASCII without line breaks and under 100 characters, and a message must stay
well under SNS's 256 KB; both are built to fit whatever the publishers' text contains. Links are
HTTPS pages of the AWS console, which a person signed in to the account opens (see docs/AWS.md,
"Alerts", for why not presigned URLs).
"""

import logging
from urllib.parse import quote

from transforms.text import fold_to_ascii, plain_text
from transforms.vocabulary import COUNT_NAMES, NEEDS_ATTENTION

log = logging.getLogger(__name__)

SUBJECT_MAX = 99
MESSAGE_MAX = 16_000  # plenty for a summary; SNS would take 256 KB, e-mail readers would not
LISTED = 10  # sources needing attention and reasons listed in the message
# The console of each AWS partition, by region prefix; every other region is in the standard partition.
CONSOLES = {"us-gov-": "https://console.amazonaws-us-gov.com", "cn-": "https://console.amazonaws.cn"}
STANDARD_CONSOLE = "https://console.aws.amazon.com"


def _ascii_line(text: str) -> str:
    """Printable ASCII on one line: accents folded, control characters dropped."""
    return _one_line(fold_to_ascii(text))


def _one_line(text: str) -> str:
    """Publisher text on one line, without control characters (a reason may quote anything)."""
    return " ".join(plain_text(text).split())


def _stopped_at(report: dict) -> str | None:
    return report.get("failed_stage") or report.get("interrupted_stage")


def _counts(totals: dict, names) -> str:
    return ", ".join(f"{int(totals.get(name) or 0)} {name}" for name in names)


def console_url(region: str | None, path: str) -> str:
    """``path`` (``/s3/...``) on the AWS console of the region's partition, with the region selected."""
    region = region or "us-east-1"
    console = next((url for prefix, url in CONSOLES.items() if region.startswith(prefix)), STANDARD_CONSOLE)
    separator = "&" if "?" in path else "?"
    return f"{console}{path}{separator}region={region}"


def s3_console_url(uri: str, region: str | None) -> str:
    """The console page of an ``s3://`` object, or of a folder when ``uri`` ends with ``/``."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    page = "buckets" if not key or key.endswith("/") else "object"
    return console_url(region, f"/s3/{page}/{quote(bucket)}?prefix={quote(key, safe='/')}")


def glue_job_run_url(job_name: str, job_run_id: str, region: str | None) -> str:
    """The Glue console page of one job run: its state, error, arguments and logs."""
    page = f"#/job/{quote(job_name, safe='')}/run/{quote(job_run_id, safe='')}"
    return console_url(region, "/gluestudio/home") + page


def report_links(report: dict, region: str | None) -> list[str]:
    """Where to look: the job run that stopped the run, then the report, or the run's folder without one.

    A lake on S3 is linked through the console; a local lake's paths are given as they are.
    """
    lake, run_id = report.get("lake"), report.get("run_id")
    links = []
    job = report.get("job") or {}
    if job.get("name") and job.get("run_id"):
        links.append(f"Job run: {glue_job_run_url(job['name'], job['run_id'], region)}")
    if not lake or not run_id:
        return links
    folder = f"{str(lake).rstrip('/')}/runs/{run_id}/"
    on_s3 = str(lake).startswith("s3://")
    if _stopped_at(report):
        links.append(f"Run folder: {s3_console_url(folder, region) if on_s3 else folder}")
    else:
        page = folder + "report/report.html"
        links.append(f"Report: {s3_console_url(page, region) if on_s3 else page}")
        if on_s3:
            links.append(f"Report file (aws s3 cp): {page}")
    return links


def summary_subject(report: dict) -> str:
    """E.g. 'Harvest 20261127T020000Z-ab12cd succeeded: 3 created, 1 updated, 0 deleted, 1 rejected',
    or 'Harvest wr_0123 failed at transform' for a run that stopped before its report."""
    subject = f"Harvest {report.get('run_id')} {report.get('status')}"
    if stage := _stopped_at(report):
        subject += f" at {stage}"
    if report.get("totals"):
        subject += ": " + _counts(report["totals"], ("created", "updated", "deleted", "rejected"))
    subject = _ascii_line(subject)
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 3] + "..."


def summary_message(report: dict, region: str | None = None) -> str:
    """The message body: how the run ended and why, its totals, the sources that failed or were held,
    the commonest rejection reasons, and links to the job run, the report or the run's folder."""
    totals = report.get("totals") or {}
    sources = report.get("sources") or []
    stage = _stopped_at(report)
    lines = [
        f"Harvest run {report.get('run_id')}: {report.get('status')}"
        + (f" at {stage}" if stage else "")
        + f" (finished {report.get('finished')})",
    ]
    if report.get("message"):
        lines.append(str(report["message"]))
    if totals:
        lines.append(f"{len(sources)} sources, {int(totals.get('extracted') or 0)} records extracted")
        lines.append(_counts(totals, COUNT_NAMES[1:]))
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
    links = report_links(report, region)
    if links:
        lines += ["", *links]
    message = "\n".join(_one_line(line) for line in lines)
    return message if len(message) <= MESSAGE_MAX else message[: MESSAGE_MAX - 20] + "\n... (truncated)"


def publish_summary(sns, topic_arn: str, report: dict) -> str:
    """Publish the run's message to the topic; returns the SNS MessageId. Links use the client's region."""
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=summary_subject(report),
        Message=summary_message(report, sns.meta.region_name),
    )
    log.info(
        "run %s message published to %s (message %s)", report.get("run_id"), topic_arn, response["MessageId"]
    )
    return response["MessageId"]
