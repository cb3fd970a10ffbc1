"""The job argument helper: optional arguments with defaults, Glue's workflow run id first."""

import pytest

from glue_jobs.arguments import JOB_ARGUMENTS, resolve_arguments


def test_defaults_fill_what_is_not_passed():
    args = resolve_arguments(["job.py", "--lake", "/tmp/lake", "--run-id", "r1"])
    assert args["lake"] == "/tmp/lake" and args["run_id"] == "r1"
    assert args["log_level"] == JOB_ARGUMENTS["log-level"] and args["force"] is False
    assert args["only_sources"] == ""


def test_workflow_run_id_wins_and_force_is_a_boolean():
    argv = [
        "job.py",
        "--lake",
        "s3://b",
        "--run-id",
        "local",
        "--WORKFLOW_RUN_ID",
        "wr_42",
        "--force",
        "true",
        "--extra-py-files",
        "s3://x/y.whl",
    ]
    args = resolve_arguments(argv)
    assert args["run_id"] == "wr_42" and args["force"] is True


def test_a_new_run_id_when_none_is_given():
    assert (
        resolve_arguments(["job.py", "--lake", "x"])["run_id"]
        != resolve_arguments(["job.py", "--lake", "x"])["run_id"]
    )


def test_missing_required_argument_names_it():
    with pytest.raises(SystemExit, match="--sources"):
        resolve_arguments(["job.py", "--lake", "x"], required=("lake", "sources"))
