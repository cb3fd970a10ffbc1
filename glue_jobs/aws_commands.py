"""The AWS commands of `harvest`: deploy the stack and its artifacts, start a workflow run, show a run's status.

Each ``*_command`` takes the parsed argparse namespace and returns an exit code; the functions
they call take boto3 clients, so tests hand them moto-backed or stubbed clients.
"""

import logging
import sys
from datetime import datetime
from pathlib import Path

from botocore.exceptions import ClientError, WaiterError

from glue_jobs.workflow import TEMPLATE, load_template
from transforms.registry import ID_PATTERN, RegistryError, parse_registry

STAGES = ("extract", "compare", "transform", "validate", "load")
NO_UPDATES = "No updates are to be performed"
WAIT_DELAY = 15  # seconds between stack status polls
log = logging.getLogger("harvest")


class DeployError(RuntimeError):
    """A deploy, start or status request that cannot go on; the message says what to do."""


def _session(region: str | None):
    import boto3

    return boto3.session.Session(region_name=region)


def find_artifacts(dist: Path) -> tuple[Path, list[Path]]:
    """The project's archive (glue_harvester-<version>.zip) and the five job scripts `make package` put in dist/."""
    archives = sorted(dist.glob("glue_harvester-*.zip"))
    scripts = [dist / "jobs" / f"{stage}.py" for stage in STAGES]
    missing = [str(path) for path in scripts if not path.is_file()]
    if len(archives) != 1 or missing:
        raise DeployError(
            f"{dist} needs exactly one glue_harvester-<version>.zip and jobs/<stage>.py for every stage "
            f"(found {len(archives)} archive(s), missing {missing or 'none'}): run `make package`"
        )
    return archives[0], scripts


def upload_artifacts(
    s3, artifacts_bucket: str, lake_bucket: str, archive: Path, scripts: list[Path], sources: Path
) -> list[str]:
    """Upload the archive to python/, the scripts to jobs/ and the registry to config/sources.yaml; returns the URIs."""
    uploads = [(archive, artifacts_bucket, f"python/{archive.name}")]
    uploads += [(script, artifacts_bucket, f"jobs/{script.name}") for script in scripts]
    uploads.append((sources, lake_bucket, "config/sources.yaml"))
    for path, bucket, key in uploads:
        s3.upload_file(str(path), bucket, key)
    return [f"s3://{bucket}/{key}" for _, bucket, key in uploads]


def _stack(cfn, stack: str) -> dict | None:
    try:
        return cfn.describe_stacks(StackName=stack)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def stack_parameters(template_parameters, given: dict[str, str], previous: set[str]) -> list[dict]:
    """The Parameters of a create or update: the given values, the previous value for the rest an update keeps."""
    unknown = sorted(set(given) - set(template_parameters))
    if unknown:
        raise DeployError(
            f"unknown stack parameter(s) {', '.join(unknown)}; known: {', '.join(template_parameters)}"
        )
    parameters = []
    for key in template_parameters:
        if key in given:
            parameters.append({"ParameterKey": key, "ParameterValue": given[key]})
        elif key in previous:
            parameters.append({"ParameterKey": key, "UsePreviousValue": True})
    return parameters


def failure_events(cfn, stack: str) -> list[str]:
    """The failed resource events of the stack's latest operation, oldest first, one line each."""
    lines = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
        for event in page["StackEvents"]:  # newest first
            is_start = (
                event["LogicalResourceId"] == stack and event.get("ResourceStatusReason") == "User Initiated"
            )
            if event["ResourceStatus"].endswith("_FAILED"):
                lines.append(
                    f"{event['LogicalResourceId']} ({event.get('ResourceType', '')}) "
                    f"{event['ResourceStatus']}: {event.get('ResourceStatusReason', '')}"
                )
            if is_start:
                return lines[::-1]
    return lines[::-1]


