"""The load job publishes safely: counts checked first, versions never overwritten, a crash in any window
repaired by a rerun, a rerun of a published run writing nothing, and a stale run refused."""

import json
from pathlib import Path

import pytest

from glue_jobs import load as load_job
from tests.rows import row
from tests.test_load import state_row, validated_row
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import (
    current_version,
    read_pointer,
    read_state,
    switch_pointer,
    write_version,
)
from transforms.lake.manifest import pin_run
from transforms.publish import publication
from transforms.publish.publication import StaleRun
from transforms.reports.report import CountsDoNotAddUp
from transforms.schemas import CATALOG_STATE, CHANGES, SOURCE_STATUS, VALIDATED

REGISTRY = """
sources:
  - id: agency
    title: Agency data.json
    organization: Agency
    url: https://agency.example.gov/data.json
    type: datajson
    schema: dcatus1.1-federal
"""
PUBLISHED = {"kept": "old-kept", "edited": "old-edited", "gone": "old-gone"}
EXPECTED = {"kept": "old-kept", "edited": "hash-edited", "new": "hash-new"}


def prepare(spark, tmp_path, lake, run_id="r1", extracted=3):
    """A run that went through validate: its manifest (pinned to the current version), lock and tables."""
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY)
    rows = [
        validated_row("kept", "unchanged", "accept"),
        validated_row("edited", "update", "accept"),
        validated_row("gone", "delete", "accept"),
        validated_row("new", "create", "accept"),
    ]
    spark.createDataFrame(rows, VALIDATED).write.mode("overwrite").parquet(
        f"{lake}/runs/{run_id}/validate/records"
    )
    # compare keeps what the publisher served of each create and update (a database's source_raw)
    changes = [
        row(
            CHANGES,
            source_id="agency",
            identifier=i,
            action=a,
            raw_format="json",
            raw=json.dumps({"title": i}),
        )
        for i, a in (("edited", "update"), ("new", "create"))
    ]
    spark.createDataFrame(changes, CHANGES).write.mode("overwrite").parquet(
        f"{lake}/runs/{run_id}/compare/changes"
    )
    status = row(
        SOURCE_STATUS,
        source_id="agency",
        source_type="datajson",
        schema="dcatus1.1-federal",
        url="https://agency.example.gov/data.json",
        status="complete",
        extracted=extracted,
        errors=0,
    )
    spark.createDataFrame([status], SOURCE_STATUS).write.mode("overwrite").parquet(
        f"{lake}/runs/{run_id}/validate/sources"
    )
    lake_lock.acquire(lake, run_id)
    pin_run(lake, run_id, str(registry), False, "", lambda: current_version(lake))
    return [
        "load.py",
        "--lake",
        lake,
        "--sources",
        str(registry),
        "--run-id",
        run_id,
        "--log-level",
        "WARNING",
    ]


def catalog(spark, lake) -> dict:
    state = read_state(spark, lake, current_version(lake))
    return {record.identifier: record.content_hash for record in state.collect()}


def versions(lake) -> list[str]:
    return sorted(path.name for path in Path(lake, "catalog", "versions").iterdir())


def crash(message):
    def crashing(*args, **kwargs):
        raise OSError(f"simulated crash {message}")

    return crashing


@pytest.fixture
def lake(spark, tmp_path):
    root = str(tmp_path / "lake")
    published = [state_row("kept"), state_row("edited"), state_row("gone")]
    write_version(spark.createDataFrame(published, CATALOG_STATE), root, "v0", "r0", None)
    switch_pointer(root, "v0", None)
    return root


