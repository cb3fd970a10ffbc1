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


@pytest.mark.parametrize(
    "run_id",
    [
        "..",
        "../../outside",
        "a/../../b",
        "/etc/cron.d",
        "s3://other-bucket/prefix",
        "r1/..",
        "run 1",
        "r1.2",
        "",
    ],
)
def test_a_run_id_that_could_leave_the_lake_is_refused(run_id):
    argv = ["job.py", "--lake", "s3://lake", "--run-id", run_id]
    if run_id == "":
        argv += ["--WORKFLOW_RUN_ID", "../x"]
    with pytest.raises(SystemExit, match="is not allowed"):
        resolve_arguments(argv)


def test_run_paths_refuse_a_bad_run_id_too():
    from transforms.lake import InvalidRunId, run_path

    assert run_path("s3://lake", "wr_0a1b2c", "report") == "s3://lake/runs/wr_0a1b2c/report"
    with pytest.raises(InvalidRunId):
        run_path("s3://lake", "/abs")


def test_a_database_password_on_the_command_line_is_refused(monkeypatch):
    monkeypatch.setenv("HARVEST_DB_URL", "postgresql://harvest:secret@db.internal/catalog")
    base = ["job.py", "--lake", "x", "--run-id", "r1"]
    with pytest.raises(SystemExit, match="HARVEST_DB_URL"):
        resolve_arguments([*base, "--db-url", "postgresql://harvest:secret@db.internal/catalog"])
    with pytest.raises(SystemExit, match="process list"):
        resolve_arguments([*base, "--db-url", "host=db.internal password=secret dbname=catalog"])
    assert resolve_arguments(base)["db_url"] == "postgresql://harvest:secret@db.internal/catalog"
    arn = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:catalog-AbCdEf"
    assert resolve_arguments([*base, "--db-url", arn])["db_url"] == arn
