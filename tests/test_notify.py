"""The run's message on SNS, delivered through moto to an SQS queue and read back: load's summary of a
finished run, and the alert for every other end (a Glue job failed, timed out, was stopped or refused),
from Glue's job state change events through the stack's own EventBridge rule."""

import copy
import json
import os
import socket
import subprocess
import sys
import unicodedata
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from botocore.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from harvest_cli.workflow import load_template
from transforms.publish import run_alerts
from transforms.publish.aws_targets import publish_run
from transforms.publish.notify import publish_summary, summary_message, summary_subject
from transforms.publish.run_alerts import (
    ALERTED_STATES,
    NotAJobStateChange,
    failed_run_report,
    handle_glue_event,
)
from transforms.publish.run_metrics import DIMENSION, METRIC_NAMES, NAMESPACE, put_run_metrics
from transforms.text import UNSHOWN_CATEGORIES

REGION = "us-east-1"
# A shared machine's timings vary: the property is what counts.
NO_DEADLINE = settings(deadline=None)


def report(**changes):
    base = {
        "run_id": "20261127T020000Z-ab12cd",
        "status": "succeeded",
        "finished": "2026-11-27T02:03:10Z",
        "lake": "s3://harvest-lake/prod",
        "sources": [
            {"source_id": "noaa-waf", "status": "complete", "reason": None},
            {
                "source_id": "shrinking",
                "status": "held",
                "reason": "mass-deletion guard: 60% of records would go",
            },
            {"source_id": "broken", "status": "failed", "reason": "fetch failed: HTTP 503\n\x1b[2J"},
        ],
        "totals": {
            "extracted": 90,
            "created": 3,
            "updated": 1,
            "deleted": 0,
            "unchanged": 85,
            "rejected": 1,
            "held": 0,
        },
        "top_reasons": [{"reason": "schema: $.title: required field is missing", "count": 1, "examples": []}],
    }
    return {**base, **changes}


@mock_aws
def test_summary_reaches_the_topic_subscribers():
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="harvest-runs")["TopicArn"]
    queue = sqs.create_queue(QueueName="watcher")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    message_id = publish_summary(sns, topic, report())

    envelope = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])
    assert envelope["MessageId"] == message_id
    assert (
        envelope["Subject"]
        == "Harvest 20261127T020000Z-ab12cd succeeded: 3 created, 1 updated, 0 deleted, 1 rejected"
    )
    body = envelope["Message"]
    assert "3 created, 1 updated, 0 deleted, 85 unchanged, 1 rejected, 0 held" in body
    assert "- shrinking (held): mass-deletion guard" in body
    assert "- broken (failed): fetch failed: HTTP 503" in body
    assert "\x1b" not in body
    assert "noaa-waf" not in body  # complete sources need no attention
    assert "1 x schema: $.title: required field is missing" in body
    assert (
        "Report: https://console.aws.amazon.com/s3/object/harvest-lake"
        "?prefix=prod/runs/20261127T020000Z-ab12cd/report/report.html&region=us-east-1"
    ) in body
    assert (
        "Report file (aws s3 cp): s3://harvest-lake/prod/runs/20261127T020000Z-ab12cd/report/report.html"
        in body
    )


def test_subject_is_one_short_ascii_line_whatever_the_run_id():
    subject = summary_subject(report(run_id="Évaluation\nrun\x1b[31m" + "x" * 200))
    assert len(subject) <= 99
    assert subject.isascii() and subject.isprintable()
    assert subject.startswith("Harvest Evaluation run [31mxxx")


# ---- Alerts: every other way a run ends, from Glue's job state change events ----------------------

EVENTS = Path(__file__).parent / "fixtures" / "glue_events"
STACK = "harvest"
WORKFLOW = f"{STACK}-harvest"
LAKE = "s3://harvest-lake"
STAGES = ["extract", "compare", "transform", "validate", "load"]


def glue_event(sample: str, **detail) -> dict:
    """One of the Glue job state change samples, with some of its detail changed."""
    event = json.loads((EVENTS / f"{sample}.json").read_text("utf-8"))
    event["detail"].update(detail)
    return event


def _stack_name(value) -> str:
    """A job name in the template (!Sub "${AWS::StackName}-extract"), for a stack named STACK."""
    return value["Fn::Sub"].replace("${AWS::StackName}", STACK)


@pytest.fixture(scope="module")
def rule_pattern() -> dict:
    """The stack's rule's event pattern, its job references resolved to the jobs' names."""
    resources = load_template()["Resources"]
    pattern = copy.deepcopy(resources["RunAlertsRule"]["Properties"]["EventPattern"])
    pattern["detail"]["jobName"] = [
        _stack_name(resources[ref["Ref"]]["Properties"]["Name"]) for ref in pattern["detail"]["jobName"]
    ]
    return pattern


