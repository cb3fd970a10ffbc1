"""Workflow run properties: the options of one run (which sources, force) set when the run was started.

`harvest start` (or the console) starts a workflow run with RunProperties ``only_sources`` and
``force``; Glue passes every job of the run ``--WORKFLOW_NAME`` and ``--WORKFLOW_RUN_ID``, and a job
reads the properties back with ``glue:GetWorkflowRunProperties``. Outside a workflow there are none.

A resumed workflow run (`harvest resume --stack`, Glue's ResumeWorkflowRun) gets a new run id whose
``PreviousRunId`` names the run it resumes. Its jobs must read what the first run's earlier jobs
wrote, so in the lake the whole chain keeps the first run's id, and its run properties.
"""

import logging

log = logging.getLogger("harvest")


def read_run_properties(args: dict, glue=None) -> dict:
    """The current workflow run's properties, or {} when the job does not run inside a workflow.

    ``args`` are the resolved job arguments (``WORKFLOW_NAME`` and ``WORKFLOW_RUN_ID`` set by Glue);
    ``glue`` is a boto3 Glue client, created when not given; like every boto3 client it honours
    ``AWS_ENDPOINT_URL_GLUE`` / ``AWS_ENDPOINT_URL`` (the Glue emulation points them at moto).
    """
    name, run_id = args.get("WORKFLOW_NAME"), args.get("WORKFLOW_RUN_ID")
    if not (name and run_id):
        return {}
    glue = glue or _glue()
    run_id = original_run_id(args, glue)
    properties = glue.get_workflow_run_properties(Name=name, RunId=run_id).get("RunProperties", {})
    log.info("workflow %s run %s properties: %s", name, run_id, properties)
    return properties


def _glue():
    import boto3

    return boto3.client("glue")


def original_run_id(args: dict, glue=None) -> str:
    """The run id the lake knows this run by: the first run of a chain of resumes (``args["run_id"]`` outside Glue)."""
    name, run_id = args.get("WORKFLOW_NAME"), args.get("WORKFLOW_RUN_ID")
    if not (name and run_id):
        return args["run_id"]
    glue = glue or _glue()
    seen = {run_id}
    while True:
        previous = glue.get_workflow_run(Name=name, RunId=run_id, IncludeGraph=False)["Run"].get(
            "PreviousRunId"
        )
        if not previous or previous in seen:
            return run_id
        seen.add(previous)
        run_id = previous
