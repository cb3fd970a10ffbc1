"""Class data sharing (Java 17 AppCDS) for the local Spark driver's JVM.

Each JVM start loads, parses and verifies the same several thousand Spark classes from ~250 jars:
about half of the CPU a local session takes to become ready. A dynamic archive of those classes,
written once per installation by a JVM run with ``-XX:ArchiveClassesAtExit``, is mapped instead
by every later driver (``-XX:SharedArchiveFile``).

The archive fits one classpath and one JDK exactly, so its name is a digest of both (the jars'
names, sizes and times, the JDK's module image): a changed PySpark or JDK gets an archive of its
own. It lives in the virtual environment that runs the driver (``<venv>/spark-class-data``),
which is what fixes the jars, or else in the user's cache folder. A JVM that finds the archive
unusable says so and runs without it (checked: mismatched classpath, another JDK, a zeroed file),
so those warnings are silenced. One
thing it cannot survive is a truncated archive (the JVM crashes), hence an archive only ever
appears whole: written under a temporary name by a JVM that exited cleanly, then renamed.
"""

import contextlib
import fcntl
import hashlib
import logging
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from transforms.isolation import bounded

log = logging.getLogger(__name__)

ARCHIVE_FOLDER = "spark-class-data"
# The first four bytes of a dynamic archive (little-endian 0xf00baba8); written last by the JVM.
DYNAMIC_ARCHIVE_MAGIC = bytes.fromhex("a8ab0bf0")
# The JVM's own notes on archives (an unusable one, classes it leaves out while writing): no action
# follows from them, a run goes on the same either way.
QUIET = "-Xlog:cds*=off"
# Environment variables Spark's launcher puts on the driver's classpath.
CLASSPATH_VARIABLES = ("SPARK_CONF_DIR", "SPARK_DIST_CLASSPATH", "HADOOP_CONF_DIR", "YARN_CONF_DIR")
# Making the archive is one JVM doing the workload below; far longer means something is wrong.
MAKE_TIMEOUT_SECONDS = 600
# A failed making is remembered under this suffix, named by the maker's revision: a marker an earlier
# maker left for its own fault does not stop this one (2: the archive's path is quoted for the
# launcher; before, a venv under a path with a space failed every time).
FAILED_SUFFIX = ".failed-2"

# What a harvest's driver loads besides starting: SQL with generated code, a shuffle, Parquet and
# JSON files, Arrow to and from Python workers. Classes it does not load are loaded as usual.
WORKLOAD = """
import sys
import pandas as pd
from pyspark.sql import SparkSession, functions as F

spark = SparkSession.builder.getOrCreate()
folder = sys.argv[1]
frame = spark.createDataFrame([(i, f"text {i}") for i in range(200)], "id long, text string")


def lengths(batches):
    for batch in batches:
        yield pd.DataFrame({"id": batch["id"], "length": batch["text"].str.len()})


counts = frame.groupBy((F.col("id") % 7).alias("group")).agg(F.count("*").alias("records"))
counts.write.parquet(f"{folder}/counts")
frame.mapInPandas(lengths, "id long, length long").write.json(f"{folder}/lengths")
joined = spark.read.parquet(f"{folder}/counts").join(spark.read.json(f"{folder}/lengths"), F.col("group") == F.col("id"))
joined.toPandas()
spark.stop()
"""


def spark_home() -> Path:
    """The Spark installation PySpark launches its driver from (``SPARK_HOME``, else PySpark's own)."""
    from pyspark.find_spark_home import _find_spark_home

    return Path(_find_spark_home())


def java_home() -> Path | None:
    """The JDK Spark's launcher runs (``JAVA_HOME``, else the ``java`` on PATH), or None without one."""
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"]).resolve()
    java = shutil.which("java")
    return Path(java).resolve().parents[1] if java else None


def archive_folder() -> Path:
    """Where archives are kept: in the virtual environment that runs the driver (whose jars they fit),
    else in the user's cache folder (never under a system Python's prefix)."""
    if sys.prefix != sys.base_prefix:
        return Path(sys.prefix) / ARCHIVE_FOLDER
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "glue-harvester" / ARCHIVE_FOLDER