@pytest.fixture
def watcher(aws, monkeypatch):
    """The run topic with a queue subscribed to it, and the function's environment pointing at it."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="harvest-runs")["TopicArn"]
    queue = sqs.create_queue(QueueName="watcher")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=_queue_arn(sqs, queue))
    monkeypatch.setenv(run_alerts.TOPIC_VARIABLE, topic)
    monkeypatch.setenv(run_alerts.LAKE_VARIABLE, LAKE)
    return lambda: _drain(sqs, queue)


def _queue_arn(sqs, queue: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _drain(sqs, queue: str) -> list[dict]:
    """Every message waiting on the queue (SNS envelopes are decoded)."""
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def through_the_rule(pattern: dict, events: list[dict]) -> list[dict]:
    """Put the events on moto's EventBridge with the stack's rule: the events the rule delivers."""
    bus, sqs = boto3.client("events"), boto3.client("sqs")
    queue = sqs.create_queue(QueueName="rule-target")["QueueUrl"]
    bus.put_rule(Name="run-alerts", EventPattern=json.dumps(pattern), State="ENABLED")
    bus.put_targets(Rule="run-alerts", Targets=[{"Id": "run-alerts", "Arn": _queue_arn(sqs, queue)}])
    for event in events:
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
        }
        assert bus.put_events(Entries=[entry])["FailedEntryCount"] == 0
    delivered = _drain(sqs, queue)
    bus.remove_targets(Rule="run-alerts", Ids=["run-alerts"])
    bus.delete_rule(Name="run-alerts")
    sqs.delete_queue(QueueUrl=queue)
    return delivered


def workflow_run(run_id: str, stages: list[str]) -> dict[str, str]:
    """Job runs of the workflow run ``run_id`` in moto's Glue, as the triggers start them: stage -> job run id."""
    glue = boto3.client("glue")
    runs = {}
    for stage in stages:
        name = f"{STACK}-{stage}"
        if name not in glue.list_jobs()["JobNames"]:
            glue.create_job(
                Name=name, Role="harvest-role", Command={"Name": "glueetl", "ScriptLocation": "s3://a/b.py"}
            )
        arguments = {"--WORKFLOW_NAME": WORKFLOW, "--WORKFLOW_RUN_ID": run_id}
        runs[stage] = glue.start_job_run(JobName=name, Arguments=arguments)["JobRunId"]
    return runs


@pytest.mark.parametrize("failed_stage", STAGES)
def test_a_run_failed_in_any_stage_sends_exactly_one_alert(watcher, rule_pattern, failed_stage):
    run_id = f"wr_{failed_stage}0123456789"
    stages = STAGES[: STAGES.index(failed_stage) + 1]
    job_runs = workflow_run(run_id, stages)
    # What Glue emits for this run: every job before the failed one succeeded, then the failed one.
    events = [
        glue_event(
            "failed" if stage == failed_stage else "succeeded",
            jobName=f"{STACK}-{stage}",
            jobRunId=job_runs[stage],
            message="ValueError: the source registry is not valid YAML" if stage == failed_stage else "",
        )
        for stage in stages
    ]

    for event in through_the_rule(rule_pattern, events):
        handle_glue_event(event)

    (alert,) = watcher()
    assert alert["Subject"] == f"Harvest {run_id} failed at {failed_stage}"
    body = alert["Message"]
    assert body.startswith(f"Harvest run {run_id}: failed at {failed_stage} (finished ")
    assert f"the {failed_stage} job failed: ValueError: the source registry is not valid YAML" in body
    assert (
        "Job run: https://console.aws.amazon.com/gluestudio/home?region=us-east-1"
        f"#/job/{STACK}-{failed_stage}/run/{job_runs[failed_stage]}"
    ) in body
    assert (
        f"Run folder: https://console.aws.amazon.com/s3/buckets/harvest-lake?prefix=runs/{run_id}/&region=us-east-1"
        in body
    )
    assert "created" not in body  # a run stopped before its report has no counts to show, not zeros


def test_a_run_that_succeeded_sends_no_alert(watcher, rule_pattern):
    job_runs = workflow_run("wr_fine", STAGES)
    events = [glue_event("succeeded", jobName=f"{STACK}-{s}", jobRunId=job_runs[s]) for s in STAGES]
    assert through_the_rule(rule_pattern, events) == []
    assert watcher() == []


