"""Workflow run properties: the options of one run (which sources, force) set when the run was started.

`harvest start` (or the console) starts a workflow run with RunProperties ``only_sources`` and
``force``; Glue passes every job of the run ``--WORKFLOW_NAME`` and ``--WORKFLOW_RUN_ID``, and a job
reads the properties back with ``glue:GetWorkflowRunProperties``. Outside a workflow there are none.
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
    if glue is None:
        import boto3

        glue = boto3.client("glue")
    properties = glue.get_workflow_run_properties(Name=name, RunId=run_id).get("RunProperties", {})
    log.info("workflow %s run %s properties: %s", name, run_id, properties)
    return properties
