"""The one place that knows whether a job runs on AWS Glue or in plain PySpark.

On Glue it builds a GlueContext and a Job (so bookmarks, metrics and job commit work);
elsewhere a plain local SparkSession, quiet and bound to 127.0.0.1. No stage logic
touches either: jobs get a SparkSession and a ``commit`` callable.
"""

import atexit
import contextlib
import importlib.util
import logging
import os
import shlex
import sys
import threading
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pyspark import SparkContext
from pyspark.sql import SparkSession

from glue_jobs import class_data
from glue_jobs.jvm_names import remember_jvm_names
from transforms.background import start_in_background

WORKER_DAEMON = "glue_jobs.spark_worker_daemon"
MASTER_ENV = "HARVEST_SPARK_MASTER"
# The level of the JVM's console log (log4j2.properties) for a JVM started while it is set; default error.
JVM_LOG_LEVEL_ENV = "HARVEST_JVM_LOG_LEVEL"
# The checkout (or site-packages) holding glue_jobs and transforms: put first on executors' Python path.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger(__name__)
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


@cache
def log4j_config() -> str:
    """The quiet log4j2 config as a file the JVM can read: the package's own, or a temporary copy of it
    when the package is imported from an archive (a zip on the Python path has no files to point at)."""
    resource = resources.files("glue_jobs") / "log4j2.properties"
    return str(_extracted.enter_context(resources.as_file(resource)))


def log4j_option(config: str | Path | None = None) -> str:
    """The JVM option naming a log4j2 config file: ``config``, else the package's quiet one (unquoted)."""
    return f"-Dlog4j2.configurationFile=file:{config or log4j_config()}"


def worker_daemon_module() -> str | None:
    """The local worker daemon when Python workers can start it, else None (PySpark's own daemon).

    Workers start the daemon with ``python -m`` before any task adds ``spark.submit.pyFiles`` to
    their path, so it must be a file on disk: with the project in an archive (spark-submit
    ``--py-files``, as on Glue) it is not, and naming it would make every worker fail to start.
    """
    spec = importlib.util.find_spec(WORKER_DAEMON)
    return WORKER_DAEMON if spec is not None and spec.origin and Path(spec.origin).is_file() else None


def on_glue() -> bool:
    """True inside an AWS Glue job run (the awsglue JVM classes are there)."""
    return "GLUE_VERSION" in os.environ or os.environ.get("AWS_EXECUTION_ENV", "").startswith("AWS_Glue")


def master_and_cores(cores: int | None = None) -> tuple[str, int]:
    """The Spark master (``HARVEST_SPARK_MASTER``, else ``local[<cores>]``) and the cores it runs tasks on.

    ``local[N]`` has N cores and ``local[*]`` this machine's. A ``spark://`` cluster's size is not
    known before its executors register, so there it is ``cores``, else this machine's cores (the
    standalone cluster of ``devtools.spark_cluster`` runs on this machine).
    """
    machine = os.cpu_count() or 2
    master = os.environ.get(MASTER_ENV) or f"local[{cores or machine}]"
    local_cores = master[len("local[") : -1] if master.startswith("local[") else ""
    if local_cores.isdigit():
        return master, int(local_cores)
    return master, cores or machine


def cluster_config(master: str) -> dict[str, str]:
    """What executors on a ``spark://`` master need; nothing for a local master.

    Executors are separate JVMs with their own Python workers: they get the executor memory
    (``HARVEST_EXECUTOR_MEMORY``), this checkout first on their Python path (so a worktree or
    PYTHONPATH run executes the same code as its driver, not an editable install's) and loopback
    addresses. Their Python workers run the driver's PYSPARK_PYTHON, which each task carries.
    """
    if not master.startswith("spark://"):
        return {}
    python_path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    return {
        "spark.executor.memory": os.environ.get("HARVEST_EXECUTOR_MEMORY", "2g"),
        "spark.executorEnv.PYTHONPATH": python_path,
        "spark.executorEnv.SPARK_LOCAL_IP": "127.0.0.1",
    }


