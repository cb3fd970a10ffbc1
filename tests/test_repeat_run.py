"""Repeat runs: a day on which no data.json changed carries the last run's verdicts instead of reading every
record again, and reports exactly what a full re-read reports.

The e2e days serve the bundled samples over loopback HTTP into two lakes that share their first harvest;
the second lake loses its LAST_RUN.json before every run, so it reads every record, and is the
yardstick the carried verdicts are held to.
"""

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from devtools.local_http import free_port, serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import run_harvest
from tests.rows import row
from transforms import repeat_run
from transforms.fetch import transport
from transforms.fetch.http import FetchPolicy
from transforms.fetch.source_pass import document_sha256
from transforms.gate import duplicates
from transforms.lake.catalog_state import read_pointer
from transforms.lake.manifest import RunManifest
from transforms.reports.report import CARRY_FACTS, report_figures
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
WAF_SOURCE = "example-coastal-waf"


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

    Lake "carry": run-1 (first harvest); run-2 (nothing changed); run-3 (one WAF file saved again, its
    text the same); run-4 (one title edited in the 1.1 data.json).
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

        last_runs: dict[str, dict] = {}  # the carry lake's LAST_RUN.json as each run left it

        def harvest(lake: Path, run_id: str) -> None:
            assert run_harvest(str(registry), str(lake), run_id=run_id, new_lake=True) == 0
            if lake == carry:
                last_runs[run_id] = json.loads((lake / "catalog" / "LAST_RUN.json").read_text())

        def harvest_both(run_id: str) -> None:
            harvest(carry, run_id)
            (reread / "catalog" / "LAST_RUN.json").unlink()
            harvest(reread, run_id)

        harvest(carry, "run-1")
        shutil.copytree(carry, reread, dirs_exist_ok=True)
        harvest_both("run-2")
        touched = sorted((site / "www" / "waf").rglob("*.xml"))[0]
        later = touched.stat().st_mtime + 60  # the server's Last-Modified moves on; the text does not
        os.utime(touched, (later, later))
        harvest_both("run-3")
        catalog = site / "www" / "datajson" / "data.json"
        document = json.loads(catalog.read_text("utf-8"))
        document["dataset"][0]["title"] += " (revised)"
        catalog.write_text(json.dumps(document, indent=1), "utf-8")
        harvest(carry, "run-4")
    return {"carry": carry, "reread": reread, "last_runs": last_runs, "waf": site / "www" / "waf"}


@pytest.mark.e2e
def test_a_day_with_nothing_changed_repeats_the_last_run_waf_included_and_reports_as_a_full_reread(days):
    carry, reread = days["carry"], days["reread"]
    repeated, yardstick = report(carry, "run-2"), report(reread, "run-2")
    assert repeated["repeat_of"] == "run-1" and "repeat_of" not in yardstick
    assert repeated["carried"] == {"run": "run-1", "sources": sorted([*DATAJSON_SOURCES, WAF_SOURCE])}
    assert repeated["totals"] == yardstick["totals"]
    assert repeated["totals"]["unchanged"] > 0 and repeated["totals"]["rejected"] > 0
    # Record for record: the same outcome, reasons and warnings as reading every record again.
    assert outcomes(carry, "run-2") == outcomes(reread, "run-2")
    assert without_suites(repeated["sources"]) == without_suites(yardstick["sources"])
    # Nothing was read, split, compared or transformed, and no catalog version written.
    run = carry / "runs" / "run-2"
    # (each stage left only its record of counts: no table)
    assert all(
        [path.name for path in (run / stage).iterdir()] == ["stage.json"]
        for stage in ("extract", "compare", "transform")
    )
    assert not (carry / "catalog" / "versions" / "run-2").exists()
    assert json.loads((run / "quality" / "summary.json").read_text())["repeat_of"] == "run-1"
    # The WAF's files as run-1 fetched them (each with the Last-Modified the server gave), handed on
    # by the repeat: the next run checks them, file for file, in listing order.
    files = days["last_runs"]["run-1"]["sources"][WAF_SOURCE]["files"]
    assert len(files) == len(list(days["waf"].rglob("*.xml"))) > 1
    assert all(url.startswith("http://127.0.0.1:") and last_modified for url, _etag, last_modified in files)
    assert days["last_runs"]["run-2"]["sources"][WAF_SOURCE]["files"] == files


@pytest.mark.e2e
def test_a_waf_file_saved_again_is_read_again_while_each_data_json_is_carried(days):
    carry, reread = days["carry"], days["reread"]
    carried, yardstick = report(carry, "run-3"), report(reread, "run-3")
    assert carried["carried"] == {"run": "run-2", "sources": DATAJSON_SOURCES} and "carried" not in yardstick
    assert "repeat_of" not in carried  # the WAF was read: not a repeat of the whole run
    assert carried["totals"] == yardstick["totals"]
    assert outcomes(carry, "run-3") == outcomes(reread, "run-3")
    assert without_suites(carried["sources"]) == without_suites(yardstick["sources"])
    extracted = pq.read_table(carry / "runs" / "run-3" / "extract" / "records").to_pylist()
    assert {row["source_id"] for row in extracted} == {WAF_SOURCE}  # no data.json was split


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


def test_only_sources_whose_verdicts_depend_on_nothing_else_can_be_carried(spark, tmp_path):
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
    carriable = repeat_run.carriable_sources(report_figures(rows, statuses, [], {}, str(tmp_path)), refused)
    assert carriable == {"plain": "sha-plain"}


