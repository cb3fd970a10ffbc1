"""`harvest deploy`: the stack and its artifacts; and the AWS session every AWS command starts from.

Each ``*_command`` takes the parsed argparse namespace and returns an exit code; the functions
they call take boto3 clients, so tests hand them moto-backed or stubbed clients. Start, status and
resume of workflow runs are in ``aws_runs``.
"""

import logging
from pathlib import Path
from urllib.parse import urlsplit

from botocore.exceptions import ClientError, WaiterError

from harvest_cli.exit_codes import NO_AWS_REGION, CommandError, UsageError
from harvest_cli.preflight import checked_registry
from harvest_cli.workflow import TEMPLATE, load_template
from transforms.registry import Source, literal_host_problem

STAGES = ("extract", "compare", "transform", "validate", "load")
NO_UPDATES = "No updates are to be performed"
WAIT_DELAY = 15  # seconds between stack status polls
log = logging.getLogger("harvest")


class DeployError(CommandError):
    """A deploy, start or status request that cannot go on; the message says what to do."""


def aws_session(region: str | None):
    """A boto3 session with a region and credentials; UsageError (one line, exit 2) when either is missing.

    Checked before the first request, so a missing region or profile is one line, not botocore's traceback.
    """
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.session.Session(region_name=region)
        credentials = session.get_credentials()
    except BotoCoreError as error:  # a profile that does not exist, a broken config file
        raise UsageError(f"the AWS configuration cannot be used: {error}") from error
    if not session.region_name:
        raise UsageError(NO_AWS_REGION)
    if credentials is None:
        raise UsageError(
            "no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), "
            "or run where an IAM role provides them"
        )
    return session


def unreachable_on_glue(sources: list[Source]) -> list[str]:
    """Sources a Glue job cannot read: file:// URLs (the worker's own disk) and loopback or private hosts.

    Glue jobs run in AWS's network without a connection into yours (only load has a VPC
    connection, for the database), so these would fail every run.
    """
    problems = []
    for source in sources:
        for url in filter(None, (source.url, source.collection_url)):
            if urlsplit(url).scheme.lower() == "file":
                problems.append(
                    f"{source.id}: {url} is on this machine's disk, which Glue workers do not have"
                )
            elif problem := literal_host_problem(url):
                problems.append(f"{source.id}: {url} points at {urlsplit(url).hostname}, which {problem}")
    return problems


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


def _parameter_pairs(pairs: list[str]) -> dict[str, str]:
    bad = [pair for pair in pairs if "=" not in pair]
    if bad:
        raise DeployError(f"--parameter takes Key=Value, found {', '.join(bad)}")
    return dict(pair.split("=", 1) for pair in pairs)


def deploy_command(args) -> int:
    """harvest deploy: check the registry, create or update the stack, then upload the artifacts and registry."""
    sources = Path(args.sources)
    unreachable = unreachable_on_glue(checked_registry(str(sources)))
    if unreachable and not args.allow_unreachable_sources:
        raise UsageError(
            "these sources cannot work on Glue (remove or disable them, or pass --allow-unreachable-sources):\n  "
            + "\n  ".join(unreachable)
        )
    archive, scripts = find_artifacts(Path(args.dist))
    given = {
        **_parameter_pairs(args.parameter or []),
        "LakeBucket": args.lake_bucket,
        "ArtifactsBucket": args.artifacts_bucket,
        "ProjectArchive": archive.name,
    }
    if args.schedule:
        given["Schedule"] = args.schedule
    session = aws_session(args.region)
    # The stack creates both buckets, so on a first deploy the uploads can only follow it; the jobs
    # only read their scripts when a run starts.
    outcome = deploy_stack(session.client("cloudformation"), args.stack, given)
    print(f"stack {args.stack}: {outcome}")
    for uri in upload_artifacts(
        session.client("s3"), args.artifacts_bucket, args.lake_bucket, archive, scripts, sources
    ):
        print(f"uploaded {uri}")
    return 0


def add_deploy_command(commands, common, add_command) -> None:
    """harvest deploy (``add_command`` is the CLI's subcommand builder)."""
    deploy = add_command(
        commands,
        "deploy",
        "create or update the stack and upload the jobs and the registry",
        "Checks the registry first (sources Glue cannot reach are refused), creates or updates the\n"
        "stack and waits for it, then uploads the package `make package` built and the registry.",
        "harvest deploy --stack harvest --lake-bucket my-lake --artifacts-bucket my-art --sources sources.yaml",
        common,
    )
    deploy.add_argument("--stack", required=True, help="CloudFormation stack name")
    deploy.add_argument("--lake-bucket", required=True, help="name of the lake bucket (the stack creates it)")
    deploy.add_argument(
        "--artifacts-bucket", required=True, help="name of the artifacts bucket (the stack creates it)"
    )
    deploy.add_argument(
        "--sources",
        required=True,
        metavar="FILE",
        help="source registry YAML, uploaded to s3://<lake>/config/sources.yaml",
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
    deploy.add_argument(
        "--allow-unreachable-sources",
        action="store_true",
        help="deploy even with file:// or loopback/private sources (they fail on Glue unless it can reach them)",
    )
    deploy.set_defaults(func=deploy_command)
