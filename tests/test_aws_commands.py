"""harvest deploy / start / status against moto (in-process) and botocore stubs, and workflow run properties."""

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber

from glue_jobs.run_properties import read_run_properties
from harvest_cli.aws_commands import DeployError, deploy_stack, stack_parameters
from harvest_cli.aws_runs import format_status, latest_run_id, run_status, start_run
from harvest_cli.main import main

REGION = "us-east-1"
REGISTRY = """sources:
  - id: city-open-data
    title: City open data
    organization: City
    url: https://data.example.org/data.json
    type: datajson
    schema: dcatus1.1-non-federal
"""
STAGES = ["extract", "compare", "transform", "validate", "load"]


@pytest.fixture
def packaged(tmp_path):
    """What `make package` leaves in dist/, and a registry file."""
    dist = tmp_path / "dist"
    (dist / "jobs").mkdir(parents=True)
    (dist / "glue_harvester-0.1.0.zip").write_bytes(b"PK archive bytes")
    (dist / "glue_harvester-0.1.0-py3-none-any.whl").write_bytes(b"PK wheel bytes")
    for stage in STAGES:
        (dist / "jobs" / f"{stage}.py").write_text(f"# {stage} job\n")
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY)
    return dist, registry


def _deploy_argv(dist, registry):
    return [
        "deploy",
        "--stack",
        "harvest-test",
        "--lake-bucket",
        "test-lake",
        "--artifacts-bucket",
        "test-artifacts",
        "--sources",
        str(registry),
        "--dist",
        str(dist),
        "--region",
        REGION,
        "--schedule",
        "cron(0 5 * * ? *)",
        "--parameter",
        "TransformWorkers=6",
    ]


# moto's CloudFormation skips the Glue resources (tested through the template instead) and says so.
@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_deploy_creates_the_stack_then_uploads_jobs_archive_and_registry(aws, packaged, capsys, monkeypatch):
    monkeypatch.setattr("harvest_cli.aws_commands.WAIT_DELAY", 1)
    dist, registry = packaged
    assert main(_deploy_argv(dist, registry)) == 0
    stack = boto3.client("cloudformation").describe_stacks(StackName="harvest-test")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["ProjectArchive"] == "glue_harvester-0.1.0.zip"
    assert parameters["Schedule"] == "cron(0 5 * * ? *)" and parameters["TransformWorkers"] == "6"
    s3 = boto3.client("s3")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="test-artifacts")["Contents"]}
    assert keys == {"python/glue_harvester-0.1.0.zip"} | {f"jobs/{s}.py" for s in STAGES}
    uploaded = s3.get_object(Bucket="test-lake", Key="config/sources.yaml")["Body"].read().decode()
    assert uploaded == REGISTRY
    assert "stack harvest-test: created" in capsys.readouterr().out


def test_deploy_refuses_an_invalid_registry_before_touching_aws(aws, packaged, capsys):
    dist, registry = packaged
    registry.write_text("sources:\n  - id: Bad Id\n")
    assert main(_deploy_argv(dist, registry)) == 2
    assert "sources[0]" in capsys.readouterr().err
    assert boto3.client("cloudformation").list_stacks()["StackSummaries"] == []


def test_deploy_without_a_package_says_to_run_make_package(aws, packaged, capsys):
    dist, registry = packaged
    (dist / "jobs" / "load.py").unlink()
    assert main(_deploy_argv(dist, registry)) == 1
    assert "make package" in capsys.readouterr().err


def test_update_keeps_previous_values_of_parameters_not_given():
    parameters = stack_parameters(
        ["LakeBucket", "Schedule", "LoadWorkers"], {"LakeBucket": "b"}, {"Schedule"}
    )
    assert parameters == [
        {"ParameterKey": "LakeBucket", "ParameterValue": "b"},
        {"ParameterKey": "Schedule", "UsePreviousValue": True},
    ]
    with pytest.raises(DeployError, match="unknown stack parameter"):
        stack_parameters(["LakeBucket"], {"LakeBuckt": "b"}, set())


def _stubbed(service):
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def _stack_response(status):
    return {
        "Stacks": [
            {
                "StackName": "h",
                "StackStatus": status,
                "CreationTime": datetime(2026, 1, 1, tzinfo=UTC),
                "Parameters": [{"ParameterKey": "LakeBucket", "ParameterValue": "lake"}],
            }
        ]
    }


def test_no_updates_to_perform_is_success():
    cfn, stub = _stubbed("cloudformation")
    stub.add_response("describe_stacks", _stack_response("UPDATE_COMPLETE"))
    stub.add_client_error("update_stack", "ValidationError", "No updates are to be performed.")
    with stub:
        assert deploy_stack(cfn, "h", {"ArtifactsBucket": "art"}) == "unchanged"


def _event(logical_id, status, reason, kind="AWS::Glue::Job"):
    return {
        "StackId": "id",
        "EventId": logical_id + status,
        "StackName": "h",
        "LogicalResourceId": logical_id,
        "ResourceType": kind,
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
        "Timestamp": datetime(2026, 1, 1, tzinfo=UTC),
    }


