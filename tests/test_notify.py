"""The run summary on SNS, delivered through moto to an SQS queue and read back."""

import json

import boto3
from moto import mock_aws

from transforms.publish.notify import publish_summary, summary_subject

REGION = "us-east-1"


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
    assert "s3://harvest-lake/prod/runs/20261127T020000Z-ab12cd/report/report.html" in body


def test_subject_is_one_short_ascii_line_whatever_the_run_id():
    subject = summary_subject(report(run_id="Évaluation\nrun\x1b[31m" + "x" * 200))
    assert len(subject) <= 99
    assert subject.isascii() and subject.isprintable()
    assert subject.startswith("Harvest Evaluation run [31mxxx")
