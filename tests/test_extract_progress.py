"""Progress inside extract: a WAF that takes a while shows files fetched of the total while it runs."""

import logging
import re
import shutil
from pathlib import Path

from devtools.local_http import serve_folder
from transforms.fetch import progress
from transforms.fetch.extract import extract_sources
from transforms.fetch.http import FetchPolicy
from transforms.registry import Source

TIDES = Path(__file__).resolve().parent / "fixtures" / "extract" / "waf" / "coastal" / "tides.xml"
FILES = 30


def test_a_slow_waf_reports_files_fetched_of_the_total_while_it_runs(spark, tmp_path, caplog, monkeypatch):
    for number in range(FILES):
        shutil.copy(TIDES, tmp_path / f"record-{number:02d}.xml")
    monkeypatch.setattr(progress, "INTERVAL_S", 0.25)
    # One fetch thread and 50 ms per answer: the files take about 1.5 s, several progress intervals.
    policy = FetchPolicy(retries=0, threads_per_task=1, tasks_per_host=1)
    caplog.set_level(logging.INFO, logger="harvest.progress")
    # The harvest command gives the progress logger a terminal of its own; here it reaches caplog.
    monkeypatch.setattr(logging.getLogger("harvest.progress"), "propagate", True)
    with serve_folder(tmp_path, latency_s=0.05) as base:
        waf = Source("slow", "Slow WAF", "Agency", base, "waf", "iso19115", allow_private_network=True)
        records, _ = extract_sources(spark, [waf], policy=policy)
    assert records.count() == FILES
    lines = [r.getMessage() for r in caplog.records if r.name == "harvest.progress"]
    fetched = [
        int(m.group(1))
        for m in (re.match(rf"extract: (\d+) of {FILES} WAF files fetched$", x) for x in lines)
        if m
    ]
    assert fetched, lines
    assert all(0 <= count <= FILES for count in fetched) and fetched == sorted(fetched)
