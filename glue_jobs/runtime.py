"""The one place that knows whether a job runs on AWS Glue or in plain PySpark.

On Glue it builds a GlueContext and a Job (so bookmarks, metrics and job commit work);
elsewhere a plain local SparkSession, quiet and bound to 127.0.0.1. No stage logic
touches either: jobs get a SparkSession and a ``commit`` callable.
"""

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from pyspark.sql import SparkSession

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")
log = logging.getLogger(__name__)


def on_glue() -> bool:
    """True inside an AWS Glue job run (the awsglue JVM classes are there)."""
    return "GLUE_VERSION" in os.environ or os.environ.get("AWS_EXECUTION_ENV", "").startswith("AWS_Glue")


def local_spark(app_name: str = "harvest", cores: int | None = None) -> SparkSession:
    """A local SparkSession configured like the tests and `make run` expect (reused if one exists)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers must be this interpreter, with the pinned pandas/pyarrow, not whatever is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    cores = cores or os.cpu_count() or 2
    java_options = (
        f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG} -Dlog4j.configurationFile=file:{LOG4J_CONFIG}"
    )
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(4, cores * 2)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.python.daemon.module", "glue_jobs.spark_worker_daemon")
        .config("spark.driver.memory", os.environ.get("HARVEST_DRIVER_MEMORY", "4g"))
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.executor.extraJavaOptions", java_options)
        .getOrCreate()
    )


def start_job(job_name: str, args: dict) -> tuple[SparkSession, Callable[[], None]]:
    """Return (spark, commit): a Glue-backed session and Job.commit on Glue, a local session elsewhere."""
    if on_glue():
        from awsglue.context import GlueContext  # only importable inside Glue
        from awsglue.job import Job
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        job = Job(glue_context)
        job.init(args.get("JOB_NAME", job_name), args)
        return glue_context.spark_session, job.commit
    return local_spark(f"harvest-{job_name}"), lambda: None
