"""A scheduled run end to end (`harvest run --due-only`, as the hourly trigger starts one): it harvests the sources
due and never a manual one, notes when it harvested them, and the next hour's run finds nothing due and changes
nothing."""

import json

import pytest

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import main
from transforms.lake.catalog_state import current_version
from transforms.lake.harvest_times import read_source_harvests
from transforms.lake.manifest import read_manifest

pytestmark = pytest.mark.e2e
REGISTRY = """sources:
  - id: agency
    title: Example Agency
    organization: Example Agency
    url: {base}datajson/data.json
    type: datajson
    schema: dcatus1.1-federal
    allow_private_network: true
    frequency: weekly
  - id: by-hand
    title: Example Agency 3.0
    organization: Example Agency
    url: {base}datajson3/data.json
    type: datajson
    schema: dcatus3.0
    allow_private_network: true
    frequency: manual
"""


def test_a_scheduled_run_harvests_the_sources_due_and_the_next_one_finds_none(spark, tmp_path):
    lake = tmp_path / "lake"
    with serve_folder(SAMPLES / "www") as base:
        registry = tmp_path / "sources.yaml"
        registry.write_text(REGISTRY.format(base=base))
        run = ["run", "--sources", str(registry), "--lake", str(lake), "--due-only"]
        assert main([*run, "--new-lake", "--run-id", "tick-1"]) == 0
        report = json.loads((lake / "runs" / "tick-1" / "report" / "report.json").read_text())
        assert [entry["source_id"] for entry in report["sources"]] == ["agency"]
        assert report["sources"][0]["created"] > 0
        started = read_manifest(str(lake), "tick-1").started
        assert {k: v.isoformat() for k, v in read_source_harvests(str(lake)).items()} == {"agency": started}

        assert main([*run, "--run-id", "tick-2"]) == 0
        assert read_manifest(str(lake), "tick-2").due_sources == []
        nothing = json.loads((lake / "runs" / "tick-2" / "report" / "report.json").read_text())
        assert nothing["sources"] == [] and nothing["outcome"] == "complete"
        assert current_version(str(lake)) == "tick-1"  # nothing changed, so no catalog version
