"""The load job is atomic and idempotent: a crash before the pointer switch leaves the previous catalog in
force, and running load again for the same run gives the same catalog."""

import json

import pytest

from glue_jobs import load as load_job
from tests.rows import row
from tests.test_load import state_row, validated_row
from transforms.publish.catalog_state import read_pointer, read_state, switch_pointer, write_version
from transforms.schemas import CATALOG_STATE, SOURCE_STATUS, VALIDATED

REGISTRY = """
sources:
  - id: agency
    title: Agency data.json
    organization: Agency
    url: https://agency.example.gov/data.json
    type: datajson
    schema: dcatus1.1-federal
"""


def prepare(spark, tmp_path, lake):
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY)
    rows = [
        validated_row("kept", "unchanged", "accept"),
        validated_row("edited", "update", "accept"),
        validated_row("gone", "delete", "accept"),
        validated_row("new", "create", "accept"),
    ]
    validated = spark.createDataFrame(rows, VALIDATED)
    validated.write.mode("overwrite").parquet(f"{lake}/runs/r1/validate/records")
    status = row(
        SOURCE_STATUS,
        source_id="agency",
        source_type="datajson",
        schema="dcatus1.1-federal",
        url="https://agency.example.gov/data.json",
        status="complete",
        extracted=3,
        errors=0,
    )
    spark.createDataFrame([status], SOURCE_STATUS).write.mode("overwrite").parquet(
        f"{lake}/runs/r1/validate/sources"
    )
    return ["load.py", "--lake", lake, "--sources", str(registry), "--run-id", "r1", "--log-level", "WARNING"]


def catalog(spark, lake) -> dict:
    version = read_pointer(lake)["version"]
    return {row.identifier: row.content_hash for row in read_state(spark, lake, version).collect()}


@pytest.fixture
def lake(spark, tmp_path):
    root = str(tmp_path / "lake")
    published = [state_row("kept"), state_row("edited"), state_row("gone")]
    write_version(spark.createDataFrame(published, CATALOG_STATE), root, "v0")
    switch_pointer(root, "v0", None)
    return root


def test_crash_before_the_pointer_switch_leaves_the_previous_catalog(spark, tmp_path, lake, monkeypatch):
    argv = prepare(spark, tmp_path, lake)

    def crash(*args, **kwargs):
        raise OSError("simulated crash between writing the version and switching the pointer")

    monkeypatch.setattr(load_job, "switch_pointer", crash)
    with pytest.raises(OSError, match="simulated crash"):
        load_job.main(argv)
    assert read_pointer(lake)["version"] == "v0"
    assert catalog(spark, lake) == {"kept": "old-kept", "edited": "old-edited", "gone": "old-gone"}

    monkeypatch.undo()
    load_job.main(argv)
    expected = {"kept": "old-kept", "edited": "hash-edited", "new": "hash-new"}
    assert read_pointer(lake) | {"switched": None} == {"version": "r1", "previous": "v0", "switched": None}
    assert catalog(spark, lake) == expected

    load_job.main(argv)  # the same run again: the same catalog, built on the same base
    assert read_pointer(lake)["previous"] == "v0"
    assert catalog(spark, lake) == expected
    report = json.loads((tmp_path / "lake" / "runs" / "r1" / "report" / "report.json").read_text())
    agency = report["sources"][0]
    assert (agency["created"], agency["updated"], agency["deleted"], agency["unchanged"]) == (1, 1, 1, 1)