def test_failed_update_reports_the_events_of_this_update_only():
    cfn, stub = _stubbed("cloudformation")
    stub.add_response("describe_stacks", _stack_response("UPDATE_COMPLETE"))
    expected = {"StackName": "h", "TemplateBody": ANY, "Capabilities": ["CAPABILITY_IAM"], "Parameters": ANY}
    stub.add_response("update_stack", {"StackId": "id"}, expected)
    stub.add_response("describe_stacks", _stack_response("UPDATE_ROLLBACK_COMPLETE"))  # the waiter's poll
    events = [
        _event("h", "UPDATE_ROLLBACK_COMPLETE", "", "AWS::CloudFormation::Stack"),
        _event("LoadJob", "UPDATE_FAILED", "Invalid worker type G.9X"),
        _event("h", "UPDATE_IN_PROGRESS", "User Initiated", "AWS::CloudFormation::Stack"),
        _event("ExtractJob", "CREATE_FAILED", "an old failure of an earlier deploy"),
    ]
    stub.add_response("describe_stack_events", {"StackEvents": events})
    stub.add_response("describe_stacks", _stack_response("UPDATE_ROLLBACK_COMPLETE"))
    with stub, pytest.raises(DeployError) as error:
        deploy_stack(cfn, "h", {"LoadWorkerType": "G.9X"}, delay=1)
    message = str(error.value)
    assert "UPDATE_ROLLBACK_COMPLETE" in message
    assert "LoadJob (AWS::Glue::Job) UPDATE_FAILED: Invalid worker type G.9X" in message
    assert "old failure" not in message


def test_a_stack_whose_creation_failed_must_be_deleted_first():
    cfn, stub = _stubbed("cloudformation")
    stub.add_response("describe_stacks", _stack_response("ROLLBACK_COMPLETE"))
    with stub, pytest.raises(DeployError, match="delete-stack"):
        deploy_stack(cfn, "h", {})


def test_start_passes_run_properties_that_jobs_read_back(aws):
    glue = boto3.client("glue")
    glue.create_workflow(Name="h-harvest", DefaultRunProperties={"force": "false", "only_sources": ""})
    run_id = start_run(glue, "h-harvest", "city-open-data, state-gis", force=True)
    properties = read_run_properties({"WORKFLOW_NAME": "h-harvest", "WORKFLOW_RUN_ID": run_id}, glue)
    assert properties["only_sources"] == "city-open-data,state-gis"
    assert properties["force"] == "true"


def test_run_properties_are_empty_outside_a_workflow():
    assert read_run_properties({"WORKFLOW_NAME": "", "WORKFLOW_RUN_ID": ""}) == {}
    assert read_run_properties({}) == {}


def test_start_refuses_malformed_source_ids(aws):
    with pytest.raises(DeployError, match="City Data"):
        start_run(boto3.client("glue"), "h-harvest", "City Data")


def test_latest_run_is_the_most_recently_started(aws):
    glue = boto3.client("glue")
    glue.create_workflow(Name="h-harvest")
    assert latest_run_id(glue, "h-harvest") is None
    start_run(glue, "h-harvest")
    newest = start_run(glue, "h-harvest", "city-open-data")
    assert latest_run_id(glue, "h-harvest") == newest


def _job_node(name, runs):
    return {"Type": "JOB", "Name": name, "UniqueId": name, "JobDetails": {"JobRuns": runs}}


def test_status_lists_jobs_in_stage_order_with_state_duration_and_report():
    glue, stub = _stubbed("glue")
    started = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    nodes = [
        _job_node("h-load", []),
        _job_node(
            "h-compare",
            [
                {
                    "Id": "jr2",
                    "JobName": "h-compare",
                    "LogGroupName": "/aws-glue/jobs-h-role-h-jobs/",
                    "JobRunState": "FAILED",
                    "ErrorMessage": "catalog pointer unreadable",
                    "StartedOn": started,
                    "CompletedOn": datetime(2026, 1, 1, 6, 1, 30, tzinfo=UTC),
                }
            ],
        ),
        {"Type": "TRIGGER", "Name": "h-start-compare", "UniqueId": "t1"},
        _job_node(
            "h-extract",
            [
                {
                    "Id": "jr1",
                    "JobName": "h-extract",
                    "LogGroupName": "/aws-glue/jobs-h-extract-role-h-jobs/",
                    "JobRunState": "SUCCEEDED",
                    "ExecutionTime": 42,
                    "StartedOn": started,
                }
            ],
        ),
    ]
    run = {
        "Name": "h-harvest",
        "WorkflowRunId": "wr_1",
        "Status": "COMPLETED",
        "StartedOn": started,
        "Statistics": {"TotalActions": 5, "FailedActions": 1, "SucceededActions": 1},
        "WorkflowRunProperties": {"force": "false", "only_sources": ""},
        "Graph": {"Nodes": nodes},
    }
    stub.add_response(
        "get_workflow_run", {"Run": run}, {"Name": "h-harvest", "RunId": "wr_1", "IncludeGraph": True}
    )
    with stub:
        status = run_status(glue, "h-harvest", "lake-bucket", "wr_1")
    assert [(j["job"], j["state"], j["seconds"]) for j in status["jobs"]] == [
        ("h-extract", "SUCCEEDED", 42),
        ("h-compare", "FAILED", 90),
        ("h-load", "NOT STARTED", None),
    ]
    assert status["report"] == "s3://lake-bucket/runs/wr_1/report/report.html"
    text = format_status(status)
    assert "1 job(s) failed" in text and "catalog pointer unreadable" in text
    assert "s3://lake-bucket/runs/wr_1/quality/" in text
    # Each job's own groups (named after its role), in stage order.
    assert (
        "logs:      CloudWatch /aws-glue/jobs-h-extract-role-h-jobs/output and "
        "/aws-glue/jobs-h-extract-role-h-jobs/error, streams jr1-driver\n"
        "logs:      CloudWatch /aws-glue/jobs-h-role-h-jobs/output and /aws-glue/jobs-h-role-h-jobs/error, "
        "streams jr2-driver"
    ) in text
