"""Repeat runs: a day on which no data.json changed carries the last run's verdicts instead of reading every
record again, and reports exactly what a full re-read reports.

The e2e days serve the bundled samples over loopback HTTP into two lakes that share their first harvest;
the second lake loses its LAST_RUN.json before every run, so it reads every record, and is the
yardstick the carried verdicts are held to.
"""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import run_harvest
from tests.rows import row
from transforms import repeat_run
from transforms.fetch.source_pass import document_sha256
from transforms.gate import duplicates
from transforms.lake.catalog_state import read_pointer
from transforms.lake.manifest import RunManifest
from transforms.reports.report import report_figures
from transforms.schemas import DB_RESULTS, OUTCOMES, SOURCE_STATUS

REGISTRY = """sources:
  - id: agency
    title: Example Agency data.json
    organization: Example Agency
    url: "{base}/datajson/data.json"
    type: datajson
    schema: dcatus1.1-federal
    allow_private_network: true
  - id: agency-dcat3
    title: Example Agency data.json (DCAT-US 3.0)
    organization: Example Agency
    url: "{base}/datajson3/data.json"
    type: datajson
    schema: dcatus3.0
    allow_private_network: true
"""


DATAJSON_SOURCES = ["example-agency", "example-agency-dcat3"]  # the samples' two data.json sources


def report(lake: Path, run_id: str) -> dict:
    return json.loads((lake / "runs" / run_id / "report" / "report.json").read_text())


def outcomes(lake: Path, run_id: str) -> list[dict]:
    rows = pq.read_table(lake / "runs" / run_id / "report" / "outcomes").to_pylist()
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


def without_suites(sources: list[dict]) -> list[dict]:
    """Per-source figures but the suites' findings: carried records are not judged again by a suite."""
    return [{k: v for k, v in entry.items() if k != "failed_expectations"} for entry in sources]


@pytest.fixture(scope="module")
def days(tmp_path_factory) -> dict:
    """The bundled samples (two data.json and a WAF) over loopback HTTP, harvested into two lakes.

    Lake "carry": run-1 (first harvest); run-2 (nothing changed); run-3 (only the two data.json
    sources, nothing changed); run-4 (one title edited in the 1.1 data.json).
    Lake "reread", the yardstick: the carry lake as run-1 left it, then run-2 and run-3 as there, each
    without LAST_RUN.json, so that they read and judge every record again.
    """
    site = tmp_path_factory.mktemp("site")
    carry, reread = tmp_path_factory.mktemp("carry-lake"), tmp_path_factory.mktemp("reread-lake")
    shutil.copytree(SAMPLES / "www", site / "www")
    with serve_folder(site / "www") as base_url:
        registry = site / "sources.yaml"
        text = (SAMPLES / "sources.yaml").read_text("utf-8")
        registry.write_text(text.replace("{samples_url}", base_url.rstrip("/")), "utf-8")

        def harvest(lake: Path, run_id: str, only: list[str] | None = None) -> None:
            assert (
                run_harvest(
                    str(registry), str(lake), run_id=run_id, only_sources=",".join(only or []), new_lake=True
                )
                == 0
            )

        def harvest_both(run_id: str, only: list[str] | None = None) -> None:
            harvest(carry, run_id, only)
            (reread / "catalog" / "LAST_RUN.json").unlink()
            harvest(reread, run_id, only)

        harvest(carry, "run-1")
        shutil.copytree(carry, reread, dirs_exist_ok=True)
        harvest_both("run-2")
        harvest_both("run-3", DATAJSON_SOURCES)
        catalog = site / "www" / "datajson" / "data.json"
        document = json.loads(catalog.read_text("utf-8"))
        document["dataset"][0]["title"] += " (revised)"
        catalog.write_text(json.dumps(document, indent=1), "utf-8")
        harvest(carry, "run-4")
    return {"carry": carry, "reread": reread}


