"""One argument helper for every job: Glue's getResolvedOptions, with optional arguments.

Glue passes job arguments as ``--name value`` pairs and ``getResolvedOptions`` makes every
name it is asked for required. Jobs here declare their arguments with defaults in
``JOB_ARGUMENTS``; the ones present on the command line are resolved through
``getResolvedOptions`` (so Glue's own parsing is what runs on Glue), the rest take their
default. The CloudFormation template's DefaultArguments must name every one of them.
"""

import sys
import uuid
from datetime import UTC, datetime

from awsglue.utils import getResolvedOptions

from transforms.lake import InvalidRunId, check_run_id
from transforms.publish.db_config import configured_db_url

# Every argument a job script reads, with its default ("" means unset).
JOB_ARGUMENTS = {
    "lake": "",  # lake root: a folder or an s3:// URI
    "sources": "",  # the source registry (YAML): a path or an s3:// URI
    "log-level": "INFO",
    "force": "false",  # "true" releases sources held by the mass-deletion guard
    "dry-run": "false",  # "true": every stage runs and the report is written, but nothing is published
    "only-sources": "",  # comma-separated source ids; empty means every enabled source
    "due-only": "false",  # "true" (the scheduled trigger): only the sources due by their frequency
    "clear": "false",  # "true" (`harvest clear`): withdraw every record of the only-sources
    "publish-as": "",  # "dcatus3.0" publishes every record of the run as DCAT-US 3.0; empty: per source
    # PostgreSQL catalog database: a postgresql:// URL without password, or a Secrets Manager secret ARN;
    # empty: HARVEST_DB_URL from the environment, else lake only
    "db-url": "",
    "glue-database": "",  # Glue Data Catalog database to register the catalog tables in; empty: skip
    "sns-topic-arn": "",  # SNS topic for a run summary; empty: skip
    "notify-from": "",  # SES sender of each source's notices to its notification_emails; empty: skip
    # data.gov's search index: where a dataset's page is (in its documents), and the OpenSearch to send
    # the run's changes to (a URL without password; credentials in a Secrets Manager secret); empty: skip
    "catalog-base-url": "https://catalog.data.gov",
    "opensearch-url": "",
    "opensearch-secret": "",
    "run-id": "",  # locally the run id; on Glue the workflow's WORKFLOW_RUN_ID wins
}
# Arguments Glue itself passes to a job started by a workflow.
GLUE_WORKFLOW_ARGUMENTS = ("JOB_NAME", "WORKFLOW_NAME", "WORKFLOW_RUN_ID")


def _option_name(name: str) -> str:
    return name.replace("-", "_")


def resolve_arguments(argv: list[str] | None = None, required: tuple[str, ...] = ("lake",)) -> dict:
    """Resolve the job arguments from argv: declared defaults, overridden by what is passed.

    Keys use underscores (``only_sources``). ``run_id`` is the workflow run id on Glue, the
    ``--run-id`` argument locally, or a new time-ordered id; one that could name a path outside the
    lake is refused. ``db_url`` may not carry a password (HARVEST_DB_URL is read when it is empty).
    """
    argv = list(sys.argv if argv is None else argv)
    present = [name for name in (*JOB_ARGUMENTS, *GLUE_WORKFLOW_ARGUMENTS) if f"--{name}" in argv]
    resolved = getResolvedOptions(argv, present) if present else {}
    args = {
        _option_name(name): resolved.get(_option_name(name), default)
        for name, default in JOB_ARGUMENTS.items()
    }
    for name in GLUE_WORKFLOW_ARGUMENTS:
        args[name] = resolved.get(name, "")
    missing = [name for name in required if not args[_option_name(name)]]
    if missing:
        raise SystemExit(f"missing required job argument(s): {', '.join('--' + name for name in missing)}")
    args["run_id"] = args["WORKFLOW_RUN_ID"] or args["run_id"] or new_run_id()
    try:
        check_run_id(args["run_id"])
        args["db_url"] = configured_db_url(args["db_url"])
    except (InvalidRunId, ValueError) as error:
        raise SystemExit(str(error)) from None
    args["force"] = is_true(args["force"])
    args["dry_run"] = is_true(args["dry_run"])
    args["due_only"] = is_true(args["due_only"])
    args["clear"] = is_true(args["clear"])
    return args


def is_true(value) -> bool:
    """A flag as Glue arguments and workflow run properties spell it ("true", "1", "yes"; any case)."""
    return str(value).strip().lower() in ("true", "1", "yes")


def new_run_id() -> str:
    """A run id that sorts by time: 20261127T015203Z-1a2b3c."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
