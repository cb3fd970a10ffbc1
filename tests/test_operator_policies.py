"""The sample operator policies of docs/AWS.md allow what each kind of operator's commands really call.

The harvest commands run against moto, every AWS request they make is recorded at botocore's
client (the request still goes to moto), turned into the IAM action and resource it needs, and
checked against the policies the document gives that operator, statement by statement (Allow,
wildcards in actions and resources). A command that starts calling something new, or a policy
edited too tight, fails here with the request named.
"""

import json
import re
from fnmatch import fnmatchcase

import boto3
import botocore.client
import pytest

from harvest_cli.main import main
from tests.conftest import ROOT

STACK, LAKE, ACCOUNT, REGION = "harvest", "harvest-lake-bucket", "123456789012", "us-east-1"
SECTION = "## Operator permissions: who may start, resume and roll back"
# A stack with the outputs the commands read (moto does not create the Glue resources of the real template).
TEMPLATE = {
    "Resources": {"Lake": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": LAKE}}},
    "Outputs": {"WorkflowName": {"Value": f"{STACK}-harvest"}, "LakeBucketName": {"Value": LAKE}},
}
# S3 operations -> the IAM action they need ("Using bucket policies": ListObjectsV2 is s3:ListBucket).
S3_ACTIONS = {
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "DeleteObject": "s3:DeleteObject",
    "DeleteObjects": "s3:DeleteObject",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
}


def documented_policies() -> list[dict]:
    """The section's JSON policies in order: viewer, operator, catalog owner (the account made moto's)."""
    text = (ROOT / "docs" / "AWS.md").read_text("utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```json\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    return [json.loads(block.replace("111122223333", ACCOUNT).replace("<lake>", LAKE)) for block in blocks]


def needed(service: str, operation: str, params: dict) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs one request needs."""
    if service == "s3":
        if operation not in S3_ACTIONS:
            raise AssertionError(f"no IAM mapping here for s3 {operation}: add it to S3_ACTIONS")
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if operation.startswith("List"):
            return [(S3_ACTIONS[operation], bucket)]
        keys = (
            [item["Key"] for item in params["Delete"]["Objects"]] if "Delete" in params else [params["Key"]]
        )
        return [(S3_ACTIONS[operation], f"{bucket}/{key}") for key in keys]
    if service == "cloudformation":
        return [
            (
                f"cloudformation:{operation}",
                f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{params['StackName']}/id",
            )
        ]
    if service == "glue":
        if "JobName" in params:
            kind, name = "job", params["JobName"]
        elif operation.endswith("Trigger"):
            kind, name = "trigger", params["Name"]
        else:
            kind, name = "workflow", params["Name"]
        return [(f"glue:{operation}", f"arn:aws:glue:{REGION}:{ACCOUNT}:{kind}/{name}")]
    raise AssertionError(f"no IAM mapping here for {service} {operation}")


def allowed(policies: list[dict], action: str, resource: str) -> bool:
    """True when an Allow statement of the policies matches the action and the resource (IAM wildcards)."""
    for policy in policies:
        for statement in policy["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            if (
                statement["Effect"] == "Allow"
                and any(fnmatchcase(action.lower(), pattern.lower()) for pattern in actions)
                and any(fnmatchcase(resource, pattern) for pattern in resources)
            ):
                return True
    return False


@pytest.fixture
def requests(aws, monkeypatch):
    """Every AWS request made from here on, as (service, operation, parameters); each still goes to moto."""
    made = []
    real = botocore.client.BaseClient._make_api_call

    def recording(client, operation, params):
        made.append((client.meta.service_model.service_name, operation, params))
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return made


@pytest.fixture
def stack(aws):
    """The stack's outputs, its workflow with one finished run, and a lake with two catalog versions and two runs."""
    boto3.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
    glue = boto3.client("glue")
    glue.create_workflow(Name=f"{STACK}-harvest")
    run_id = glue.start_workflow_run(Name=f"{STACK}-harvest")["RunId"]
    s3 = boto3.client("s3")
    for version, written in (("v1", "2026-11-01T06:00:00+00:00"), ("v2", "2026-11-02T06:00:00+00:00")):
        info = {"version": version, "run_id": version, "written": written, "records": 0}
        s3.put_object(
            Bucket=LAKE, Key=f"catalog/versions/{version}/VERSION.json", Body=json.dumps(info).encode()
        )
    s3.put_object(Bucket=LAKE, Key="catalog/CURRENT", Body=json.dumps({"version": "v2"}).encode())
    for run in ("r1", "r2"):
        s3.put_object(Bucket=LAKE, Key=f"runs/{run}/extract/part-0.parquet", Body=b"stage table")
    return run_id


def _check(requests, policies, *argv) -> int:
    del requests[:]
    code = main(list(argv))
    refused = [
        f"{action} on {resource}"
        for service, operation, params in requests
        for action, resource in needed(service, operation, params)
        if not allowed(policies, action, resource)
    ]
    assert requests, f"harvest {argv[0]} made no AWS request"
    assert not refused, f"harvest {' '.join(argv)} needs what its documented policy does not allow: {refused}"
    return code


def test_the_section_gives_three_policies():
    assert len(documented_policies()) == 3


def test_a_viewer_may_follow_runs_and_read_reports(stack, requests, capsys):
    viewer = documented_policies()[:1]
    assert _check(requests, viewer, "status", "--stack", STACK, "--region", REGION) == 0
    # No report was written for this run: the command says so (exit 2) after reading where it would be.
    _check(requests, viewer, "report", stack, "--lake", f"s3://{LAKE}")


def test_an_operator_may_start_a_run(stack, requests):
    operator = documented_policies()[:2]
    assert _check(requests, operator, "start", "--stack", STACK, "--region", REGION) == 0
    with pytest.raises(AssertionError, match="StartWorkflowRun"):
        _check(requests, documented_policies()[:1], "start", "--stack", STACK, "--region", REGION)


def test_a_catalog_owner_may_roll_back_and_prune(stack, requests):
    owner = documented_policies()
    assert _check(requests, owner, "rollback", "v1", "--lake", f"s3://{LAKE}", "--yes") == 0
    assert (
        json.loads(boto3.client("s3").get_object(Bucket=LAKE, Key="catalog/CURRENT")["Body"].read())[
            "version"
        ]
        == "v1"
    )
    with pytest.raises(AssertionError, match="catalog/CURRENT"):
        _check(requests, owner[:2], "rollback", "v2", "--lake", f"s3://{LAKE}", "--yes")
    _check(requests, owner, "prune", "--keep", "1", "--lake", f"s3://{LAKE}", "--yes")