def test_the_rule_takes_every_bad_end_of_the_samples_and_nothing_else(aws, rule_pattern):
    samples = {path.stem: json.loads(path.read_text("utf-8")) for path in EVENTS.glob("*.json")}
    delivered = through_the_rule(rule_pattern, list(samples.values()))
    taken = sorted(event["detail"]["jobRunId"] for event in delivered)
    bad_ends = ("failed", "timeout", "stopped", "refused")
    assert taken == sorted(samples[name]["detail"]["jobRunId"] for name in bad_ends)
    foreign = glue_event("failed", jobName="someone-elses-job")
    assert through_the_rule(rule_pattern, [foreign]) == []


def test_each_bad_end_says_what_happened(watcher):
    """The samples' job runs are unknown to Glue here: the alert goes anyway, named by the job run."""
    said = {}
    for sample in ("failed", "timeout", "stopped", "refused"):
        event = glue_event(sample)
        handle_glue_event(event)
        (alert,) = watcher()
        said[sample] = (alert["Subject"], alert["Message"])
        assert event["detail"]["jobRunId"] in alert["Message"]
        assert "Run folder" not in alert["Message"]  # without the workflow run's id there is none to link
    assert said["failed"][0].startswith("Harvest jr_0123456789abcdef")
    assert " failed at extract" in said["failed"][1]
    assert "should be given assume role permissions for Glue Service" in said["failed"][1]
    assert (
        "the transform job timed out: it ran past its timeout and was stopped (Job run timed out)"
        in said["timeout"][1]
    )
    assert " interrupted at validate" in said["stopped"][1]
    assert "the validate job was stopped before it finished" in said["stopped"][1]
    assert (
        "the compare job was refused because a run of it was still going (Max concurrent runs exceeded); "
        "this run stopped there"
    ) in said["refused"][1]


def test_a_timeout_names_the_job_s_timeout(watcher):
    glue = boto3.client("glue")
    glue.create_job(
        Name="harvest-transform", Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://a/b.py"}
    )
    job_run = glue.start_job_run(
        JobName="harvest-transform", Timeout=120, Arguments={"--WORKFLOW_RUN_ID": "wr_slow"}
    )["JobRunId"]
    handle_glue_event(glue_event("timeout", jobRunId=job_run))
    (alert,) = watcher()
    assert alert["Subject"] == "Harvest wr_slow failed at transform"
    assert "ran past its timeout of 120 minutes" in alert["Message"]


@NO_DEADLINE
@given(
    job=st.text(min_size=1),
    state=st.sampled_from(ALERTED_STATES),
    message=st.text(),
    run_id=st.text(),
)
def test_any_bad_end_gives_a_short_ascii_subject_and_a_message_without_control_characters(
    job, state, message, run_id
):
    event = glue_event("failed", jobName=job, state=state, message=message)
    report = failed_run_report(event, {"Arguments": {"--WORKFLOW_RUN_ID": run_id}}, LAKE)
    subject, body = summary_subject(report), summary_message(report, "us-gov-west-1")
    assert len(subject) <= 99 and subject.isascii() and subject.isprintable()
    # The project's rule for publisher text (transforms.text): no control, format or separator character.
    assert not [c for c in body.replace("\n", "") if unicodedata.category(c) in UNSHOWN_CATEGORIES]
    assert "https://console.amazonaws-us-gov.com/" in body  # GovCloud's console, not the standard one
    stopped_at = report.get("failed_stage") or report.get("interrupted_stage")
    assert stopped_at == run_alerts.job_stage(job)


@NO_DEADLINE
@given(
    source=st.sampled_from(["aws.glue", "aws.s3", ""]),
    detail_type=st.sampled_from(
        ["Glue Job State Change", "Glue Job Run Status", "Glue Crawler State Change"]
    ),
    state=st.sampled_from(["SUCCEEDED", "RUNNING", "STARTING", "FAILED", ""]),
    job=st.sampled_from(["harvest-extract", ""]),
)
def test_an_event_that_is_no_bad_end_is_refused_with_a_short_reason(source, detail_type, state, job):
    event = {**glue_event("failed", jobName=job, state=state), "source": source, "detail-type": detail_type}
    bad_end = source == "aws.glue" and detail_type == "Glue Job State Change" and state == "FAILED" and job
    if bad_end:
        assert failed_run_report(event, {}, LAKE)["failed_stage"] == "extract"
    else:
        with pytest.raises(NotAJobStateChange) as refusal:
            failed_run_report(event, {}, LAKE)
        assert len(str(refusal.value)) < 200 and "\n" not in str(refusal.value)


