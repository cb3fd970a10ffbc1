"""The names a row, a source and a run can carry: fetch statuses, source states, actions, decisions,
outcomes, count names, run statuses and outcomes.

Plain Python with no Spark: the run alerts (``transforms.publish.run_alerts``) import the message
builder, and through it these names, where no Spark is installed. ``transforms.schemas`` exports them
beside the StructTypes, which is where every stage imports them from.
"""

from enum import StrEnum


class FetchStatus(StrEnum):
    """How extract read one record (EXTRACT_RECORDS.fetch_status)."""

    FETCHED = "fetched"
    NOT_MODIFIED = "not_modified"  # HTTP 304, or a file on disk whose size and mtime did not change
    ERROR = "error"  # the file could not be read: no record, but it is seen (its published copy stays)


class SourceState(StrEnum):
    """A source's state in a run (SOURCE_STATUS.status)."""

    COMPLETE = "complete"
    FAILED = "failed"  # nothing of it is published or deleted this run
    HELD = "held"  # a guard held all of its changes
    # not read in full (a WAF listing could not be read, or compare held deletes back for a record
    # rejected before its identifier was read): creates and updates publish, nothing is deleted
    PARTIAL = "partial"
    # extract only: the data.json is byte-identical to the last run's, whose verdicts validate carries
    # (with that run's status); no record of it is read, so nothing of it is deleted before validate
    CARRIED = "carried"


# The source states a report lists with their reason, and that make a run's outcome partial (exit code 3).
NEEDS_ATTENTION = (SourceState.FAILED, SourceState.HELD, SourceState.PARTIAL)


class Action(StrEnum):
    """Compare's verdict on a row (CHANGES.action)."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"
    REJECT = "reject"


# The actions whose rows transform turns into DCAT-US records and validate checks.
CHANGING_ACTIONS = (Action.CREATE, Action.UPDATE)


class Decision(StrEnum):
    """The gate's decision on a row (VALIDATED.decision)."""

    ACCEPT = "accept"
    REJECT = "reject"
    HELD = "held"


class Outcome(StrEnum):
    """The final word on a row (OUTCOMES.outcome)."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"
    HELD = "held"


# What an accepted action becomes once loaded.
OUTCOME_OF_ACTION = {
    Action.CREATE: Outcome.CREATED,
    Action.UPDATE: Outcome.UPDATED,
    Action.DELETE: Outcome.DELETED,
    Action.UNCHANGED: Outcome.UNCHANGED,
}
# Every extracted record ends in exactly one of these (deletes are counted on their own).
RECORD_OUTCOMES = (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED, Outcome.REJECTED, Outcome.HELD)
# The per-source and total counts of the report, in the order every view shows them.
COUNT_NAMES = (
    "extracted",
    "created",
    "updated",
    "deleted",
    "unchanged",
    "rejected",
    "held",
    "errors",
    "warnings",
)


class RecordType(StrEnum):
    """The DCAT-US class of a record (RECORD_ORIGIN.record_type). A DCAT-US 1.1 or XML record is a Dataset."""

    DATASET = "Dataset"
    DATA_SERVICE = "DataService"
    CATALOG_RECORD = "CatalogRecord"
    DATASET_SERIES = "DatasetSeries"


class DcatVersion(StrEnum):
    """The DCAT-US version a record is published in (RECORD_ORIGIN.dcat_version)."""

    V1_1 = "1.1"
    V3_0 = "3.0"


class RunStatus(StrEnum):
    """Whether the workflow ran to its end (report.json ``status``)."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"  # a stage failed; the workflow stopped there
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM stopped it


class RunOutcome(StrEnum):
    """What a run achieved (report.json ``outcome``); the harvest command's exit code says the same."""

    COMPLETE = "complete"  # every selected source completed
    PARTIAL = "partial"  # the run succeeded, but some source failed or was held
    FAILED = "failed"
    INTERRUPTED = "interrupted"