def deploy_stack(
    cfn, stack: str, given: dict[str, str], template: Path = TEMPLATE, delay: int | None = None
) -> str:
    """Create or update the stack and wait for it; returns "created", "updated" or "unchanged".

    Raises DeployError with the failed events when the stack does not reach *_COMPLETE.
    """
    current = _stack(cfn, stack)
    status = current["StackStatus"] if current else None
    if status == "ROLLBACK_COMPLETE":
        raise DeployError(
            f"stack {stack} is ROLLBACK_COMPLETE after a failed creation and cannot be updated: "
            f"delete it (aws cloudformation delete-stack --stack-name {stack}) and deploy again"
        )
    if status and status.endswith("_IN_PROGRESS"):
        raise DeployError(f"stack {stack} is busy ({status}); wait for it to finish and deploy again")
    previous = {p["ParameterKey"] for p in (current or {}).get("Parameters", [])}
    request = {
        "StackName": stack,
        "TemplateBody": template.read_text("utf-8"),
        "Capabilities": ["CAPABILITY_IAM"],
        "Parameters": stack_parameters(load_template(template)["Parameters"], given, previous),
    }
    if current is None:
        cfn.create_stack(**request)
        outcome, waiter = "created", "stack_create_complete"
    else:
        try:
            cfn.update_stack(**request)
        except ClientError as error:
            if NO_UPDATES in str(error):
                return "unchanged"
            raise
        outcome, waiter = "updated", "stack_update_complete"
    delay = delay or WAIT_DELAY
    try:
        cfn.get_waiter(waiter).wait(
            StackName=stack, WaiterConfig={"Delay": delay, "MaxAttempts": 3600 // delay}
        )
    except WaiterError as error:
        events = failure_events(cfn, stack) or [str(error)]
        final = (_stack(cfn, stack) or {}).get("StackStatus", "gone")
        raise DeployError(f"stack {stack} was not {outcome} ({final}):\n  " + "\n  ".join(events)) from error
    return outcome


def stack_outputs(cfn, stack: str) -> dict[str, str]:
    """The stack's outputs by key (WorkflowName, LakeBucketName, ...)."""
    current = _stack(cfn, stack)
    if current is None:
        raise DeployError(f"stack {stack} does not exist: run `harvest deploy` first")
    return {o["OutputKey"]: o["OutputValue"] for o in current.get("Outputs", [])}


def start_run(glue, workflow: str, only_sources: str = "", force: bool = False) -> str:
    """Start a workflow run with its run properties; returns the run id."""
    ids = [i.strip() for i in only_sources.split(",") if i.strip()]
    bad = [i for i in ids if not ID_PATTERN.match(i)]
    if bad:
        raise DeployError(f"not source ids: {', '.join(bad)} (ids match [a-z0-9-]+)")
    properties = {"only_sources": ",".join(ids), "force": "true" if force else "false"}
    return glue.start_workflow_run(Name=workflow, RunProperties=properties)["RunId"]


def latest_run_id(glue, workflow: str) -> str | None:
    """The id of the workflow's most recently started run."""
    runs = [
        run
        for page in glue.get_paginator("get_workflow_runs").paginate(Name=workflow, IncludeGraph=False)
        for run in page.get("Runs", [])
    ]
    return max(runs, key=lambda run: run["StartedOn"])["WorkflowRunId"] if runs else None


def _seconds(job_run: dict) -> int | None:
    if job_run.get("ExecutionTime"):
        return job_run["ExecutionTime"]
    started, completed = job_run.get("StartedOn"), job_run.get("CompletedOn")
    return int((completed - started).total_seconds()) if isinstance(completed, datetime) and started else None


def run_status(glue, workflow: str, lake_bucket: str, run_id: str | None = None) -> dict:
    """A run's state, each job's state and duration in stage order, and where its report and Data Docs are."""
    run_id = run_id or latest_run_id(glue, workflow)
    if run_id is None:
        raise DeployError(
            f"workflow {workflow} has no runs yet: run `harvest start` or wait for the schedule"
        )
    run = glue.get_workflow_run(Name=workflow, RunId=run_id, IncludeGraph=True)["Run"]
    jobs = {}
    for node in run.get("Graph", {}).get("Nodes", []):
        if node.get("Type") == "JOB":
            job_runs = node.get("JobDetails", {}).get("JobRuns") or [{"JobName": node["Name"]}]
            last = max(job_runs, key=lambda r: r.get("StartedOn") or datetime.min)
            jobs[node["Name"]] = {
                "job": node["Name"],
                "state": last.get("JobRunState", "NOT STARTED"),
                "seconds": _seconds(last),
                "error": last.get("ErrorMessage", ""),
            }
    order = {stage: number for number, stage in enumerate(STAGES)}
    ordered = sorted(jobs.values(), key=lambda job: order.get(job["job"].rsplit("-", 1)[-1], len(STAGES)))
    folder = f"s3://{lake_bucket}/runs/{run_id}"
    return {
        "workflow": workflow,
        "run_id": run_id,
        "status": run.get("Status", ""),
        "statistics": run.get("Statistics", {}),
        "properties": run.get("WorkflowRunProperties", {}),
        "jobs": ordered,
        "report": f"{folder}/report/report.html",
        "data_docs": f"{folder}/quality/",
    }


def format_status(status: dict) -> str:
    """The status as the terminal shows it."""
    failed = status["statistics"].get("FailedActions", 0) + status["statistics"].get("TimeoutActions", 0)
    lines = [
        f"workflow {status['workflow']} run {status['run_id']}: {status['status']}"
        + (f" ({failed} job(s) failed or timed out)" if failed else ""),
        f"run properties: {status['properties'] or 'defaults'}",
    ]
    for job in status["jobs"]:
        took = f"{job['seconds']} s" if job["seconds"] is not None else "-"
        lines.append(f"  {job['job']:<40} {job['state']:<12} {took:>8}  {job['error']}".rstrip())
    lines += [f"report:    {status['report']}", f"Data Docs: {status['data_docs']}"]
    return "\n".join(lines)


def _parameter_pairs(pairs: list[str]) -> dict[str, str]:
    bad = [pair for pair in pairs if "=" not in pair]
    if bad:
        raise DeployError(f"--parameter takes Key=Value, found {', '.join(bad)}")
    return dict(pair.split("=", 1) for pair in pairs)


def deploy_command(args) -> int:
    """harvest deploy: check the registry, create or update the stack, then upload the artifacts and registry."""
    sources = Path(args.sources)
    parse_registry(sources.read_text("utf-8"))
    archive, scripts = find_artifacts(Path(args.dist))
    given = {
        **_parameter_pairs(args.parameter or []),
        "LakeBucket": args.lake_bucket,
        "ArtifactsBucket": args.artifacts_bucket,
        "ProjectArchive": archive.name,
    }
    if args.schedule:
        given["Schedule"] = args.schedule
    session = _session(args.region)
    # The stack creates both buckets, so on a first deploy the uploads can only follow it; the jobs
    # only read their scripts when a run starts.
    outcome = deploy_stack(session.client("cloudformation"), args.stack, given)
    print(f"stack {args.stack}: {outcome}")
    for uri in upload_artifacts(
        session.client("s3"), args.artifacts_bucket, args.lake_bucket, archive, scripts, sources
    ):
        print(f"uploaded {uri}")
    return 0


def start_command(args) -> int:
    """harvest start: start a run of the stack's workflow."""
    session = _session(args.region)
    workflow = stack_outputs(session.client("cloudformation"), args.stack)["WorkflowName"]
    run_id = start_run(session.client("glue"), workflow, args.sources, args.force)
    print(f"started workflow {workflow} run {run_id}")
    print(f"follow it with: harvest status --stack {args.stack} {run_id}")
    return 0


def status_command(args) -> int:
    """harvest status: a run's state, its jobs and where the report is."""
    session = _session(args.region)
    outputs = stack_outputs(session.client("cloudformation"), args.stack)
    status = run_status(
        session.client("glue"), outputs["WorkflowName"], outputs["LakeBucketName"], args.run_id
    )
    print(format_status(status))
    return 0


def _reporting_errors(command):
    """Turn the errors a person can act on into a message and exit code 1 instead of a traceback."""

    def run(args) -> int:
        try:
            return command(args)
        except (DeployError, RegistryError, ClientError, OSError) as error:
            print(f"harvest {args.command}: {error}", file=sys.stderr)
            return 1

    return run


def add_aws_commands(subparsers) -> None:
    """Register the deploy, start and status subcommands on the harvest parser's subparsers."""
    deploy = subparsers.add_parser(
        "deploy", help="create or update the stack and upload the jobs and the registry"
    )
    deploy.add_argument("--stack", required=True, help="CloudFormation stack name")
    deploy.add_argument("--lake-bucket", required=True, help="name of the lake bucket (the stack creates it)")
    deploy.add_argument(
        "--artifacts-bucket", required=True, help="name of the artifacts bucket (the stack creates it)"
    )
    deploy.add_argument(
        "--sources", required=True, help="source registry YAML, uploaded to s3://<lake>/config/sources.yaml"
    )
    deploy.add_argument(
        "--schedule", help="Glue cron expression of the scheduled start, e.g. 'cron(0 6 * * ? *)'"
    )
    deploy.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    deploy.add_argument("--dist", default="dist", help="folder `make package` wrote (default: dist)")
    deploy.add_argument(
        "--parameter",
        action="append",
        metavar="KEY=VALUE",
        help="any other stack parameter, e.g. TransformWorkers=10 (repeatable)",
    )
    deploy.set_defaults(func=_reporting_errors(deploy_command))
    start = subparsers.add_parser("start", help="start a run of the deployed workflow")
    start.add_argument("--stack", required=True, help="CloudFormation stack name")
    start.add_argument(
        "--sources", default="", help="comma-separated source ids (default: every enabled source)"
    )
    start.add_argument(
        "--force", action="store_true", help="apply the changes of sources held by the mass-deletion guard"
    )
    start.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    start.set_defaults(func=_reporting_errors(start_command))
    status = subparsers.add_parser("status", help="show a workflow run's state, its jobs and its report")
    status.add_argument("run_id", nargs="?", help="workflow run id (default: the latest run)")
    status.add_argument("--stack", required=True, help="CloudFormation stack name")
    status.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    status.set_defaults(func=_reporting_errors(status_command))
