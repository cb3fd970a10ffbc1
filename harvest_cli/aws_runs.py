"""`harvest start`, `status` and `resume --stack`: runs of the deployed Glue workflow.

`status` ends with the same exit codes as a local run (0 complete, 3 some source failed or was held,
1 failed, 130 stopped), read from the run's jobs and from the report load wrote to the lake.
"""

import json
import sys
import time
from datetime import datetime

from glue_jobs.run_properties import original_run_id
from harvest_cli.aws_commands import STAGES, DeployError, aws_session, stack_outputs
from harvest_cli.exit_codes import FAILED, INTERRUPTED, OK, UsageError, exit_code
from harvest_cli.preflight import source_ids
from transforms.registry import ID_PATTERN
from transforms.text import plain_text

FAILED_JOB_STATES = ("FAILED", "TIMEOUT", "ERROR", "STOPPED")
WAIT_DELAY = 30  # seconds between polls of status --wait


def start_run(glue, workflow: str, only_sources: str = "", force: bool = False, dry_run: bool = False) -> str:
    """Start a workflow run with its run properties; returns the run id."""
    ids = source_ids(only_sources)
    bad = [i for i in ids if not ID_PATTERN.match(i)]
    if bad:
        raise DeployError(f"not source ids: {', '.join(bad)} (ids match [a-z0-9-]+)")
    properties = {
        "only_sources": ",".join(ids),
        "force": "true" if force else "false",
        "dry_run": "true" if dry_run else "false",  # true: every stage runs and reports; nothing is published
        # the workflow's start trigger passes --due-only true (for the schedule): an on-demand run takes every
        # enabled source instead
        "due_only": "false",
    }
    return glue.start_workflow_run(Name=workflow, RunProperties=properties)["RunId"]


def latest_run_id(glue, workflow: str) -> str | None:
    """The id of the workflow's most recently started run."""
    runs = [
        run
        for page in glue.get_paginator("get_workflow_runs").paginate(Name=workflow, IncludeGraph=False)
        for run in page.get("Runs", [])
    ]
    return max(runs, key=lambda run: run["StartedOn"])["WorkflowRunId"] if runs else None


