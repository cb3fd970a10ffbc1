"""The report page (opened in headless Chromium) and the terminal summary."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from transforms.reports.report_html import render_report_html
from transforms.reports.report_text import format_report_text

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = '<script>alert("x")</script>'


def source(source_id, status="complete", reason=None, **counts):
    entry = {
        "source_id": source_id,
        "title": f"{source_id} catalog",
        "organization": "Example Agency",
        "url": f"https://{source_id}.example.gov/data.json",
        "type": "datajson",
        "status": status,
        "reason": reason,
        "error_messages": [],
        "top_reasons": [],
        "failed_expectations": [],
    }
    names = (
        "extracted",
        "created",
        "updated",
        "deleted",
        "unchanged",
        "rejected",
        "held",
        "errors",
        "warnings",
    )
    entry.update({name: counts.get(name, 0) for name in names})
    return entry


def example_report():
    noaa = source("noaa-waf", extracted=10, created=3, updated=1, unchanged=5, rejected=1, warnings=4)
    noaa["type"] = "waf"
    noaa["top_warnings"] = [
        {"warning": "fixup: no contact email; the default was used", "count": 3, "examples": ["id-4"]},
        {"warning": f"schema: $.keyword {HOSTILE}", "count": 1, "examples": ["id-5"]},
    ]
    noaa["failed_expectations"] = [
        {
            "expectation": "expect_column_values_to_match_regex",
            "column": "has_email",
            "severity": "warning",
            "unexpected_count": 2,
            "examples": ["id-3"],
        }
    ]
    held = source(
        "shrinking",
        "held",
        "mass-deletion guard: 120 of 200 published records would be deleted (60%)",
        extracted=80,
        unchanged=80,
        held=0,
    )
    held["deletes_held"] = 120
    failed = source(
        "broken", "failed", "fetch failed: HTTP 503 from https://broken.example.gov/data.json", errors=1
    )
    failed["error_messages"] = ["https://broken.example.gov/data.json: HTTP 503"]
    evil = source("evil", extracted=2, rejected=2)
    evil["title"] = HOSTILE
    evil["url"] = "javascript:alert(1)"
    sources = [noaa, held, failed, evil]
    totals = {
        name: sum(s[name] for s in sources)
        for name in (
            "extracted",
            "created",
            "updated",
            "deleted",
            "unchanged",
            "rejected",
            "held",
            "errors",
            "warnings",
        )
    }
    return {
        "run_id": "20261127T020000Z-ab12cd",
        "status": "succeeded",
        "started": "2026-11-27T02:00:00Z",
        "finished": "2026-11-27T02:03:10Z",
        "lake": "/lake",
        "force": False,
        "sources": sources,
        "totals": totals,
        "top_reasons": [
            {
                "reason": "schema: $.title: required field is missing",
                "count": 2,
                "examples": [
                    {"source_id": "evil", "identifier": "e-1"},
                    {"source_id": "noaa-waf", "identifier": "id-1"},
                ],
            },
            {
                "reason": f"schema: $.description {HOSTILE}",
                "count": 1,
                "examples": [{"source_id": "evil", "identifier": "\x1b[31mred"}],
            },
        ],
        "quality_docs": "quality/index.html",
        "outcomes": "report/outcomes",
    }


def test_publisher_text_is_escaped_and_hostile_links_are_inert():
    page = render_report_html(example_report())
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert (
        'href="https://noaa-waf.example.gov/data.json"' not in page
    )  # complete sources are not listed with links
    assert 'href="https://broken.example.gov/data.json"' in page


def test_page_shows_records_per_dcat_us_class():
    report = example_report()
    nothing = dict.fromkeys(("created", "updated", "unchanged", "rejected", "held"), 0)
    report["sources"][0]["record_types"] = {
        "Dataset": {**nothing, "records": 7, "created": 3, "unchanged": 4},
        "DataService": {**nothing, "records": 3, "updated": 1, "unchanged": 1, "rejected": 1},
    }
    row = re.search(r'<tr class="source" data-source="noaa-waf">(.*?)</tr>', render_report_html(report), re.S)
    classes = re.search(r'<span class="classes none">(.*?)</span></td>', row.group(1), re.S).group(1)
    assert re.sub(r"<[^>]+>", "", classes) == "Dataset 7 · DataService 3"
    assert 'title="DataService: 1 updated, 1 unchanged, 1 rejected"' in classes


def test_page_links_the_data_docs_relative_to_the_report_folder():
    assert 'href="../quality/index.html"' in render_report_html(example_report())
    assert "No Data Docs" in render_report_html({**example_report(), "quality_docs": None})


def test_page_names_held_and_failed_sources_with_their_reason_and_failed_expectations():
    page = render_report_html(example_report())
    held = re.search(r'<ul id="held-sources">(.*?)</ul>', page, re.S).group(1)
    assert "shrinking" in held and "mass-deletion guard" in held and "broken" not in held
    failed = re.search(r'<ul id="failed-sources">(.*?)</ul>\s*</li></ul>', page, re.S).group(1)
    assert "HTTP 503" in failed and "shrinking" not in failed
    assert "expect_column_values_to_match_regex" in page and "has_email" in page


def test_an_empty_run_renders():
    page = render_report_html(
        {"run_id": "r", "status": "succeeded", "sources": [], "totals": {}, "top_reasons": []}
    )
    assert "No record was rejected." in page and "<svg" in page


def test_terminal_summary_lists_sources_totals_and_reasons_without_control_characters():
    text = format_report_text(example_report())
    lines = text.splitlines()
    noaa = next(line for line in lines if line.startswith("noaa-waf"))
    assert noaa.split() == ["noaa-waf", "complete", "10", "3", "1", "0", "5", "1", "0", "0", "4"]
    total = next(line for line in lines if line.startswith("total"))
    assert total.split() == ["total", "92", "3", "1", "0", "85", "3", "0", "1", "4"]
    assert "shrinking (held): mass-deletion guard" in text
    assert "schema: $.title: required field is missing" in text
    assert "\x1b" not in text


def chromium(tmp_path, *arguments, offline: bool = False):
    """Headless Chromium's stdout for ``arguments``; ``offline`` runs it in a network namespace of its own."""
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium is missing at /usr/bin/chromium: apt-get install chromium")
    profile = tmp_path / "profile"
    command = [
        *(["unshare", "--net"] if offline else []),  # no interface up: nothing can be fetched
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *arguments,
    ]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=90, check=True).stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.browser