# A small WAF beside a data.json: carried only when it lists the same files and none was modified.

WAF_ENTRY = """  - id: waf
    title: Sample WAF
    organization: Example Agency
    url: "{base}/waf/"
    type: waf
    schema: iso19115
    allow_private_network: true
"""


def fetched_files(source) -> list[list]:
    """[url, etag, last_modified] of each file the WAF lists, as extract's fetch answers for it."""
    policy = transport.policy_for(FetchPolicy(), source)
    files = []
    for entry in transport.crawl(source.url, policy).files:
        result = transport.read_document(entry.url, policy)
        assert result.ok
        files.append([entry.url, result.etag, result.last_modified])
    return files


@pytest.fixture(params=["disk", "http"])
def waf_site(request, tmp_path) -> Iterator[tuple[Path, Path, str]]:
    """(lake, the WAF's folder, registry text): run-1 left LAST_RUN.json for a data.json and a WAF,
    read from disk or over loopback HTTP."""
    site, lake = tmp_path / "site", tmp_path / "lake"
    shutil.copytree(SAMPLES / "www" / "datajson", site / "datajson")
    shutil.copytree(SAMPLES / "www" / "waf", site / "waf")
    with contextlib.ExitStack() as stack:
        if request.param == "http":
            base = stack.enter_context(serve_folder(site)).rstrip("/")
        else:
            base = site.as_uri()
        registry = REGISTRY.format(base=base).split("  - id: agency-dcat3")[0] + WAF_ENTRY.format(base=base)
        previous = manifest_for(registry, run_id="run-1", base_version=None)
        agency, waf = previous.sources()
        files = {"waf": fetched_files(waf)}
        digests = {"agency": document_sha256(agency), "waf": repeat_run.files_sha256(files["waf"])}
        repeat_run.write_last_run(str(lake), previous, "run-1", digests, files)
        for table in ("validate/records", "validate/sources"):
            (lake / "runs" / "run-1" / table).mkdir(parents=True)
        yield lake, site / "waf", registry


@pytest.mark.parametrize("change", [None, "a file saved again", "a file added", "a file removed"])
def test_a_small_waf_is_carried_only_when_it_lists_the_same_files_none_modified(waf_site, change):
    lake, folder, registry = waf_site
    first, *_ = sorted(folder.rglob("*.xml"))
    if change == "a file saved again":  # same text, a later modification time
        later = first.stat().st_mtime + 60
        os.utime(first, (later, later))
    elif change == "a file added":
        shutil.copy(first, first.with_name("added.xml"))
    elif change == "a file removed":
        first.unlink()
    decided = repeat_run.decide(str(lake), manifest_for(registry))
    if change is None:
        assert decided.whole and set(decided.documents) == {"agency", "waf"}
        assert repeat_run.read_carry(str(lake), "run-2") == decided
    else:  # extract's first pass may still carry the data.json; the WAF is read
        assert not decided.whole and set(decided.documents) == {"agency"}
        assert repeat_run.read_carry(str(lake), "run-2") is None


def test_a_run_whose_wafs_list_too_many_files_to_check_one_by_one_records_none(tmp_path):
    """Its repeat would be checked file by file on the driver: it is left for extract to read."""
    half = repeat_run.REPEAT_MAX_WAF_FILES // 2 + 1
    registry = "sources:\n" + WAF + WAF.replace("id: waf", "id: waf-2").replace("/waf/", "/waf2/")
    figures = {
        CARRY_FACTS: {
            name: {"status": "complete", "document_sha256": None, "rows_not_carriable": 0}
            for name in ("waf", "waf-2")
        },
        "sources": [{"source_id": name, "errors": 0, "extracted": half} for name in ("waf", "waf-2")],
    }

    def extracted():
        raise AssertionError("WAFs over the limit are not looked up")

    sources = manifest_for(registry, run_id="run-1").sources()
    assert repeat_run.waf_files(figures, sources, None, str(tmp_path / "lake"), extracted) == {}


def test_a_source_not_found_unchanged_within_the_check_s_time_is_read_as_changed(tmp_path, monkeypatch):
    """A slow server delays the run's start by at most REPEAT_CHECK_S; then extract reads it as usual."""
    shutil.copytree(SAMPLES / "www" / "waf", tmp_path / "site" / "waf")
    port, lake = free_port(), tmp_path / "lake"
    with serve_folder(tmp_path / "site", port=port) as base:  # run-1 fetched the WAF from a quick server
        registry = "sources:\n" + WAF_ENTRY.format(base=base.rstrip("/"))
        previous = manifest_for(registry, run_id="run-1", base_version=None)
        (waf,) = previous.sources()
        files = {"waf": fetched_files(waf)}
    repeat_run.write_last_run(
        str(lake), previous, "run-1", {"waf": repeat_run.files_sha256(files["waf"])}, files
    )
    for table in ("validate/records", "validate/sources"):
        (lake / "runs" / "run-1" / table).mkdir(parents=True)
    with serve_folder(tmp_path / "site", port=port, latency_s=0.3):  # the same files, served slowly
        assert repeat_run.decide(str(lake), manifest_for(registry)).whole  # in time: a repeat
        monkeypatch.setattr(repeat_run, "REPEAT_CHECK_S", 0.1)  # shorter than one answer of the server
        assert repeat_run.decide(str(lake), manifest_for(registry, run_id="run-3")) is None
