"""harvest start / status / resume on AWS: one-line configuration errors, exit codes, resumed runs (moto, stubs)."""

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from glue_jobs.run_properties import original_run_id
from harvest_cli.aws_runs import read_lake_report, resume_run, run_status, status_exit_code
from harvest_cli.main import main

REGION = "us-east-1"
STARTED = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
# A stack whose outputs are those of cloudformation/harvest.yaml (moto skips the Glue resources anyway).
STACK = {
    "Resources": {"Lake": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "lake-bucket"}}},
    "Outputs": {"WorkflowName": {"Value": "h-harvest"}, "LakeBucketName": {"Value": "lake-bucket"}},
}


def harvest(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def no_aws_configuration(monkeypatch, tmp_path):
    """No region, no credentials, no profile: what a fresh machine has."""
    for name in (
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to wait for


@pytest.mark.parametrize("command", [["status"], ["start"], ["resume", "wr_1"]])
def test_no_region_is_one_line_and_exit_2(capsys, no_aws_configuration, command):
    code, _, err = harvest(capsys, *command, "--stack", "h")
    assert code == 2
    assert err == (
        f"harvest {command[0]}: no AWS region: pass --region, or set AWS_DEFAULT_REGION or a region in "
        "your AWS profile\n"
    )


def test_no_credentials_and_a_missing_profile_are_one_line_and_exit_2(
    capsys, no_aws_configuration, monkeypatch
):
    code, _, err = harvest(capsys, "status", "--stack", "h", "--region", REGION)
    assert (
        code == 2
        and err.startswith("harvest status: no AWS credentials: set AWS_PROFILE")
        and err.count("\n") == 1
    )
    monkeypatch.setenv("AWS_PROFILE", "nobody-has-this")
    code, _, err = harvest(capsys, "status", "--stack", "h", "--region", REGION)
    assert code == 2 and err == (
        "harvest status: the AWS configuration cannot be used: The config profile (nobody-has-this) could not be found\n"
    )


@pytest.fixture
def aws(aws):
    """conftest's moto AWS, holding the harvest stack and its workflow."""
    boto3.client("cloudformation").create_stack(StackName="h", TemplateBody=json.dumps(STACK))
    boto3.client("glue").create_workflow(Name="h-harvest")


def test_start_takes_the_old_sources_spelling_with_a_warning(capsys, aws):
    code, out, err = harvest(capsys, "start", "--stack", "h", "--sources", "city,state")
    assert code == 0
    assert err == "harvest start: --sources is deprecated for source ids; use --only-sources\n"
    run_id = out.split()[4]
    properties = boto3.client("glue").get_workflow_run_properties(Name="h-harvest", RunId=run_id)
    assert properties["RunProperties"]["only_sources"] == "city,state"


def test_status_of_a_running_run_exits_0_and_says_so(capsys, aws):
    code, out, _ = harvest(capsys, "start", "--stack", "h", "--only-sources", "city")
    run_id = out.split()[4]
    code, out, _ = harvest(capsys, "status", "--stack", "h")
    assert code == 0
    assert out.splitlines()[-1] == f"run {run_id} is still running: `harvest status --wait` waits for its end"


def test_a_stack_that_does_not_exist_is_one_line_and_exit_1(capsys, aws):
    code, _, err = harvest(capsys, "status", "--stack", "other")
    assert code == 1 and err == "harvest status: stack other does not exist: run `harvest deploy` first\n"


def _job(name: str, state: str | None) -> dict:
    runs = (
        [{"Id": f"jr-{name}", "JobName": name, "JobRunState": state, "StartedOn": STARTED}] if state else []
    )
    return {"Type": "JOB", "Name": name, "UniqueId": f"node-{name}", "JobDetails": {"JobRuns": runs}}


def _status(states: dict, run_state: str = "COMPLETED") -> dict:
    glue = boto3.client("glue", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    run = {
        "Name": "h-harvest",
        "WorkflowRunId": "wr_1",
        "Status": run_state,
        "StartedOn": STARTED,
        "Graph": {"Nodes": [_job(f"h-{stage}", state) for stage, state in states.items()]},
    }
    with Stubber(glue) as stub:
        stub.add_response("get_workflow_run", {"Run": run})
        return run_status(glue, "h-harvest", "lake-bucket", "wr_1")


def test_status_exit_codes_follow_the_jobs_and_the_report():
    done = {"extract": "SUCCEEDED", "compare": "SUCCEEDED", "load": "SUCCEEDED"}
    failed = _status({"extract": "SUCCEEDED", "compare": "FAILED", "load": None})
    assert status_exit_code(failed, None) == (
        1,
        "run wr_1 failed at h-compare; resume it with: harvest resume …",
    )
    stopped = _status({"extract": "STOPPED", "load": None}, "STOPPED")
    assert status_exit_code(stopped, None)[0] == 130
    partial = {"outcome": "partial", "sources": [{"status": "failed"}, {"status": "complete"}]}
    assert status_exit_code(_status(done), partial) == (
        3,
        "1 of 2 sources failed: see s3://lake-bucket/runs/wr_1/report/report.html",
    )
    complete = {"outcome": "complete", "sources": [{"status": "complete"}]}
    assert status_exit_code(_status(done), complete)[0] == 0


def test_the_report_is_read_from_the_lake_bucket(aws):
    s3 = boto3.client("s3")
    assert read_lake_report(s3, "lake-bucket", "wr_1") is None
    s3.put_object(Bucket="lake-bucket", Key="runs/wr_1/report/report.json", Body=b'{"outcome": "partial"}')
    assert read_lake_report(s3, "lake-bucket", "wr_1") == {"outcome": "partial"}


def test_resume_restarts_the_failed_job_of_the_run():
    glue = boto3.client("glue", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    nodes = [_job("h-extract", "SUCCEEDED"), _job("h-compare", "FAILED"), _job("h-load", None)]
    run = {"Name": "h-harvest", "WorkflowRunId": "wr_1", "Status": "COMPLETED", "Graph": {"Nodes": nodes}}
    with Stubber(glue) as stub:
        stub.add_response("get_workflow_run", {"Run": run})
        stub.add_response(
            "resume_workflow_run",
            {"RunId": "wr_2", "NodeIds": ["node-h-compare"]},
            {"Name": "h-harvest", "RunId": "wr_1", "NodeIds": ["node-h-compare"]},
        )
        assert resume_run(glue, "h-harvest", "wr_1") == ("wr_2", ["h-compare"])


def test_a_resumed_run_keeps_the_lake_run_id_of_the_run_it_resumes():
    glue = boto3.client("glue", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(glue) as stub:
        for run_id, previous in (("wr_3", "wr_2"), ("wr_2", "wr_1"), ("wr_1", None)):
            run = {
                "Name": "h-harvest",
                "WorkflowRunId": run_id,
                **({"PreviousRunId": previous} if previous else {}),
            }
            stub.add_response("get_workflow_run", {"Run": run})
        assert original_run_id({"WORKFLOW_NAME": "h-harvest", "WORKFLOW_RUN_ID": "wr_3"}, glue) == "wr_1"
    assert original_run_id({"run_id": "local-1"}) == "local-1"


def test_deploy_refuses_sources_glue_cannot_reach_before_touching_aws(capsys, tmp_path, no_aws_configuration):
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        "sources:\n"
        "  - {id: mirror, title: M, organization: O, url: 'file:///srv/waf/', type: waf, schema: iso19115,"
        " allow_private_network: true}\n"
        "  - {id: lan, title: L, organization: O, url: 'http://10.0.0.5/data.json', type: datajson,"
        " schema: dcatus1.1-federal, allow_private_network: true}\n"
    )
    argv = [
        "deploy",
        "--stack",
        "h",
        "--lake-bucket",
        "l",
        "--artifacts-bucket",
        "a",
        "--sources",
        str(registry),
    ]
    code, _, err = harvest(capsys, *argv)
    assert code == 2
    assert err.splitlines() == [
        "harvest deploy: these sources cannot work on Glue (remove or disable them, or pass "
        "--allow-unreachable-sources):",
        "  mirror: file:///srv/waf/ is on this machine's disk, which Glue workers do not have",
        "  lan: http://10.0.0.5/data.json points at 10.0.0.5, which is private",
    ]