def test_page_renders_in_headless_chromium_with_the_table_and_the_chart(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_report_html(example_report()), encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.count('<tr class="source"') == 4
    assert 'data-source="noaa-waf"' in dom
    assert len(re.findall(r'<rect class="bar bar-created"', dom)) == 1
    assert len(re.findall(r'<rect class="bar bar-unchanged"', dom)) == 2
    assert len(re.findall(r'<rect class="bar bar-rejected"', dom)) == 2
    assert "<script>alert" not in dom

    chromium(tmp_path, f"--screenshot={tmp_path / 'r.png'}", "--window-size=1200,900", page.as_uri())
    assert (tmp_path / "r.png").stat().st_size > 10_000


def test_warnings_are_shown_per_source_in_the_page_and_the_terminal():
    page = render_report_html(example_report())
    table = re.search(r'<table id="warnings">(.*?)</table>', page, re.S).group(1)
    assert table.count("<tr><td>noaa-waf</td>") == 2 and "the default was used" in table
    assert "<script>" not in table
    text = format_report_text(example_report())
    block = text[text.index("Warnings by source:") :].splitlines()
    assert block[1] == "  noaa-waf (4 records):"
    assert block[2].split()[0] == "3" and "the default was used" in block[2] and "(e.g. id-4)" in block[2]


def test_a_stopped_run_shows_its_stage_and_message_instead_of_an_empty_table():
    report = {
        "run_id": "r9",
        "status": "failed",
        "outcome": "failed",
        "failed_stage": "transform",
        "message": "the transform job failed: ValueError: boom; the catalog is unchanged (current version: r8)",
        "finished": "2026-11-27T02:03:10Z",
        "sources": [],
        "totals": {},
    }
    text = format_report_text(report)
    assert text.splitlines()[:2] == [
        "Harvest run r9: failed at transform (finished 2026-11-27T02:03:10Z)",
        "the transform job failed: ValueError: boom; the catalog is unchanged (current version: r8)",
    ]
    assert "total" not in text
    assert "ValueError: boom" in render_report_html(report)


def test_changed_records_are_counted_beside_their_csvs_in_the_page_and_the_terminal():
    report = example_report()
    noaa = report["sources"][0]
    noaa.update(
        created_csv="report/changes/noaa-waf.created.csv",
        updated_csv="report/changes/noaa-waf.updated.csv",
        deleted_csv=None,
    )
    page = render_report_html(report)
    row = re.search(r'<table id="changes">.*?<tr data-source="noaa-waf">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="n change-created">3</td><td><a class="csv" href="changes/noaa-waf.created.csv">' in row
    assert '<td class="n change-updated">1</td><td><a class="csv" href="changes/noaa-waf.updated.csv">' in row
    assert '<td class="n change-deleted">0</td><td></td>' in row
    text = format_report_text(report)
    assert (
        "  noaa-waf: 3 created (report/changes/noaa-waf.created.csv), 1 updated (report/changes/noaa-waf.updated.csv)"
        in text.splitlines()
    )