@pytest.mark.e2e
def test_a_day_with_nothing_changed_carries_each_data_json_reads_the_waf_and_reports_as_a_full_reread(days):
    carry, reread = days["carry"], days["reread"]
    carried, yardstick = report(carry, "run-2"), report(reread, "run-2")
    assert carried["carried"] == {"run": "run-1", "sources": DATAJSON_SOURCES} and "carried" not in yardstick
    assert "repeat_of" not in carried  # the WAF was read: not a repeat of the whole run
    assert carried["totals"] == yardstick["totals"]
    assert carried["totals"]["unchanged"] > 0 and carried["totals"]["rejected"] > 0
    # Record for record: the same outcome, reasons and warnings as reading every record again.
    assert outcomes(carry, "run-2") == outcomes(reread, "run-2")
    assert without_suites(carried["sources"]) == without_suites(yardstick["sources"])
    extracted = pq.read_table(carry / "runs" / "run-2" / "extract" / "records").to_pylist()
    assert {row["source_id"] for row in extracted} == {"example-coastal-waf"}  # no data.json was split


@pytest.mark.e2e
def test_a_run_of_unchanged_data_json_sources_repeats_the_last_run_without_reading_a_record(days):
    carry, reread = days["carry"], days["reread"]
    repeated, yardstick = report(carry, "run-3"), report(reread, "run-3")
    assert repeated["repeat_of"] == "run-2"  # which itself carried them from run-1
    assert repeated["totals"] == yardstick["totals"]
    assert outcomes(carry, "run-3") == outcomes(reread, "run-3")
    assert without_suites(repeated["sources"]) == without_suites(yardstick["sources"])
    # Nothing was read, split, compared or transformed, and no catalog version written.
    run = carry / "runs" / "run-3"
    # (each stage left only its record of counts: no table)
    assert all(
        [path.name for path in (run / stage).iterdir()] == ["stage.json"]
        for stage in ("extract", "compare", "transform")
    )
    assert not (carry / "catalog" / "versions" / "run-3").exists()
    assert json.loads((run / "quality" / "summary.json").read_text())["repeat_of"] == "run-2"


@pytest.mark.e2e
def test_a_changed_document_is_read_again_and_its_edit_published(days):
    lake = days["carry"]
    edited = report(lake, "run-4")
    assert edited["carried"] == {"run": "run-3", "sources": ["example-agency-dcat3"]}
    assert (
        edited["totals"]["updated"] == 1 and edited["totals"]["created"] == edited["totals"]["deleted"] == 0
    )
    assert read_pointer(str(lake))["version"] == "run-4"
    # The run that published the edit is the one the next run carries from.
    assert json.loads((lake / "catalog" / "LAST_RUN.json").read_text())["run_id"] == "run-4"


# decide() without Spark: a lake holding a LAST_RUN.json and the previous run's table folders.


def manifest_for(registry: str, run_id: str = "run-2", **options) -> RunManifest:
    fields = dict(
        run_id=run_id,
        started="2026-11-30T00:00:00+00:00",
        base_version="run-1",
        registry=registry,
        registry_uri="sources.yaml",
        force=False,
        only_sources="",
    )
    return RunManifest(**{**fields, **options})


@pytest.fixture
def decided_lake(tmp_path) -> tuple[Path, str, Path]:
    """(lake, registry text, the 1.1 document): run-1 left LAST_RUN.json for both sample data.json files."""
    site, lake = tmp_path / "site", tmp_path / "lake"
    for folder in ("datajson", "datajson3"):
        shutil.copytree(SAMPLES / "www" / folder, site / folder)
    registry = REGISTRY.format(base=site.as_uri())
    previous = manifest_for(registry, run_id="run-1", base_version=None)
    hashes = {source.id: document_sha256(source) for source in previous.sources()}
    repeat_run.write_last_run(str(lake), previous, "run-1", hashes)
    for table in ("validate/records", "validate/sources"):
        (lake / "runs" / "run-1" / table).mkdir(parents=True)
    return lake, registry, site / "datajson" / "data.json"


