"""The alert for a run that ended before its report: one of the stack's Glue jobs failed, timed out,
was stopped, or was refused because a run of it was still going (ConcurrentRunsExceeded).

Load sends the summary of a run that reached its end (``transforms.publish.aws_targets``). Every
other end is a "Glue Job State Change" event, which the stack's EventBridge rule passes to a Lambda
function; the function runs this module from the project's own archive (the one Glue runs) and
publishes the failed run's report through the same message builder as load's summary
(``transforms.publish.notify``). It needs boto3 and the standard library only: no Spark.

The workflow stops at the first job that does not succeed, so a run that ends badly emits exactly
one such event, and gets exactly one alert.
"""

import logging
import os
import re

from transforms.publish.notify import publish_summary
from transforms.vocabulary import RunOutcome, RunStatus

log = logging.getLogger(__name__)

STAGES = ("extract", "compare", "transform", "validate", "load")
EVENT_SOURCE = "aws.glue"
EVENT_DETAIL_TYPE = "Glue Job State Change"
# The job run states the stack's rule sends here (its event pattern is checked against this list).
# Glue's events carry FAILED, TIMEOUT and STOPPED; ERROR is a job run state of the API, kept in case.
ALERTED_STATES = ("FAILED", "TIMEOUT", "STOPPED", "ERROR")
# Glue's words when a job is started while a run of it is still going (the API's
# ConcurrentRunsExceededException; a job run a trigger started FAILs with "Max concurrent runs exceeded").
REFUSED = re.compile(r"concurrent ?runs ?exceeded", re.IGNORECASE)
TOPIC_VARIABLE = "HARVEST_TOPIC_ARN"
LAKE_VARIABLE = "HARVEST_LAKE"


class NotAJobStateChange(ValueError):
    """The event is not a Glue job state change this function can report on."""


def job_stage(job_name: str) -> str:
    """The stage of one of the stack's jobs, named ``<stack>-<stage>``; another job keeps its name."""
    stage = job_name.rsplit("-", 1)[-1]
    return stage if stage in STAGES else job_name


def _why(stage: str, state: str, error: str, job_run: dict) -> str:
    """One line that says how the job ended, in the run's terms."""
    if REFUSED.search(error):
        return (
            f"the {stage} job was refused because a run of it was still going ({error}); "
            "this run stopped there"
        )
    if state == "TIMEOUT":
        limit = f" of {job_run['Timeout']} minutes" if job_run.get("Timeout") else ""
        return f"the {stage} job timed out: it ran past its timeout{limit} and was stopped" + (
            f" ({error})" if error else ""
        )
    if state == "STOPPED":
        return f"the {stage} job was stopped before it finished"
    ended = "failed" if state == "FAILED" else f"ended in state {state}"
    return f"the {stage} job {ended}: {error or 'Glue gave no reason'}"


def alerted_job(event: dict) -> dict:
    """The event's detail when it is a job run of ours that ended badly; else NotAJobStateChange says why."""
    if event.get("source") != EVENT_SOURCE or event.get("detail-type") != EVENT_DETAIL_TYPE:
        raise NotAJobStateChange(
            f"not a {EVENT_DETAIL_TYPE} event: source {event.get('source')!r}, "
            f"detail-type {event.get('detail-type')!r}"
        )
    detail = event.get("detail") or {}
    if not detail.get("jobName") or detail.get("state") not in ALERTED_STATES:
        raise NotAJobStateChange(
            f"no failed job in the event: job {detail.get('jobName')!r}, state {detail.get('state')!r}"
        )
    return detail


def failed_run_report(event: dict, job_run: dict, lake: str) -> dict:
    """The report of a run stopped at one job, from its Glue job state change event.

    ``job_run`` is the job run as Glue's GetJobRun returns it (``{}`` when it could not be read): its
    arguments name the workflow run, which is the run's id in the lake. The shape is the one the
    local runner writes for a failed run (``harvest_cli.run_command``).
    """
    detail = alerted_job(event)
    job_name, job_run_id, state = detail["jobName"], detail.get("jobRunId") or "", detail["state"]
    arguments = job_run.get("Arguments") or {}
    stage = job_stage(job_name)
    error = str(job_run.get("ErrorMessage") or detail.get("message") or "")
    stopped = state == "STOPPED"
    run_id = arguments.get("--WORKFLOW_RUN_ID") or arguments.get("--run-id")
    return {
        "run_id": run_id or job_run_id,
        "status": RunStatus.INTERRUPTED if stopped else RunStatus.FAILED,
        "outcome": RunOutcome.INTERRUPTED if stopped else RunOutcome.FAILED,
        ("interrupted_stage" if stopped else "failed_stage"): stage,
        "message": _why(stage, state, error, job_run),
        "error": error or None,
        "started": str(job_run["StartedOn"]) if job_run.get("StartedOn") else None,
        "finished": event.get("time"),
        "lake": lake if run_id else None,  # a run named by its job run has no folder to link
        "job": {"name": job_name, "run_id": job_run_id, "state": state},
        "sources": [],
        "totals": {},
    }


def read_job_run(glue, event: dict) -> dict:
    """The event's job run from Glue, or ``{}`` (logged) when it cannot be read: the alert goes anyway."""
    from botocore.exceptions import BotoCoreError, ClientError

    detail = alerted_job(event)
    try:
        return glue.get_job_run(JobName=detail["jobName"], RunId=detail.get("jobRunId") or "")["JobRun"]
    except (ClientError, BotoCoreError) as error:
        log.warning("job run %s could not be read, alerting without it: %s", detail.get("jobRunId"), error)
        return {}


def handle_glue_event(event: dict, context=None) -> str:
    """Lambda entry point: publish the alert for one failed, timed-out or stopped job; returns the SNS
    MessageId. The topic and the lake come from the function's environment."""
    import boto3

    topic, lake = os.environ[TOPIC_VARIABLE], os.environ[LAKE_VARIABLE]
    report = failed_run_report(event, read_job_run(boto3.client("glue"), event), lake)
    log.info("run %s stopped at %s (%s)", report["run_id"], report["job"]["name"], report["job"]["state"])
    return publish_summary(boto3.client("sns"), topic, report)
