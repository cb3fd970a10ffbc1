"""After the report: register the tables in the Glue Data Catalog, put the run's CloudWatch metrics,
announce the run on SNS and e-mail each source's publisher its notice (SES), when asked to."""

import logging

log = logging.getLogger("harvest")


def publish_run(job, report: dict) -> None:
    """Glue Data Catalog tables (--glue-database), the run's metrics (on Glue, started by the workflow)
    and an SNS summary (--sns-topic-arn); each optional."""
    if job.args["glue_database"]:
        import boto3

        from transforms.publish.glue_catalog import register_tables

        tables = register_tables(boto3.client("glue"), job.args["glue_database"], job.lake, job.run_id)
        log.info("registered %s in Glue database %s", ", ".join(tables), job.args["glue_database"])
    if job.args["WORKFLOW_NAME"]:
        import boto3

        from transforms.publish.run_metrics import put_run_metrics

        put_run_metrics(boto3.client("cloudwatch"), job.args["WORKFLOW_NAME"], report)
    if job.args["sns_topic_arn"]:
        import boto3

        from transforms.publish.notify import publish_summary

        publish_summary(boto3.client("sns"), job.args["sns_topic_arn"], report)
        log.info("run summary published to %s", job.args["sns_topic_arn"])
    if job.args["notify_from"]:
        import boto3

        from transforms.publish.source_notices import send_source_notices

        send_source_notices(boto3.client("ses"), job.args["notify_from"], report, job.sources)