def archive_path(spark: Path, java: Path) -> Path:
    """Where the archive for this Spark installation and JDK lives: named by a digest of what it must match."""
    digest = hashlib.sha256()
    modules = java / "lib" / "modules"
    stat = modules.stat() if modules.exists() else None
    digest.update(f"{java}|{stat and (stat.st_size, stat.st_mtime_ns)}|{spark.resolve()}".encode())
    for jar in sorted((spark / "jars").glob("*.jar")):
        stat = jar.stat()
        digest.update(f"|{jar.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for name in CLASSPATH_VARIABLES:
        digest.update(f"|{name}={os.environ.get(name, '')}".encode())
    return archive_folder() / f"spark-{digest.hexdigest()[:20]}.jsa"


def is_whole(archive: Path) -> bool:
    """True when ``archive`` is a dynamic archive the JVM finished writing (it writes the header last)."""
    try:
        with archive.open("rb") as file:
            return file.read(4) == DYNAMIC_ARCHIVE_MAGIC
    except OSError:
        return False


def driver_java_options() -> str:
    """The driver's JVM options for class data sharing: the archive, made first if there is none yet.

    Empty when it cannot be had (no JDK found, an environment that cannot be written, a JVM that
    failed to write it): a run never depends on it. A failed attempt is remembered beside the
    archive's name, so that it is not repeated at every start.
    """
    java = java_home()
    if java is None:
        return ""
    try:
        archive = archive_path(spark_home(), java)
        if not is_whole(archive) and not archive.with_suffix(FAILED_SUFFIX).exists():
            make_archive(archive)
    except OSError as error:
        log.debug("no class data archive: %s", error)
        return ""
    return f"{archive_option('SharedArchiveFile', archive)} {QUIET}" if is_whole(archive) else ""


def archive_option(name: str, archive: Path) -> str:
    """The JVM option ``-XX:<name>=<archive>``, quoted for Spark's launcher.

    The launcher splits ``--driver-java-options`` as a shell does: an archive under a path with a space
    would otherwise hand the JVM a stray argument, and the JVM would not start.
    """
    return shlex.quote(f"-XX:{name}={archive}")


def make_archive(archive: Path) -> None:
    """Write ``archive`` with one spark-submit of the workload, once however many processes ask at once.

    Processes that ask together wait on a lock for the first; the JVM writes a temporary file at its
    exit, which becomes the archive by a rename once that JVM has exited cleanly. Archives of other
    digests in the folder (another PySpark or JDK before) are removed.
    """
    from glue_jobs.runtime import log4j_option  # runtime imports this module

    archive.parent.mkdir(parents=True, exist_ok=True)
    with (archive.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_whole(archive):
            return
        for leftover in archive.parent.glob(
            "*.partial"
        ):  # of a maker that died: only the lock's holder writes one
            leftover.unlink(missing_ok=True)
        partial = archive.with_name(f"{archive.stem}.{os.getpid()}.partial")
        with tempfile.TemporaryDirectory(prefix="class-data-") as work:
            script = Path(work) / "workload.py"
            script.write_text(WORKLOAD, encoding="utf-8")
            command = [
                str(spark_home() / "bin" / "spark-submit"),
                "--master",
                "local[2]",
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.sql.execution.arrow.pyspark.enabled=true",
                "--driver-java-options",
                # Spark's own logging as quiet as a session's: a failure's last line is then its reason.
                f"{archive_option('ArchiveClassesAtExit', partial)} {QUIET} {shlex.quote(log4j_option())}",
                str(script),
                str(Path(work) / "output"),
            ]
            environment = {
                **os.environ,
                "PYSPARK_PYTHON": sys.executable,
                "PYSPARK_DRIVER_PYTHON": sys.executable,
            }
            environment.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            log.info("writing the JVM's class data archive (once per installation): %s", archive)
            try:
                finished = subprocess.run(
                    command,
                    cwd=work,
                    env=environment,
                    stdin=subprocess.DEVNULL,
                    # The JVM writes why it could not make an archive to stdout, Python's traceback to stderr.
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    timeout=MAKE_TIMEOUT_SECONDS,
                )
                made, why = finished.returncode, last_line(finished.stdout)
            except subprocess.TimeoutExpired:  # its text would name the whole command
                made, why = -1, f"stopped after {MAKE_TIMEOUT_SECONDS} s"
            except OSError as error:
                made, why = -1, str(error)
        if made == 0 and is_whole(partial):
            for other in archive.parent.glob("spark-*.jsa"):
                other.unlink(missing_ok=True)  # a JVM that mapped it keeps its mapping
            os.replace(partial, archive)
        else:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            marker = archive.with_suffix(FAILED_SUFFIX)
            said = "its JVM wrote no whole archive" if made == 0 else f"spark-submit exited {made}"
            reason = bounded(f"{said}: {why}" if why else said)
            marker.write_text(f"{reason}\n", encoding="utf-8")
            # Once per installation: later starts read the marker and go on without an archive.
            log.warning(
                "no class data archive (every local start takes 2-3 s longer): %s; delete %s to try again",
                reason,
                marker,
            )


def last_line(output: bytes | None) -> str:
    """The last non-empty line a failed making wrote: the JVM's or Python's own reason (such as "Cannot
    have non-empty directory in paths", when a Spark configuration folder is on the classpath, which
    the JVM cannot archive)."""
    lines = (output or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip() if lines else ""
