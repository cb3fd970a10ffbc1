"""The driver's class data archive: named by what it must match, made once, used only when whole.

A stand-in spark-submit plays the JVM (writing what ``-XX:ArchiveClassesAtExit`` names, or failing),
so these run without Java; that a real JVM maps the archive and shrugs off a stale one was checked
by hand (glue_jobs.class_data's module doc).
"""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from glue_jobs import class_data
from tests.conftest import ROOT

# The stand-in: records each call, then writes the archive it is asked for (with the given first bytes).
# It splits --driver-java-options as Spark's launcher does, like a shell (quotes group, spaces separate).
# A shell script runs it, so that an interpreter under a path with a space still starts (a #! line would not).
FAKE_SUBMIT = """#!/bin/sh
exec {python} - "$@" <<'STAND_IN'
import shlex, sys
with open({calls!r}, "a") as calls:
    calls.write("called\\n")
arguments = sys.argv[1:]
for option in shlex.split(arguments[arguments.index("--driver-java-options") + 1]):
    if option.startswith("-XX:ArchiveClassesAtExit="):
        with open(option.partition("=")[2], "wb") as archive:
            archive.write({first_bytes!r} + b"rest of the archive")
if {code}:  # as the JVM ends a making it cannot do (a folder with files on the classpath)
    sys.stderr.write("Error occurred during initialization of VM\\nCannot have non-empty directory in paths\\n")
sys.exit({code})
STAND_IN
"""
WHOLE = class_data.DYNAMIC_ARCHIVE_MAGIC  # the dynamic archive's magic, as the JVM writes it last
ZEROED = bytes(4)


@pytest.fixture
def installation(tmp_path, monkeypatch):
    """A Spark home with two jars, a JDK and an environment to keep the archive in, all under tmp_path."""
    spark, java, environment = tmp_path / "spark", tmp_path / "jdk", tmp_path / "venv"
    (spark / "jars").mkdir(parents=True)
    (spark / "bin").mkdir()
    for jar in ("spark-core.jar", "spark-sql.jar"):
        (spark / "jars" / jar).write_bytes(b"classes")
    (java / "lib").mkdir(parents=True)
    (java / "lib" / "modules").write_bytes(b"the JDK's classes")
    environment.mkdir()
    monkeypatch.setattr(class_data, "spark_home", lambda: spark)
    monkeypatch.setattr(class_data, "java_home", lambda: java)
    monkeypatch.setattr(sys, "prefix", str(environment))
    return spark, java, environment


def fake_submit(spark: Path, code: int = 0, first_bytes: bytes = WHOLE) -> Path:
    """Install the stand-in spark-submit; returns the file it appends a line to per call."""
    calls = spark / "calls"
    script = spark / "bin" / "spark-submit"
    script.write_text(
        FAKE_SUBMIT.format(
            python=shlex.quote(sys.executable), calls=str(calls), code=code, first_bytes=first_bytes
        )
    )
    script.chmod(0o755)
    return calls


def test_the_archive_is_named_by_the_jars_and_the_jdk_it_fits(installation):
    spark, java, environment = installation
    first = class_data.archive_path(spark, java)
    assert first.parent == environment / class_data.ARCHIVE_FOLDER
    assert class_data.archive_path(spark, java) == first
    (spark / "jars" / "spark-sql.jar").write_bytes(b"other classes")
    second = class_data.archive_path(spark, java)
    (java / "lib" / "modules").write_bytes(b"another JDK's classes")
    assert len({first, second, class_data.archive_path(spark, java)}) == 3


def test_the_first_start_makes_the_archive_and_later_ones_use_it(installation):
    spark, java, _ = installation
    calls = fake_submit(spark)
    archive = class_data.archive_path(spark, java)
    assert class_data.driver_java_options() == f"-XX:SharedArchiveFile={archive} {class_data.QUIET}"
    assert class_data.driver_java_options() == f"-XX:SharedArchiveFile={archive} {class_data.QUIET}"
    assert calls.read_text().splitlines() == ["called"]
    assert [path.name for path in archive.parent.glob("*.jsa")] == [archive.name]
    assert not list(archive.parent.glob("*.partial"))


def test_a_new_archive_replaces_the_one_of_other_jars(installation):
    spark, java, _ = installation
    fake_submit(spark)
    old = class_data.archive_path(spark, java)
    class_data.driver_java_options()
    (spark / "jars" / "spark-sql.jar").write_bytes(b"other classes")
    class_data.driver_java_options()
    assert [path.name for path in old.parent.glob("*.jsa")] == [class_data.archive_path(spark, java).name]


