"""The Glue path of the runtime, with stand-ins for the parts of awsglue that need Glue's JVM classes."""

import sys
import types

import boto3
import pytest
from moto import mock_aws
from pyspark.context import SparkContext

from glue_jobs.job_context import begin

REGISTRY = """sources:
  - id: city-open-data
    title: City open data
    organization: City
    url: https://data.example.org/data.json
    type: datajson
    schema: dcatus1.1-non-federal
"""


class StandInSession:
    """The SparkSession a GlueContext hands out, without the JVM: remembers the settings a job sets."""

    def __init__(self, spark_context):
        self.spark_context, self.settings = spark_context, {}
        self.conf = types.SimpleNamespace(set=self.settings.__setitem__)


class StandInGlueContext:
    """awsglue.context.GlueContext without the JVM: remembers the SparkContext it wraps."""

    def __init__(self, spark_context):
        self.spark_context = spark_context
        self.spark_session = StandInSession(spark_context)


class StandInJob:
    """awsglue.job.Job without the JVM: records init and commit."""

    created: list["StandInJob"] = []

    def __init__(self, glue_context):
        self.glue_context, self.inits, self.commits = glue_context, [], 0
        StandInJob.created.append(self)

    def init(self, job_name, options):
        self.inits.append((job_name, options))

    def commit(self):
        self.commits += 1


@pytest.fixture
def on_glue(monkeypatch):
    """A process that looks like a Glue job run: GLUE_VERSION set, GlueContext and Job stand-ins, no Spark."""
    monkeypatch.setenv("GLUE_VERSION", "5.0")
    for name, attribute, stand_in in (
        ("awsglue.context", "GlueContext", StandInGlueContext),
        ("awsglue.job", "Job", StandInJob),
    ):
        module = types.ModuleType(name)
        setattr(module, attribute, stand_in)
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(SparkContext, "getOrCreate", lambda: "the SparkContext Glue started")
    StandInJob.created.clear()
    return StandInJob.created


@mock_aws
def test_a_glue_job_inits_the_job_with_glues_options_and_commits_once_at_the_end(
    on_glue, tmp_path, monkeypatch
):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3").create_bucket(Bucket="lake")  # extract takes the lake lock and pins the run there
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY)
    argv = [
        "extract.py",
        "--JOB_NAME",
        "harvest-extract",
        "--JOB_ID",
        "j_1",
        "--JOB_RUN_ID",
        "jr_1",
        "--job-bookmark-option",
        "job-bookmark-disable",
        "--TempDir",
        "s3://artifacts/tmp/",
        "--lake",
        "s3://lake",
        "--sources",
        str(registry),
        "--force",
        "true",
        "--only-sources",
        "",
        "--enable-metrics",
        "true",
        "--additional-python-modules",
        "lxml==6.1.3",
    ]

    job = begin("extract", argv)
    assert (
        not on_glue
    )  # the session, and Glue's Job, start on first use: a stage with nothing to do starts none

    spark = job.spark
    (glue_job,) = on_glue
    assert spark is glue_job.glue_context.spark_session
    # The batch bounds are session settings, so the job sets them on Glue's session too, and so is
    # interpreting the expressions of a run of few records (one new source)
    assert job.spark.settings == {
        "spark.sql.execution.arrow.maxRecordsPerBatch": "1000",
        "spark.sql.parquet.columnarReaderBatchSize": "1024",
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    }
    assert glue_job.glue_context.spark_context == "the SparkContext Glue started"
    ((name, options),) = glue_job.inits
    assert name == "harvest-extract"
    # Glue's own options, as getResolvedOptions resolves them, not the harvest's arguments
    assert options["JOB_NAME"] == "harvest-extract" and options["JOB_RUN_ID"] == "jr_1"
    assert (
        options["job_bookmark_option"] == "job-bookmark-disable"
        and options["TempDir"] == "s3://artifacts/tmp/"
    )
    assert "lake" not in options and "force" not in options
    assert all(isinstance(value, str) for value in options.values() if value is not None)
    assert job.args["force"] is True and job.args["lake"] == "s3://lake"
    assert [source.id for source in job.sources] == ["city-open-data"]
    assert glue_job.commits == 0

    job.finish(records=0)

    assert glue_job.commits == 1


def test_the_master_comes_from_harvest_spark_master_and_local_cores_follow_it(monkeypatch):
    from glue_jobs.runtime import cluster_config, master_and_cores

    monkeypatch.delenv("HARVEST_SPARK_MASTER", raising=False)
    assert master_and_cores(3) == ("local[3]", 3)
    monkeypatch.setenv("HARVEST_SPARK_MASTER", "local[1]")
    assert master_and_cores(3) == ("local[1]", 1)
    assert cluster_config("local[1]") == {}


def test_a_cluster_master_gives_executors_their_memory_and_this_checkout(monkeypatch):
    from glue_jobs.runtime import PROJECT_ROOT, cluster_config, master_and_cores

    monkeypatch.setenv("HARVEST_SPARK_MASTER", "spark://127.0.0.1:7077")
    monkeypatch.setenv("HARVEST_EXECUTOR_MEMORY", "1g")
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    assert master_and_cores(4) == ("spark://127.0.0.1:7077", 4)
    config = cluster_config("spark://127.0.0.1:7077")
    assert config["spark.executor.memory"] == "1g"
    assert config["spark.executorEnv.PYTHONPATH"].split(":") == [str(PROJECT_ROOT), "/elsewhere"]
    assert (PROJECT_ROOT / "glue_jobs" / "runtime.py").is_file()