def test_crash_between_the_version_write_and_the_pointer_switch_then_a_rerun(
    spark, tmp_path, lake, monkeypatch
):
    argv = prepare(spark, tmp_path, lake)
    monkeypatch.setattr(publication, "switch_pointer", crash("after writing the version"))
    with pytest.raises(OSError, match="simulated crash"):
        load_job.main(argv)
    assert current_version(lake) == "v0" and catalog(spark, lake) == PUBLISHED
    assert versions(lake) == ["r1", "v0"]  # written, complete, never current
    written = sorted(p.name for p in Path(lake, "catalog", "versions", "r1", "records").iterdir())

    monkeypatch.undo()
    load_job.main(argv)
    assert read_pointer(lake) | {"switched": None} == {"version": "r1.2", "previous": "v0", "switched": None}
    assert catalog(spark, lake) == EXPECTED
    assert sorted(p.name for p in Path(lake, "catalog", "versions", "r1", "records").iterdir()) == written
    report = json.loads(Path(lake, "runs", "r1", "report", "report.json").read_text())
    agency = report["sources"][0]
    assert (agency["created"], agency["updated"], agency["deleted"], agency["unchanged"]) == (1, 1, 1, 1)
    assert lake_lock.holder(lake) is None  # load released the lake


def test_a_crash_in_the_middle_of_a_load_rerun_then_another_rerun(spark, tmp_path, lake, monkeypatch):
    argv = prepare(spark, tmp_path, lake)
    monkeypatch.setattr(publication, "switch_pointer", crash("after writing the version"))
    with pytest.raises(OSError):
        load_job.main(argv)

    real_write = publication.write_version

    def half_written(state, lake_root, version, *_):
        Path(lake_root, "catalog", "versions", version, "records").mkdir(parents=True)
        Path(lake_root, "catalog", "versions", version, "records", "part-00000.parquet").write_bytes(b"PAR1")
        raise OSError("simulated crash while writing the version")

    monkeypatch.setattr(publication, "write_version", half_written)
    with pytest.raises(OSError, match="while writing"):
        load_job.main(argv)
    assert current_version(lake) == "v0" and catalog(spark, lake) == PUBLISHED

    monkeypatch.setattr(publication, "write_version", real_write)
    monkeypatch.setattr(publication, "switch_pointer", switch_pointer)
    load_job.main(argv)
    assert current_version(lake) == "r1.3" and catalog(spark, lake) == EXPECTED
    assert versions(lake) == ["r1", "r1.2", "r1.3", "v0"]


def test_a_load_rerun_for_the_current_run_finds_its_version_published_and_writes_nothing(
    spark, tmp_path, lake
):
    argv = prepare(spark, tmp_path, lake)
    load_job.main(argv)
    pointer = read_pointer(lake)
    assert pointer["version"] == "r1" and catalog(spark, lake) == EXPECTED

    load_job.main(argv)  # the same run again
    assert read_pointer(lake) == pointer  # not even rewritten
    assert versions(lake) == ["r1", "v0"] and catalog(spark, lake) == EXPECTED
    report = json.loads(Path(lake, "runs", "r1", "report", "report.json").read_text())
    assert report["totals"]["created"] == 1 and report["totals"]["deleted"] == 1


def test_a_load_rerun_for_an_old_run_is_refused(spark, tmp_path, lake):
    old = prepare(spark, tmp_path, lake, run_id="r1")
    lake_lock.release(lake, "r1")
    newer = prepare(spark, tmp_path, lake, run_id="r2")
    load_job.main(newer)
    assert current_version(lake) == "r2"

    with pytest.raises(StaleRun, match="pinned to catalog version v0, but the current version is r2"):
        load_job.main(old)
    assert current_version(lake) == "r2" and versions(lake) == ["r2", "v0"]
    assert not Path(lake, "runs", "r1", "report").exists()


def test_counts_that_do_not_add_up_stop_load_before_anything_is_published(spark, tmp_path, lake):
    argv = prepare(spark, tmp_path, lake, extracted=5)  # 5 extracted, but only 3 outcomes
    with pytest.raises(CountsDoNotAddUp, match="extracted 5 but outcomes add up to 3"):
        load_job.main(argv)
    assert current_version(lake) == "v0" and versions(lake) == ["v0"]
    assert not Path(lake, "runs", "r1", "report", "report.json").exists()


def test_load_of_another_run_is_refused_while_a_run_holds_the_lake(spark, tmp_path, lake):
    argv = prepare(spark, tmp_path, lake, run_id="r1")
    lake_lock.release(lake, "r1")
    lake_lock.acquire(lake, "busy-run")
    with pytest.raises(lake_lock.LakeLocked, match="held by run busy-run"):
        load_job.main(argv)
    assert current_version(lake) == "v0"
