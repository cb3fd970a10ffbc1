"""A run's state is pinned once by extract: later stages read the manifest, not sources.yaml or catalog/CURRENT."""

import json

import pytest

from glue_jobs.arguments import resolve_arguments
from glue_jobs.job_context import pin_or_read_manifest
from transforms import lake
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import switch_pointer
from transforms.lake.manifest import ManifestError
from transforms.registry import RegistryError

SOURCE = """
  - id: {id}
    title: {title}
    organization: Agency
    url: https://agency.example.gov/{id}.json
    type: datajson
    schema: dcatus1.1-federal
"""


def registry_text(*entries: tuple[str, str]) -> str:
    return "sources:\n" + "".join(SOURCE.format(id=i, title=t) for i, t in entries)


def publish(root: str, version: str, previous: str | None) -> None:
    info = {"version": version, "run_id": version, "written": f"2026-01-0{len(version)}T00:00:00"}
    lake.write_text(lake.join(root, "catalog", "versions", version, "VERSION.json"), json.dumps(info))
    switch_pointer(root, version, previous)


@pytest.fixture
def setup(tmp_path):
    root, registry = str(tmp_path / "lake"), tmp_path / "sources.yaml"
    registry.write_text(registry_text(("agency", "Agency"), ("other", "Other")))
    publish(root, "v1", None)

    def args(stage_run: str = "r1", *extra: str) -> dict:
        argv = ["job.py", "--lake", root, "--sources", str(registry), "--run-id", stage_run, *extra]
        return resolve_arguments(argv, required=("lake", "sources"))

    return root, registry, args


def test_later_stages_read_the_pinned_registry_and_base_not_the_live_ones(setup):
    root, registry, args = setup
    pinned = pin_or_read_manifest("extract", args("r1", "--force", "true"))
    assert (pinned.base_version, pinned.force) == ("v1", True)
    registry.write_text(registry_text(("agency", "Renamed by hand")))  # someone edits the registry mid-run
    publish(root, "v2", "v1")  # and the pointer moves

    for stage in ("compare", "transform", "validate", "load"):
        manifest = pin_or_read_manifest(stage, args())
        assert manifest == pinned
        assert [(s.id, s.title) for s in manifest.sources()] == [("agency", "Agency"), ("other", "Other")]
    assert pin_or_read_manifest("extract", args()).base_version == "v1"  # an extract rerun keeps its pin


def test_only_sources_are_pinned_and_checked_before_anything_is_written(setup):
    root, _, args = setup
    with pytest.raises(RegistryError, match="unknown source id"):
        pin_or_read_manifest("extract", args("r1", "--only-sources", "nope"))
    assert lake.read_text(lake.run_path(root, "r1", "manifest.json")) is None
    assert lake_lock.holder(root) is None  # a run that never started leaves the lake free
    manifest = pin_or_read_manifest("extract", args("r2", "--only-sources", "other"))
    assert [s.id for s in manifest.sources()] == ["other"]


def test_a_stage_of_a_run_extract_never_pinned_is_refused(setup):
    root, _, args = setup
    lake_lock.acquire(root, "r9")
    with pytest.raises(ManifestError, match="start the run from extract"):
        pin_or_read_manifest("compare", args("r9"))
