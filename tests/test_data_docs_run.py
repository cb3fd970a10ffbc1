"""The Data Docs belong to their harvest run: named by its run id, their batch named, linked both ways with
the run's report.html, and plain about judging the whole batch while the report judges each source."""

import json
from pathlib import Path

import pandas as pd
import pytest
from lxml import html

from tests.test_quality_suites import GOOD
from transforms.gate.suites import (
    PACKAGED_SUITES,
    SuiteRunner,
    failures_by_source,
    load_suite,
    publish_reports,
)
from transforms.reports.report_html import BATCH_NOTE, render_report_html

RUN_ID = "20261206T020000Z-w30"
# One source of two records, one with an address that is no mailto: (half of its records: above the
# 10% has_email allows), beside a source of twenty good records: 1 of 22 in the batch, within 10%.
SMALL = [{**GOOD, "source_id": "small", "identifier": "s1"}] + [
    {**GOOD, "source_id": "small", "identifier": "s2", "has_email": "opendata at agency"}
]
BIG = [{**GOOD, "source_id": "big", "identifier": f"b{i}"} for i in range(20)]


def page_text(path: Path) -> str:
    """The page's text, each element's text apart (table cells do not run together)."""
    return " ".join(" ".join(html.document_fromstring(path.read_bytes()).itertext()).split())


def resolved(page: Path, element_id: str) -> Path:
    """The file the link with ``element_id`` on ``page`` points to (relative links only)."""
    [href] = html.document_fromstring(page.read_bytes()).xpath(f'//a[@id="{element_id}"]/@href')
    assert "://" not in href and not href.startswith("/")
    return (page.parent / href).resolve()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> tuple[Path, dict]:
    """runs/<run_id>/ with the Data Docs validate writes and the report.html load writes; and the per-source failures."""
    root = tmp_path_factory.mktemp("lake") / "runs" / RUN_ID
    frame = pd.DataFrame(SMALL + BIG)
    build = str(tmp_path_factory.mktemp("build"))
    runner = SuiteRunner(build, RUN_ID)
    validation = runner.run(
        load_suite(PACKAGED_SUITES, "transformed_records"), frame, ["source_id", "identifier"]
    )
    failures = failures_by_source(validation, frame)
    docs = publish_reports(runner, build, str(root / "quality"))
    report = {
        "run_id": RUN_ID,
        "status": "succeeded",
        "quality_docs": f"quality/{docs}",
        "sources": [],
        "totals": {},
    }
    (root / "report").mkdir(parents=True)
    (root / "report" / "report.html").write_text(render_report_html(report), encoding="utf-8")
    return root, failures


def test_the_validation_pages_are_named_by_the_run_id_and_name_their_batch(run_folder):
    root, _ = run_folder
    pages = sorted((root / "quality" / "validations").rglob("*.html"))
    assert [page.relative_to(root / "quality" / "validations").parts[:2] for page in pages] == [
        ("transformed_records", RUN_ID)
    ]
    text = page_text(pages[0])
    assert f"Run Name {RUN_ID}" in text and "__none__" not in text
    assert f"Data asset: transformed_records batch of run {RUN_ID}: 22 rows from 2 source(s)" in text
    assert "Data asset: None" not in text


def test_report_and_data_docs_link_each_other_to_files_that_exist(run_folder):
    root, _ = run_folder
    report = root / "report" / "report.html"
    index = resolved(report, "data-docs")
    assert index == (root / "quality" / "index.html").resolve() and index.is_file()
    assert (
        RUN_ID
        in html.document_fromstring(report.read_bytes()).xpath('//a[@id="data-docs"]')[0].text_content()
    )
    pages = [index, *sorted((root / "quality").rglob("validations/**/*.html"))]
    pages += sorted((root / "quality" / "expectations").rglob("*.html"))
    assert len(pages) == 3
    for page in pages:
        assert resolved(page, "harvest-report") == report.resolve(), page
        assert RUN_ID in page_text(page)


def test_where_ge_passes_the_batch_and_a_source_fails_both_pages_say_which_judges_what(run_folder):
    root, failures = run_folder
    [validation_page] = (root / "quality" / "validations").rglob("*.html")
    # The batch met every expectation; the small source, on its own, did not.
    assert "Status: Succeeded" in page_text(validation_page)
    assert [(f.expectation, f.column) for f in failures["small"]] == [
        ("expect_column_values_to_match_regex", "has_email")
    ]
    assert "big" not in failures
    note = " ".join(BATCH_NOTE.split())
    assert note in page_text(validation_page)
    assert note in page_text(root / "report" / "report.html")


def test_results_json_names_the_run_and_its_report(run_folder):
    root, _ = run_folder
    results = json.loads((root / "quality" / "results.json").read_text(encoding="utf-8"))
    meta = results["transformed_records"]["meta"]
    assert meta["run_id"]["run_name"] == RUN_ID
    assert meta["harvest_run"]["run_id"] == RUN_ID
    assert (root / "quality" / meta["harvest_run"]["report"]).resolve() == (
        root / "report" / "report.html"
    ).resolve()
