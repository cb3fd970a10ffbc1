"""The figures of a finished run as CloudWatch metrics, for the stack's dashboard and its alarm.

Load puts them once per published run (never in a dry run), under the namespace ``CatalogHarvest``
with the workflow's name as the ``Workflow`` dimension. ``RunsCompleted`` is 1 for every run that
reached its end: the stack's alarm fires when it has been missing for longer than a run may take.
"""

import logging

from transforms.vocabulary import SourceState

log = logging.getLogger(__name__)

NAMESPACE = "CatalogHarvest"
DIMENSION = "Workflow"
RUNS_COMPLETED = "RunsCompleted"
# report.json totals -> metric name
RECORD_METRICS = {
    "created": "RecordsCreated",
    "updated": "RecordsUpdated",
    "deleted": "RecordsDeleted",
    "rejected": "RecordsRejected",
    "held": "RecordsHeld",
}
# source states -> metric name (sources in that state this run)
SOURCE_METRICS = {SourceState.FAILED: "SourcesFailed", SourceState.HELD: "SourcesHeld"}
METRIC_NAMES = (RUNS_COMPLETED, *RECORD_METRICS.values(), *SOURCE_METRICS.values())


def run_metric_data(report: dict, workflow: str) -> list[dict]:
    """PutMetricData's MetricData for one finished run: one datum per name of METRIC_NAMES."""
    dimensions = [{"Name": DIMENSION, "Value": workflow}]
    totals = report.get("totals") or {}
    statuses = [source.get("status") for source in report.get("sources") or []]
    values = {RUNS_COMPLETED: 1}
    values |= {metric: int(totals.get(name) or 0) for name, metric in RECORD_METRICS.items()}
    values |= {metric: statuses.count(state) for state, metric in SOURCE_METRICS.items()}
    return [
        {"MetricName": name, "Dimensions": dimensions, "Value": float(values[name]), "Unit": "Count"}
        for name in METRIC_NAMES
    ]


def put_run_metrics(cloudwatch, workflow: str, report: dict) -> bool:
    """Put the run's metrics in one request (PutMetricData takes up to 1,000 data); False if refused.

    The catalog is published by now: metrics that cannot be put are logged and do not fail the run
    (which would leave the lake locked); the missing RunsCompleted then sets off the overdue alarm.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=run_metric_data(report, workflow))
    except (ClientError, BotoCoreError) as error:
        log.warning("run %s metrics could not be put under %s: %s", report.get("run_id"), NAMESPACE, error)
        return False
    log.info("run %s metrics put under %s, %s=%s", report.get("run_id"), NAMESPACE, DIMENSION, workflow)
    return True