def test_the_function_s_loader_runs_the_alert_from_the_project_archive_without_spark(tmp_path):
    """The stack's inline loader, run as Lambda runs it: no Spark, nothing of the project importable
    but the archive it fetches from S3 (a zip of the project's packages, like the one Glue gets)."""
    # The loader keeps the archive in /tmp under its own name: a name of this test run's own.
    archive = tmp_path / f"glue_harvester-alerts-{uuid.uuid4().hex[:12]}.zip"
    root = Path(__file__).resolve().parents[1]
    with zipfile.ZipFile(archive, "w") as packed:
        for path in (root / "transforms").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                packed.write(path, path.relative_to(root).as_posix())
    loader = load_template()["Resources"]["RunAlertsFunction"]["Properties"]["Code"]["ZipFile"]
    script = tmp_path / "invoke.py"
    script.write_text(
        INVOKE.format(archive=str(archive), loader=repr(loader), event=repr(glue_event("failed")))
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
    result = subprocess.run(
        [sys.executable, "-I", str(script)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    imported_from, subject, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert imported_from.startswith(f"/tmp/{archive.name}/")
    assert (
        subject
        == "Harvest jr_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef failed at extract"
    )
    assert "the extract job failed: JobName:harvest-extract" in body


INVOKE = """
import json, os, sys
sys.modules["pyspark"] = None  # Lambda's Python has no Spark: any import of it fails
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
import boto3
from moto import mock_aws

with mock_aws():
    boto3.client("s3").create_bucket(Bucket="harvest-artifacts")
    key = "python/" + os.path.basename({archive!r})
    boto3.client("s3").upload_file({archive!r}, "harvest-artifacts", key)
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="harvest-runs")["TopicArn"]
    queue = sqs.create_queue(QueueName="watcher")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    os.environ.update(
        PROJECT_ARCHIVE_BUCKET="harvest-artifacts", PROJECT_ARCHIVE_KEY=key,
        HARVEST_TOPIC_ARN=topic, HARVEST_LAKE="s3://harvest-lake",
    )
    loader = {{}}
    exec({loader}, loader)
    try:
        loader["handler"]({event}, None)
    finally:
        if os.path.exists(loader["ARCHIVE"]):
            os.remove(loader["ARCHIVE"])
    envelope = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])
    import transforms
    print(json.dumps([transforms.__file__, envelope["Subject"], envelope["Message"]]))
"""


def test_load_puts_the_run_s_metrics(aws):
    cloudwatch = boto3.client("cloudwatch")
    assert put_run_metrics(cloudwatch, WORKFLOW, report()) is True
    listed = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert sorted(m["MetricName"] for m in listed) == sorted(METRIC_NAMES)
    assert all(m["Dimensions"] == [{"Name": DIMENSION, "Value": WORKFLOW}] for m in listed)

    def value(name):
        (point,) = cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=name,
            Dimensions=[{"Name": DIMENSION, "Value": WORKFLOW}],
            StartTime=datetime.now(UTC) - timedelta(hours=1),
            EndTime=datetime.now(UTC) + timedelta(hours=1),
            Period=3600,
            Statistics=["Sum"],
        )["Datapoints"]
        return point["Sum"]

    assert value("RunsCompleted") == 1
    assert (value("RecordsCreated"), value("RecordsUpdated"), value("RecordsRejected")) == (3, 1, 1)
    assert (value("SourcesFailed"), value("SourcesHeld")) == (1, 1)  # "broken" failed, "shrinking" held


def test_metrics_cloudwatch_refuses_do_not_fail_the_run(aws, caplog):
    """The catalog is published when load puts its metrics: an unreachable CloudWatch is logged, not raised."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"  # nothing listens there once it is closed
    cloudwatch = boto3.client(
        "cloudwatch",
        endpoint_url=endpoint,
        config=Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 1}),
    )
    assert put_run_metrics(cloudwatch, WORKFLOW, report()) is False
    assert "metrics could not be put under CatalogHarvest" in caplog.text


@pytest.mark.parametrize("workflow", [WORKFLOW, ""])
def test_load_puts_metrics_only_on_glue_and_sends_one_summary(watcher, workflow):
    """Load's publish_run: the metrics when the workflow started it (WORKFLOW_NAME), the summary when a topic is set."""
    topic = os.environ[run_alerts.TOPIC_VARIABLE]
    job = SimpleNamespace(
        args={"glue_database": "", "WORKFLOW_NAME": workflow, "sns_topic_arn": topic, "notify_from": ""},
        lake=LAKE,
        run_id="wr_done",
    )
    publish_run(job, report(run_id="wr_done", lake=LAKE))
    listed = boto3.client("cloudwatch").list_metrics(Namespace=NAMESPACE)["Metrics"]
    assert len(listed) == (len(METRIC_NAMES) if workflow else 0)
    (summary,) = watcher()
    assert summary["Subject"].startswith("Harvest wr_done succeeded: 3 created")
