"""The Glue emulation end to end: five spark-submits of the packaged jobs, the project only as a zip on the
Python path, Glue's arguments and run properties, and the same catalog as `make run` publishes."""

import json
import subprocess

import pytest

from devtools.glue_python import default_glue_version
from devtools.glue_submit import glue_submit_run, glue_venv, glue_venv_class_data_options, job_environment
from devtools.local_http import free_port
from devtools.package import build_package
from devtools.published_catalog import published_records
from devtools.run_samples import run_samples
from glue_jobs.class_data import ARCHIVE_FOLDER
from tests.conftest import ROOT
from transforms.lake.catalog_state import read_pointer, version_uri

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def samples_port(monkeypatch):
    """One free port for both harvests: WAF records are identified by their URL, port included."""
    port = free_port()
    monkeypatch.setattr("devtools.run_samples.SAMPLES_PORT", port)
    return port


def test_the_jobs_run_as_glue_runs_them_and_publish_what_make_run_publishes(tmp_path, samples_port):
    package = build_package(tmp_path / "dist")
    progress = []
    # The Glue virtual environment (the stack's default Glue version) is built once (about 40 s) and
    # kept in the checkout, as make does.
    venv = ROOT / glue_venv(default_glue_version())
    run = glue_submit_run(
        tmp_path / "lake-glue",
        package.archive.parent,
        venv,
        tmp_path / "work",
        glue_version=default_glue_version(),
        force=True,
        on_progress=progress.append,
    )
    assert run.failed_stage is None, "\n".join(progress)
    # In a job's environment nothing but the archive can provide the project.
    python = venv / "bin" / "python"
    probe = "import importlib.util as u; print(u.find_spec('transforms'), u.find_spec('glue_jobs'))"
    found = subprocess.run(
        [str(python), "-c", probe],
        cwd=run.logs,
        env=job_environment(python, "http://127.0.0.1:9"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.split() == ["None", "None"]
    assert list(run.seconds) == ["extract", "compare", "transform", "validate", "load"]
    # The jobs' JVMs were given the Glue venv's own class data archive, made by the first run, and no
    # job made another (a new one replaces the others).
    archives = list((venv / ARCHIVE_FOLDER).glob("*.jsa"))
    options = glue_venv_class_data_options(python, job_environment(python, "http://127.0.0.1:9")).split()
    assert len(archives) == 1 and f"-XX:SharedArchiveFile={archives[0]}" in options

    glue_lake = str(tmp_path / "lake-glue")
    report = json.loads((tmp_path / "lake-glue" / "runs" / run.run_id / "report" / "report.json").read_text())
    assert report["status"] == "succeeded"
    # --force is "false" in every job's DefaultArguments: true can only come from the workflow run's properties.
    assert report["force"] is True
    version = read_pointer(glue_lake)["version"]
    assert version == run.run_id
    # The load job registered the catalog in the (moto) Glue Data Catalog, as it does on AWS.
    assert run.tables["catalog_records"].rstrip("/") == version_uri(glue_lake, version)

    assert run_samples(str(tmp_path / "lake-run")) == 0
    published = published_records(glue_lake)
    assert published and published == published_records(str(tmp_path / "lake-run"))