@pytest.mark.parametrize(("code", "first_bytes"), [(1, WHOLE), (0, ZEROED)])
def test_a_failed_making_leaves_no_archive_and_is_not_repeated(installation, code, first_bytes):
    spark, java, _ = installation
    calls = fake_submit(spark, code=code, first_bytes=first_bytes)
    assert class_data.driver_java_options() == ""
    assert class_data.driver_java_options() == ""
    assert calls.read_text().splitlines() == ["called"]
    archive = class_data.archive_path(spark, java)
    assert not list(archive.parent.glob("*.jsa"))
    # The marker says why, in the JVM's own words when it gave any.
    assert archive.with_suffix(class_data.FAILED_SUFFIX).read_text() == (
        "spark-submit exited 1: Cannot have non-empty directory in paths\n"
        if code
        else "its JVM wrote no whole archive\n"
    )


def test_a_failure_an_earlier_maker_left_does_not_stop_this_one(installation):
    """A venv under a path with a space holds the marker of the maker that did not quote the path."""
    spark, java, _ = installation
    archive = class_data.archive_path(spark, java)
    archive.parent.mkdir()
    archive.with_suffix(".failed").write_text("spark-submit exited 1\n")
    calls = fake_submit(spark)
    assert class_data.driver_java_options() == f"-XX:SharedArchiveFile={archive} {class_data.QUIET}"
    assert calls.read_text().splitlines() == ["called"]


def test_an_archive_the_jvm_did_not_finish_is_not_used(installation):
    spark, java, _ = installation
    archive = class_data.archive_path(spark, java)
    archive.parent.mkdir()
    archive.write_bytes(b"\0" * 64)  # a JVM writes the header, magic first, last of all
    assert not class_data.is_whole(archive)
    fake_submit(spark)
    assert class_data.driver_java_options() == f"-XX:SharedArchiveFile={archive} {class_data.QUIET}"
    assert class_data.is_whole(archive)


def test_an_environment_under_a_path_with_a_space_is_given_its_archive_as_one_option(
    installation, tmp_path, monkeypatch
):
    """The launcher splits the options as a shell does: both the maker's and the driver's archive option
    must come through whole (unquoted, the maker once failed and no archive was ever used)."""
    spark, java, _ = installation
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "my venvs é"))
    calls = fake_submit(spark)
    archive = class_data.archive_path(spark, java)
    options = class_data.driver_java_options()
    assert class_data.is_whole(archive)  # made through the stand-in, and renamed once whole
    assert shlex.split(options) == [f"-XX:SharedArchiveFile={archive}", class_data.QUIET]
    assert calls.read_text().splitlines() == ["called"]


def test_without_a_jdk_there_are_no_options(installation, monkeypatch):
    monkeypatch.setattr(class_data, "java_home", lambda: None)
    assert class_data.driver_java_options() == ""


def test_outside_a_virtual_environment_the_archive_goes_to_the_users_cache(
    installation, tmp_path, monkeypatch
):
    spark, java, _ = installation
    monkeypatch.setattr(sys, "prefix", sys.base_prefix)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    archive = class_data.archive_path(spark, java)
    assert archive.parent == tmp_path / "cache" / "glue-harvester" / class_data.ARCHIVE_FOLDER


def test_a_jvm_already_running_is_given_no_archive_and_none_is_made(monkeypatch):
    from pyspark import SparkContext

    from glue_jobs import runtime

    monkeypatch.setattr(class_data, "driver_java_options", lambda: "the archive's options")
    monkeypatch.setattr(SparkContext, "_gateway", None)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    assert runtime.class_data_options() == "the archive's options"  # this process starts the JVM

    def asked():
        raise AssertionError("an archive was asked for, for a JVM already started")

    monkeypatch.setattr(class_data, "driver_java_options", asked)
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "45123")  # spark-submit started it before the script
    assert runtime.class_data_options() == ""
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT")
    monkeypatch.setattr(SparkContext, "_gateway", object())  # an earlier session of this process did
    assert runtime.class_data_options() == ""


# A session started by a fresh process whose archive folder is ``argv[1]``: the archive this installation
# has (made first, or waited for, if another process is making it) is copied there under its own name.
START_UNDER = """
import shutil, sys
from pathlib import Path
from glue_jobs import class_data, runtime
folder = Path(sys.argv[1])
class_data.driver_java_options()
installed = class_data.archive_path(class_data.spark_home(), class_data.java_home())
class_data.archive_folder = lambda: folder
folder.mkdir(parents=True)
shutil.copy(installed, class_data.archive_path(class_data.spark_home(), class_data.java_home()))
session = runtime.local_spark("spaced", cores=1, brief=True)
print(session.range(3).count(), class_data.driver_java_options())
"""


@pytest.mark.slow
def test_a_venv_under_a_path_with_a_space_and_non_ascii_still_starts_its_session(tmp_path):
    """Spark's launcher splits JVM options as a shell does: an unquoted archive path with a space once
    handed the JVM a stray argument, and no session started (JAVA_GATEWAY_EXITED)."""
    folder = tmp_path / "my venvs é" / "spark-class-data"
    started = subprocess.run(
        [sys.executable, "-c", START_UNDER, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"},
    )
    assert started.returncode == 0, started.stderr[-2000:]
    count, options = started.stdout.split(" ", 1)
    assert count == "3"
    assert str(folder) in options  # the session was given the archive under that path
