"""Source history: run summaries kept in the lake, `harvest history`, and runs/index.html in headless Chromium."""

import json
import re

import pytest

from harvest_cli.main import main
from harvest_cli.publisher_commands import HISTORY_COUNTS
from tests.test_report_html import HOSTILE, chromium, source
from transforms import lake as lake_files
from transforms.lake.run_history import read_history, streak_members, trailing_streak
from transforms.reports.history_html import record_run_history, render_history_html

# (status of "flaky", reason) per day; "steady" completes every day.
DAYS = [
    ("complete", None),
    ("failed", "fetch failed: HTTP 503 from https://flaky.example.gov/data.json"),
    ("failed", "fetch failed: HTTP 503 from https://flaky.example.gov/data.json"),
    (
        "held",
        "held: 90 of 100 published records would be deleted (90% > 20% allowed); run with --force to apply",
    ),
]


def report(day: int, flaky_status: str, reason: str | None, dry_run: bool = False) -> dict:
    steady = source("steady", extracted=10 + day, created=1, unchanged=9 + day)
    counts = {"extracted": 100, "unchanged": 100} if flaky_status == "complete" else {"errors": 1}
    flaky = source("flaky", flaky_status, reason, **counts)
    return {
        "run_id": f"2026112{day}T020000Z-abc{day}",
        "status": "succeeded",
        "started": f"2026-11-2{day}T02:00:00+00:00",
        "finished": f"2026-11-2{day}T02:03:10+00:00",
        "dry_run": dry_run,
        "sources": [steady, flaky],
        "totals": {"extracted": steady["extracted"] + flaky["extracted"]},
    }


@pytest.fixture
def lake(tmp_path):
    root = tmp_path / "lake"
    for day, (status, reason) in enumerate(DAYS):
        record_run_history(str(root), report(day, status, reason))
    return root


def test_each_run_adds_its_summary_and_a_run_loaded_again_replaces_it(lake):
    runs = read_history(str(lake))
    assert [run["run_id"][-4:] for run in runs] == ["abc0", "abc1", "abc2", "abc3"]
    assert runs[0]["seconds"] == 190 and runs[3]["sources"]["flaky"]["status"] == "held"
    record_run_history(str(lake), report(3, "complete", None))  # load ran again for the last run
    runs = read_history(str(lake))
    assert len(runs) == 4 and runs[3]["sources"]["flaky"]["status"] == "complete"


def test_history_is_rebuilt_from_the_reports_when_its_file_is_gone(tmp_path):
    root = tmp_path / "lake"
    for day, (status, reason) in enumerate(DAYS):
        folder = root / "runs" / f"run-{day}" / "report"
        folder.mkdir(parents=True)
        (folder / "report.json").write_text(json.dumps(report(day, status, reason)))
    (root / "runs" / "run-9" / "report").mkdir(parents=True)
    (root / "runs" / "run-9" / "report" / "report.json").write_text("{ half written")
    runs = read_history(str(root))
    assert [run["sources"]["flaky"]["status"] for run in runs] == [status for status, _ in DAYS]


def test_streaks_of_failed_or_held_runs():
    entries = [{"status": s} for s in ("failed", "complete", "failed", "held", "failed", "complete", "held")]
    assert streak_members(entries) == {2, 3, 4}
    assert trailing_streak(entries) == 1
    assert trailing_streak([{"status": s} for s, _ in DAYS]) == 3