def test_a_run_whose_documents_are_byte_identical_repeats_the_last_run_and_keeps_that_decision(decided_lake):
    lake, registry, _ = decided_lake
    decided = repeat_run.decide(str(lake), manifest_for(registry))
    assert decided is not None and decided.whole and decided.of == "run-1"
    assert repeat_run.read_carry(str(lake), "run-2") == decided
    # A second attempt of the run keeps the decision, whatever LAST_RUN says now.
    (lake / "catalog" / "LAST_RUN.json").unlink()
    assert repeat_run.decide(str(lake), manifest_for(registry)) == decided


WAF = "  - id: waf\n    title: W\n    organization: O\n    url: https://example.gov/waf/\n    type: waf\n    schema: iso19115\n"


@pytest.mark.parametrize(
    "change, candidates",
    [
        # The first pass compares each document it reads: both stay candidates, none is carried yet.
        ("a document changed", {"agency", "agency-dcat3"}),
        ("a registry entry changed", {"agency-dcat3"}),
        ("a WAF joined the registry", {"agency", "agency-dcat3"}),
        # Nothing at all can be carried.
        ("the run is forced", None),
        ("the catalog moved on", None),
        ("the last run was pruned", None),
        ("another code version judged it", None),
    ],
)
def test_any_change_means_no_repeat_and_only_unchanged_entries_stay_candidates(
    decided_lake, change, candidates
):
    lake, registry, document = decided_lake
    manifest = manifest_for(registry)
    if change == "a document changed":
        document.write_text(document.read_text("utf-8").replace('"title"', '"title" ', 1), "utf-8")
    elif change == "the run is forced":
        manifest = replace(manifest, force=True)
    elif change == "the catalog moved on":
        manifest = replace(manifest, base_version="run-0")
    elif change == "a registry entry changed":
        manifest = manifest_for(registry.replace("Example Agency data.json\n", "Example Agency catalog\n"))
    elif change == "a WAF joined the registry":
        manifest = manifest_for(registry + WAF)
    elif change == "the last run was pruned":
        shutil.rmtree(lake / "runs" / "run-1")
    else:
        last = json.loads((lake / "catalog" / "LAST_RUN.json").read_text())
        (lake / "catalog" / "LAST_RUN.json").write_text(json.dumps({**last, "code": "0" * 64}))
    decided = repeat_run.decide(str(lake), manifest)
    assert (set(decided.documents) if decided else None) == candidates
    assert decided is None or not decided.whole
    assert repeat_run.read_carry(str(lake), "run-2") is None  # nothing recorded before extract's first pass


def test_only_sources_whose_verdicts_depend_on_nothing_else_can_be_carried(spark):
    """Held, refused by the database, flagged by the duplicates check, or not complete: read again next run."""
    sources = ["plain", "held", "refused", "look-alike", "owned-elsewhere", "failed", "waf"]
    statuses = spark.createDataFrame(
        [
            row(
                SOURCE_STATUS,
                source_id=source,
                status="failed" if source == "failed" else "held" if source == "held" else "complete",
                document_sha256=None if source == "waf" else f"sha-{source}",
            )
            for source in sources
        ],
        SOURCE_STATUS,
    )

    def outcome(source: str, outcome: str = "unchanged", reasons=(), warnings=()) -> tuple:
        return row(
            OUTCOMES,
            source_id=source,
            identifier="x",
            action="create",
            outcome=outcome,
            reasons=list(reasons),
            warnings=list(warnings),
        )

    outcomes = spark.createDataFrame(
        [outcome(source) for source in sources]
        + [
            outcome("held", "held"),
            outcome("look-alike", warnings=[duplicates.NEAR_DUPLICATE % ("y", "other", "landingPage")]),
            outcome("owned-elsewhere", "rejected", reasons=[duplicates.ALREADY_PUBLISHED % "other"]),
        ],
        OUTCOMES,
    )
    refused = spark.createDataFrame([("refused", "x", "refused", "value too long")], DB_RESULTS)
    rows = outcomes.withColumn("of_run", F.lit(True))  # the report's rows of the run: no catalog here
    carriable = repeat_run.carriable_sources(report_figures(rows, statuses, [], {}), refused)
    assert carriable == {"plain": "sha-plain"}