def _last_job_run(node: dict) -> dict | None:
    """The latest run of a job node of the workflow graph (None when the job has not run)."""
    job_runs = node.get("JobDetails", {}).get("JobRuns") or []
    return max(job_runs, key=lambda r: r.get("StartedOn") or datetime.min) if job_runs else None


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
            last = _last_job_run(node) or {"JobName": node["Name"]}
            jobs[node["Name"]] = {
                "job": node["Name"],
                "state": last.get("JobRunState", "NOT STARTED"),
                "seconds": _seconds(last),
                "error": last.get("ErrorMessage", ""),
                "job_run_id": last.get("Id"),
                # With a security configuration Glue names the group after the role and the configuration.
                "log_group": last.get("LogGroupName"),
            }
    order = {stage: number for number, stage in enumerate(STAGES)}
    ordered = sorted(jobs.values(), key=lambda job: order.get(job["job"].rsplit("-", 1)[-1], len(STAGES)))
    # A resumed run has a new id, but its jobs write under the first run's id (see run_properties).
    previous = run.get("PreviousRunId")
    lake_run = (
        original_run_id({"WORKFLOW_NAME": workflow, "WORKFLOW_RUN_ID": previous}, glue)
        if previous
        else run_id
    )
    folder = f"s3://{lake_bucket}/runs/{lake_run}"
    return {
        "workflow": workflow,
        "run_id": run_id,
        "status": run.get("Status", ""),
        "statistics": run.get("Statistics", {}),
        "properties": run.get("WorkflowRunProperties", {}),
        "jobs": ordered,
        "lake_run_id": lake_run,
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
        # Glue's error message quotes the job's exception, which may quote a publisher.
        lines.append(f"  {job['job']:<40} {job['state']:<12} {took:>8}  {plain_text(job['error'])}".rstrip())
    # Each job runs as its own role, and Glue names a job's log groups after its role: one line per group.
    streams: dict[str, list[str]] = {}
    for job in status["jobs"]:
        if job.get("job_run_id"):
            group = (job.get("log_group") or "/aws-glue/jobs").rstrip("/")
            streams.setdefault(group, []).append(f"{job['job_run_id']}-driver")
    for group, names in streams.items():
        lines.append(f"logs:      CloudWatch {group}/output and {group}/error, streams {', '.join(names)}")
    lines += [f"report:    {status['report']}", f"Data Docs: {status['data_docs']}"]
    return "\n".join(lines)


def status_exit_code(status: dict, report: dict | None) -> tuple[int, str]:
    """(exit code, last line) of a workflow run, as a local run would end."""
    failed = [job["job"] for job in status["jobs"] if job["state"] in FAILED_JOB_STATES]
    state, run_id = status["status"], status["run_id"]
    if state in ("RUNNING", "STOPPING") and not failed:
        return OK, f"run {run_id} is still {state.lower()}: `harvest status --wait` waits for its end"
    if state == "STOPPED" or any(job["state"] == "STOPPED" for job in status["jobs"]):
        return INTERRUPTED, f"run {run_id} was stopped; resume it with: harvest resume {run_id} --stack …"
    if failed or state == "ERROR":
        return (
            FAILED,
            f"run {run_id} failed at {', '.join(failed) or state}; resume it with: harvest resume …",
        )
    if report is None:
        return OK, f"run {run_id}: every job succeeded, but its report is missing: {status['report']}"
    from harvest_cli.terminal import sources_summary

    summary = sources_summary(report)
    return exit_code(report.get("outcome")), f"{summary or f'run {run_id} complete'}: see {status['report']}"


def read_lake_report(s3, lake_bucket: str, run_id: str) -> dict | None:
    """report.json of a run from the lake bucket, or None when load has not written one."""
    try:
        body = s3.get_object(Bucket=lake_bucket, Key=f"runs/{run_id}/report/report.json")["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body.read())


def resume_run(glue, workflow: str, run_id: str) -> tuple[str, list[str]]:
    """Resume a workflow run from its failed or stopped jobs; returns (new run id, the jobs restarted)."""
    run = glue.get_workflow_run(Name=workflow, RunId=run_id, IncludeGraph=True)["Run"]
    stopped = {}
    for node in run.get("Graph", {}).get("Nodes", []):
        last = _last_job_run(node) if node.get("Type") == "JOB" else None
        if last and last.get("JobRunState") in FAILED_JOB_STATES:
            stopped[node["UniqueId"]] = node["Name"]
    if not stopped:
        raise UsageError(f"workflow run {run_id} has no failed or stopped job to resume from")
    response = glue.resume_workflow_run(Name=workflow, RunId=run_id, NodeIds=list(stopped))
    return response["RunId"], [stopped.get(node, node) for node in response.get("NodeIds", [])]


def start_command(args) -> int:
    """harvest start: start a run of the stack's workflow."""
    ids = args.only_sources
    if args.sources_ids is not None:
        print("harvest start: --sources is deprecated for source ids; use --only-sources", file=sys.stderr)
        ids = ids or args.sources_ids
    session = aws_session(args.region)
    workflow = stack_outputs(session.client("cloudformation"), args.stack)["WorkflowName"]
    run_id = start_run(session.client("glue"), workflow, ids, args.force, args.dry_run)
    print(f"started workflow {workflow} run {run_id}")
    print(f"follow it with: harvest status --stack {args.stack} {run_id} --wait")
    return OK


def status_command(args) -> int:
    """harvest status: a run's state, its jobs and where the report is; the exit code says how it went."""
    session = aws_session(args.region)
    outputs = stack_outputs(session.client("cloudformation"), args.stack)
    glue = session.client("glue")
    status = run_status(glue, outputs["WorkflowName"], outputs["LakeBucketName"], args.run_id)
    while args.wait and status["status"] in ("RUNNING", "STOPPING"):
        time.sleep(WAIT_DELAY)
        status = run_status(glue, outputs["WorkflowName"], outputs["LakeBucketName"], status["run_id"])
    report = read_lake_report(session.client("s3"), outputs["LakeBucketName"], status["lake_run_id"])
    code, last_line = status_exit_code(status, report)
    print(format_status(status))
    print(last_line, file=sys.stdout if code in (0, 3) else sys.stderr)
    return code


def resume_command(args) -> int:
    """harvest resume RUN_ID --stack: Glue's ResumeWorkflowRun from the failed or stopped jobs."""
    session = aws_session(args.region)
    workflow = stack_outputs(session.client("cloudformation"), args.stack)["WorkflowName"]
    new_run, jobs = resume_run(session.client("glue"), workflow, args.run_id)
    print(f"resumed workflow {workflow} run {args.run_id} as {new_run} from {', '.join(jobs)}")
    print(f"follow it with: harvest status --stack {args.stack} {new_run} --wait")
    return OK


def add_start_command(commands, common, add_command) -> None:
    """harvest start."""
    start = add_command(
        commands,
        "start",
        "start a run of the deployed workflow",
        "The source ids, --force and --dry-run travel as the workflow run properties only_sources, force\n"
        "and dry_run.",
        "harvest start --stack harvest --only-sources noaa-waf,doi-datajson",
        common,
    )
    start.add_argument("--stack", required=True, help="CloudFormation stack name")
    start.add_argument(
        "--only-sources",
        default="",
        metavar="IDS",
        help="comma-separated source ids (default: every enabled one)",
    )
    start.add_argument(
        "--sources", dest="sources_ids", metavar="IDS", help="deprecated spelling of --only-sources"
    )
    start.add_argument(
        "--force", action="store_true", help="apply the changes of sources held by the mass-deletion guard"
    )
    start.add_argument(
        "--dry-run", action="store_true", help="run every stage and write the report, but publish nothing"
    )
    start.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    start.set_defaults(func=start_command)


def add_status_command(commands, common, add_command) -> None:
    """harvest status."""
    status = add_command(
        commands,
        "status",
        "show a workflow run's state, its jobs and its report",
        "Exit code as for a local run: 0 complete (or still running), 3 some source failed or was held,\n"
        "1 a job failed, 130 the run was stopped.",
        "harvest status --stack harvest --wait",
        common,
    )
    status.add_argument("run_id", nargs="?", help="workflow run id (default: the latest run)")
    status.add_argument("--stack", required=True, help="CloudFormation stack name")
    status.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    status.add_argument("--wait", action="store_true", help="wait until the run has finished")
    status.set_defaults(func=status_command)