def test_harvest_history_prints_each_sources_last_runs(lake, capsys):
    assert main(["history", "--lake", str(lake), "--last", "2"]) == 0
    text = capsys.readouterr().out
    assert "flaky: last 2 run(s)  (held in the last 3 runs)" in text
    flaky = text.split("flaky:")[1].split("steady:")[0].splitlines()
    assert flaky[2].split()[:3] == ["20261123T020000Z-abc3", "2026-11-23T02:00:00+00:00", "held"]
    assert "would be deleted" in flaky[2] and "3 min 10 s" in flaky[2]
    assert flaky[3].split()[2] == "failed" and len([line for line in flaky if "abc" in line]) == 2
    assert main(["history", "steady", "--lake", str(lake)]) == 0
    text = capsys.readouterr().out
    assert "flaky" not in text and text.count("T020000Z-abc") == 4
    assert main(["history", "flaky", "--lake", str(lake)]) == 0
    header = capsys.readouterr().out.splitlines()[1].split()
    # every column is headed; the duration is the run's, and says so
    assert header == ["run", "started", "status", *HISTORY_COUNTS, "run", "took", "reason"]
    assert main(["history", "flakey", "--lake", str(lake)]) == 2  # an unknown source id is a usage error
    assert capsys.readouterr().err.strip().endswith("harvested source 'flakey'; did you mean flaky?")


def test_history_and_report_of_a_lake_with_no_run_agree(capsys, tmp_path):
    assert main(["init", "--lake", str(tmp_path)]) == 0
    capsys.readouterr()
    for command in ("history", "report"):
        assert main([command, "--lake", str(tmp_path)]) == 2  # nothing to show: nothing was started
        assert (
            capsys.readouterr().err.strip()
            == f"harvest {command}: no run has been reported in {tmp_path} yet"
        )


def test_page_escapes_publisher_text_and_names_dry_runs(lake):
    runs = record_run_history(str(lake), report(4, "failed", HOSTILE, dry_run=True))
    page = (lake / "runs" / "index.html").read_text("utf-8")
    assert page == render_history_html(runs)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "dry run" in page
    assert 'href="20261124T020000Z-abc4/report/report.html"' in page
    # each source's table heads its duration column as the whole run's
    assert page.count("Run took</th>") == len(read_history(str(lake))[-1]["sources"])


@pytest.mark.browser
def test_history_page_in_headless_chromium_shows_trends_and_streaks(lake, tmp_path):
    page = lake / "runs" / "index.html"
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    sections = re.findall(r'<section class="source-history" data-source="([^"]+)" data-streak="(\d+)"', dom)
    assert sections == [("flaky", "3"), ("steady", "0")]  # the source in trouble first
    assert "held in the last 3 runs" in dom
    flaky = dom.split('data-source="flaky"')[1].split('data-source="steady"')[0]
    assert flaky.count('<tr class="streak"') == 3
    assert len(re.findall(r'<rect class="mark mark-(?:failed|held)"', flaky)) == 3
    assert len(re.findall(r'<rect class="bar bar-unchanged"', flaky)) == 1
    steady = dom.split('data-source="steady"')[1]
    assert len(re.findall(r'<rect class="bar bar-created"', steady)) == 4
    assert 'class="streak"' not in steady
    assert (
        dom.count('<tr class="run"') + dom.count('<tr class="streak"') == 4 + 4 + 4
    )  # runs table and both sources

    chromium(tmp_path, f"--screenshot={tmp_path / 'h.png'}", "--window-size=1200,1400", page.as_uri())
    assert (tmp_path / "h.png").stat().st_size > 10_000


def test_history_is_rebuilt_from_the_reports_of_an_s3_lake(aws):
    import boto3

    boto3.client("s3").create_bucket(Bucket="lake")
    root = "s3://lake/harvest"
    for day, (status, reason) in enumerate(DAYS):
        lake_files.write_text(
            f"{root}/runs/run-{day}/report/report.json", json.dumps(report(day, status, reason))
        )
        lake_files.write_text(f"{root}/runs/run-{day}/load/db_results/part-0.parquet", "not a report")
    lake_files.write_text(f"{root}/runs/run-9/manifest.json", "{}")  # a run that never reached its report
    runs = read_history(root)
    assert [run["sources"]["flaky"]["status"] for run in runs] == [status for status, _ in DAYS]
