"""Data Docs show a publisher's values as text: GE would write them into its pages as raw HTML."""

import pandas as pd
from lxml import html

from tests.live_markup import (
    DOUBLE_QUOTE_BREAKOUT,
    ELEMENT,
    JAVASCRIPT_URL,
    SCRIPT,
    SINGLE_QUOTE_BREAKOUT,
    live_markup_in_folder,
)
from tests.test_quality_suites import GOOD
from transforms.gate.suites import PACKAGED_SUITES as SUITES
from transforms.gate.suites import SuiteRunner, failures_by_source, load_suite, publish_reports


def test_data_docs_show_publisher_values_as_text_while_the_suites_judge_the_real_ones(tmp_path):
    """A dataset whose identifier is an <img onerror> must not run its script in a reviewer's browser."""
    hostile = {
        "identifier": ELEMENT,
        "modified": SCRIPT,
        "access_level": SINGLE_QUOTE_BREAKOUT,
        "has_email": f"mailto:{DOUBLE_QUOTE_BREAKOUT}@agency.gov",
        "distribution_urls": f"https://agency.gov/{ELEMENT} {JAVASCRIPT_URL}",
    }
    frame = pd.DataFrame([{**GOOD, "source_id": "hostile", **hostile}, {**GOOD, "source_id": "good"}])
    runner = SuiteRunner(str(tmp_path / "build"), "r1")
    validation = runner.run(load_suite(SUITES, "transformed_records"), frame, ["source_id", "identifier"])
    failed = failures_by_source(validation, frame)
    # Judged on the real values, and named by the real identifier.
    assert {f.column for f in failed["hostile"]} == {
        "modified",
        "access_level",
        "has_email",
        "distribution_urls",
    }
    assert {tuple(f.examples) for f in failed["hostile"]} == {(ELEMENT,)}
    assert publish_reports(runner, str(tmp_path / "build"), str(tmp_path / "quality")) == "index.html"

    assert live_markup_in_folder(tmp_path / "quality") == {}
    # ...and still shown: the validation page reads as the publisher's text.
    [page] = (tmp_path / "quality" / "validations").rglob("*.html")
    text = html.document_fromstring(page.read_bytes()).text_content()
    assert ELEMENT in text and SCRIPT in text and SINGLE_QUOTE_BREAKOUT in text
    assert ELEMENT in (tmp_path / "quality" / "results.json").read_text(encoding="utf-8")
