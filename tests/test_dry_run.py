"""A dry run: every stage runs and the report says what would have been published; nothing is published."""

import json

import boto3
import pytest

import transforms.publish.aws_targets
from glue_jobs import load as load_job
from glue_jobs.job_context import begin
from glue_jobs.run_properties import read_run_properties
from harvest_cli.aws_runs import start_run
from tests.test_load_job import catalog, lake, prepare  # noqa: F401
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import read_pointer
from transforms.lake.manifest import read_manifest
from transforms.lake.run_history import read_history


def test_harvest_start_dry_run_sets_the_run_property(aws):
    glue = boto3.client("glue")
    for workflow, dry_run in (
        ("h-trial", True),
        ("h-harvest", False),
    ):  # one workflow each: moto does not keep properties per run
        glue.create_workflow(Name=workflow, DefaultRunProperties={"force": "false", "dry_run": "false"})
        run_id = start_run(glue, workflow, dry_run=dry_run)
        properties = read_run_properties({"WORKFLOW_NAME": workflow, "WORKFLOW_RUN_ID": run_id}, glue)
        assert properties["dry_run"] == str(dry_run).lower()


def test_the_dry_run_property_is_pinned_for_every_stage_of_the_run(spark, tmp_path, monkeypatch):
    (tmp_path / "sources.yaml").write_text("sources: []\n")
    root = str(tmp_path / "lake")

    def argv(run_id):
        registry = str(tmp_path / "sources.yaml")
        return [
            "extract.py",
            "--lake",
            root,
            "--sources",
            registry,
            "--run-id",
            run_id,
            "--log-level",
            "WARNING",
        ]

    for run_id, properties, expected in (("dry", {"dry_run": "true"}, True), ("real", {}, False)):
        monkeypatch.setattr("glue_jobs.run_properties.read_run_properties", lambda args, p=properties: p)
        assert begin("extract", argv(run_id)).args["dry_run"] is expected
        assert read_manifest(root, run_id).dry_run is expected
        lake_lock.release(root, run_id)


def test_a_dry_run_load_reports_what_it_would_publish_and_publishes_nothing(
    spark,
    tmp_path,
    lake,  # noqa: F811
    monkeypatch,
):
    def must_not_run(*args, **kwargs):
        raise AssertionError("a dry run published something")

    for name in ("plan_publication", "publish_catalog", "refresh_harvest_times"):
        monkeypatch.setattr(load_job, name, must_not_run)
    monkeypatch.setattr(transforms.publish.aws_targets, "publish_run", must_not_run)
    argv = prepare(spark, tmp_path, lake)
    manifest = json.loads((tmp_path / "lake" / "runs" / "r1" / "manifest.json").read_text())
    (tmp_path / "lake" / "runs" / "r1" / "manifest.json").write_text(
        json.dumps({**manifest, "dry_run": True})
    )
    load_job.main(argv + ["--db-url", "postgresql://127.0.0.1:9/nowhere", "--glue-database", "harvest"])

    assert read_pointer(lake)["version"] == "v0"
    assert catalog(spark, lake) == {"kept": "old-kept", "edited": "old-edited", "gone": "old-gone"}
    assert lake_lock.holder(lake) is None  # the run is over: the lake is free for the next one
    report = json.loads((tmp_path / "lake" / "runs" / "r1" / "report" / "report.json").read_text())
    assert report["dry_run"] is True and report["message"].startswith("dry run: ")
    agency = report["sources"][0]
    # what would have been published: the figures of test_load_job's real load of the same rows
    assert (agency["created"], agency["updated"], agency["deleted"], agency["unchanged"]) == (1, 1, 1, 1)
    page = (tmp_path / "lake" / "runs" / "r1" / "report" / "report.html").read_text()
    assert 'id="dry-run"' in page and "nothing was published" in page
    [entry] = read_history(lake)
    assert entry["run_id"] == "r1" and entry["dry_run"] is True
    assert not (tmp_path / "lake" / "catalog" / "harvest_times").exists()


@pytest.mark.parametrize("flag, expected", [([], "false"), (["--dry-run"], "true")])
def test_harvest_run_passes_dry_run_to_every_job(spark, tmp_path, monkeypatch, flag, expected):
    from harvest_cli import main as cli

    seen = {}

    def fake_workflow(overrides, start_at=None, on_stop=None):
        seen.update(overrides)

    (tmp_path / "sources.yaml").write_text("sources: []\n")
    monkeypatch.setattr("harvest_cli.workflow.run_workflow", fake_workflow)
    monkeypatch.setattr("harvest_cli.run_command.finish_run", lambda *args, **kwargs: 0)
    registry = str(tmp_path / "sources.yaml")
    assert (
        cli.main(["run", "--sources", registry, "--lake", str(tmp_path / "lake"), "--new-lake", *flag]) == 0
    )
    assert seen["dry-run"] == expected