def local_spark(app_name: str = "harvest", cores: int | None = None, brief: bool = False) -> SparkSession:
    """A SparkSession configured like the tests and `make run` expect (reused if one exists).

    Its master is ``HARVEST_SPARK_MASTER`` when set (``local[2]``, ``spark://127.0.0.1:7077``),
    else ``local[<cores>]`` with ``cores`` defaulting to this machine's. ``brief``: the JVM will do
    little (see BRIEF_SESSION_JIT); it matters only when this call starts the JVM.
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    remember_jvm_names()
    # Python workers must be this interpreter, with the pinned pandas/pyarrow, not whatever is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master, cores = master_and_cores(cores)
    config = log4j_config()
    level = os.environ.get(JVM_LOG_LEVEL_ENV, "error")
    # One string that Spark's launcher splits as a shell does: a checkout under a path with a space, or
    # an odd log level, stays one option each (class_data quotes the archive's likewise).
    java_options = shlex.join(
        [
            log4j_option(config),
            f"-Dlog4j.configurationFile=file:{config}",
            f"-Dharvest.jvm.log.level={level}",
        ]
    )
    if brief:
        java_options += f" {BRIEF_SESSION_JIT}"
    # The driver's JVM only: a cluster's executors start from their own classpath, which the archive would not fit.
    driver_options = f"{java_options} {class_data_options()}".rstrip()
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(4, cores * 2)))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", os.environ.get("HARVEST_DRIVER_MEMORY", DRIVER_MEMORY))
        .config("spark.driver.extraJavaOptions", driver_options)
        .config("spark.executor.extraJavaOptions", java_options)
    )
    for key, value in cluster_config(master).items():
        builder = builder.config(key, value)
    daemon = worker_daemon_module()
    if daemon:
        builder = builder.config("spark.python.daemon.module", daemon)
    if threading.current_thread() is not threading.main_thread():
        return builder.getOrCreate()
    return _start_off_the_main_thread(builder)


def class_data_options() -> str:
    """The class data archive's options (glue_jobs.class_data) for a driver JVM this process will start;
    empty when its JVM is running already, where JVM options are too late.

    Under spark-submit (the Glue emulation's jobs) the JVM starts before the script does, and in a
    process whose session stopped it stays up. Asking then cost the emulation's first job a whole
    archive made for nothing, by one more spark-submit (about 36 s on 2 cores): the job's environment,
    which spark-submit sets SPARK_CONF_DIR in, names an archive of its own.
    """
    if SparkContext._gateway is not None or "PYSPARK_GATEWAY_PORT" in os.environ:
        return ""
    return class_data.driver_java_options()


def start_local_session_in_background(app_name: str, brief: bool = False) -> None:
    """Start ``local_spark`` on a thread of its own and return at once, for a stage of this process that
    will ask for the session soon: its own ``local_spark`` then waits for this start instead of making
    its own. Nothing on Glue (each job is a process with its own JVM) or when a session is up already.
    A start that fails is left for that stage's own start to raise again.
    """
    if on_glue() or SparkContext._active_spark_context is not None:
        return
    start_in_background("start-spark-early", lambda: local_spark(app_name, brief=brief))


@contextlib.contextmanager
def jvm_console_level(level: str):
    """While the block runs, a JVM started in it logs to the console at ``level`` (log4j: off, error, ...)."""
    previous = os.environ.get(JVM_LOG_LEVEL_ENV)
    os.environ[JVM_LOG_LEVEL_ENV] = level
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(JVM_LOG_LEVEL_ENV, None)
        else:
            os.environ[JVM_LOG_LEVEL_ENV] = previous


def _start_off_the_main_thread(builder: SparkSession.Builder) -> SparkSession:
    """``builder.getOrCreate()`` on a thread of its own while the main thread waits for it.

    A SparkContext created on the main thread installs PySpark's SIGINT handler, which cancels jobs
    through py4j from inside the handler and fails mid-call ("reentrant call", harvest_cli.interrupts);
    created on another thread it installs none. So the caller's handler stays in force from the first
    moment, while the JVM starts too: a run's own when a stage starts the session mid-run (Ctrl-C then
    ends the wait with KeyboardInterrupt, and the half-started JVM ends with this process), else
    Python's.
    """
    outcome: dict[str, Any] = {}

    def start() -> None:
        try:
            outcome["session"] = builder.getOrCreate()
        except BaseException as error:  # noqa: BLE001 - raised again on the main thread
            outcome["error"] = error

    starter = threading.Thread(target=start, name="start-spark", daemon=True)
    starter.start()
    starter.join()  # a signal's handler runs here, and what it raises ends the wait
    if "error" in outcome:
        raise outcome["error"]
    session: SparkSession = outcome["session"]
    # The JVM keeps the active session per thread (py4j pins each Python thread to one of its own):
    # make it this thread's as well, as getOrCreate on this thread would have.
    jvm = session._jvm
    assert jvm is not None  # a started session has its JVM
    jvm.SparkSession.setActiveSession(session._jsparkSession)
    return session


# The local driver's heap. 3 GiB holds a 430,000-record harvest on 2 cores (every cache that holds
# record text is on disk); sampled per process, the JVM added up to 0.4 GiB off the heap, the driver's
# Python 0.6 GiB and the Python workers up to 0.7 GiB (BENCHMARKS.md).
# Glue sizes its driver from the worker type instead.
DRIVER_MEMORY = "3g"

# The JIT of a JVM that will do little, such as a repeat run's (transforms.repeat_run), a small run's
# (job_context.BRIEF_RUN_RECORDS) or a run of data.json records (job_context.BRIEF_DATAJSON_RECORDS):
# C1 only. C2 recompiling the hot parts of Spark's short jobs is CPU taken from the work on 2 cores
# (45 of the 123 CPU-s of a 100,000-record first harvest, benchmarks/bench_floor.py), and a
# 100,000-record repeat in a fresh process took 19 s with C1 alone against 24 s (medians of 3). Not for
# every session: long JVM work needs C2 (a 430,000-record first harvest of mixed catalogs, three
# quarters XML documents, took 582 s with C1 alone, 464 s without). Local sessions only; Glue starts
# its own JVMs.
BRIEF_SESSION_JIT = "-XX:TieredStopAtLevel=1"

# The Spark SQL of a job that will see few rows (job_context.BRIEF_RUN_RECORDS): expressions evaluated
# as they are, instead of generating Java for each query and compiling it with Janino (about 7% of the
# JVM's CPU in `make run`'s harvest), which costs more than it saves on a few rows. The same results
# either way, as Spark tests both paths against each other; only the speed differs. Four interleaved
# pairs of `make run`'s harvest: 26.8-31.5 -> 22.9-28.7 CPU-seconds (about 13% less), 19.8-23.4 ->
# 17.1-21.4 s wall. Not for a repeat, brief as its JVM is: it still compares every record's hash.
# factoryMode is an internal setting of Spark's, read by every expression factory that has an
# interpreted fallback. Session settings: they apply on Glue as well.
FEW_ROWS_SQL = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}

# Batches sized for the largest rows the jobs carry (ISO documents of up to ~100 KB), not Spark's
# defaults (10,000 rows to Python, 4,096 rows per Parquet read): with 60 KB documents those
# defaults put 0.25-0.6 GB in one batch, per task, and peak memory followed the documents' size.
BOUNDED_BATCHES = {
    "spark.sql.execution.arrow.maxRecordsPerBatch": "1000",
    "spark.sql.parquet.columnarReaderBatchSize": "1024",
}


def start_job(
    job_name: str, argv: list[str] | None = None, brief: bool = False, few_rows: bool = False
) -> tuple[SparkSession, Callable[[], None]]:
    """Return (spark, commit): a Glue-backed session and Job.commit on Glue, a local session elsewhere
    (``brief``: see local_spark; ``few_rows``: the job will see few rows, see FEW_ROWS_SQL)."""
    if on_glue():
        spark, commit = _glue_job(list(sys.argv if argv is None else argv))
    else:
        spark, commit = local_spark(f"harvest-{job_name}", brief=brief), lambda: None
    for key, value in BOUNDED_BATCHES.items():  # session settings: they apply on Glue as well
        spark.conf.set(key, value)
    for key, value in FEW_ROWS_SQL.items():  # either way: an earlier run of this process may have been few
        if few_rows:
            spark.conf.set(key, value)
        else:
            spark.conf.unset(key)
    return spark, commit


def _glue_job(argv: list[str]) -> tuple[SparkSession, Callable[[], None]]:
    """GlueContext and Job as AWS's job template builds them (only inside Glue: they need Glue's JVM classes).

    Job.init gets Glue's own resolved options (JOB_NAME, JOB_RUN_ID, the bookmark option, TempDir; all
    strings), which is what its JVM side reads, not the harvest's arguments.
    """
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    remember_jvm_names()
    options = getResolvedOptions(argv, ["JOB_NAME"])
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(options["JOB_NAME"], options)
    return glue_context.spark_session, job.commit
