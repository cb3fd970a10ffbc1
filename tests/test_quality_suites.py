"""Each expectation of each suite fails on a bad batch and passes on a good one, per source."""

import json

import pandas as pd
import pytest

from transforms.gate.suites import PACKAGED_SUITES as SUITES
from transforms.gate.suites import SuiteError, SuiteRunner, failures_by_source, load_suite

GOOD = {
    "identifier": "id",
    "title": "A title",
    "access_level": "public",
    "modified": "2024-01-02T03:04:05Z",
    "has_email": "mailto:a@agency.gov",
    "distribution_urls": "https://agency.gov/a.csv ftp://agency.gov/b",
    "record_type": "Dataset",
}
# source id -> (its rows' bad values, the one expectation it must fail)
BAD_RECORDS = {
    "no-identifier": ({"identifier": None}, ("expect_column_values_to_not_be_null", "identifier")),
    "duplicates": ({"identifier": "same"}, ("expect_compound_columns_to_be_unique", None)),
    "no-title": ({"title": None}, ("expect_column_values_to_not_be_null", "title")),
    "access": ({"access_level": "open"}, ("expect_column_values_to_be_in_set", "access_level")),
    "modified": ({"modified": "last tuesday"}, ("expect_column_values_to_match_regex", "modified")),
    "email": ({"has_email": "foo@bar"}, ("expect_column_values_to_match_regex", "has_email")),
    "urls": (
        {"distribution_urls": "https://a.gov/x not-a-url"},
        ("expect_column_values_to_match_regex", "distribution_urls"),
    ),
}
GOOD_MODIFIED = [
    "2024",
    "2024-01-02",
    "R/P1D",
    "R/2020-01-01/P1Y",
    "2000-01-01/2010-12-31",
    "2024-01-02 10:00",
]


def records_frame() -> pd.DataFrame:
    rows = [
        {**GOOD, "source_id": "good", "identifier": f"g{i}", "modified": modified}
        for i, modified in enumerate(GOOD_MODIFIED)
    ]
    for source_id, (bad, _) in BAD_RECORDS.items():
        # Two bad rows, but only one null identifier: two would also be duplicates of each other.
        for i in range(2):
            spoilt = bad if source_id != "no-identifier" or i == 0 else {}
            rows.append({**GOOD, "source_id": source_id, "identifier": f"{source_id}{i}", **spoilt})
    return pd.DataFrame(rows)


def changes_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            ("good", 100, 95, 5),
            ("new", 0, 10, 0),
            ("mass-delete", 100, 100, 30),
            ("shrunk", 100, 40, 10),
        ],
        columns=["source_id", "published", "extracted", "deletes"],
    )
    frame["delete_share"] = (frame["deletes"] / frame["published"]).where(frame["published"] > 0)
    frame["extracted_share"] = (frame["extracted"] / frame["published"]).where(frame["published"] > 0)
    return frame


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    runner = SuiteRunner(str(tmp_path_factory.mktemp("docs")), "r1")
    records, changes = records_frame(), changes_frame()
    record_validation = runner.run(
        load_suite(SUITES, "transformed_records"), records, ["source_id", "identifier"]
    )
    change_validation = runner.run(load_suite(SUITES, "change_set"), changes, ["source_id"])
    return (
        failures_by_source(record_validation, records),
        failures_by_source(change_validation, changes, key="source_id"),
    )


def test_every_record_expectation_is_exercised():
    suite = load_suite(SUITES, "transformed_records")
    assert {(e["type"], e["kwargs"].get("column")) for e in suite["expectations"]} == {
        expected for _, expected in BAD_RECORDS.values()
    }


def test_good_records_pass_every_expectation(results):
    assert "good" not in results[0]


@pytest.mark.parametrize("source_id", sorted(BAD_RECORDS))
def test_each_record_expectation_fails_on_its_bad_batch(results, source_id):
    [failure] = results[0][source_id]
    assert (failure.expectation, failure.column) == BAD_RECORDS[source_id][1]
    assert failure.unexpected_count == (1 if source_id == "no-identifier" else 2)
    assert failure.examples


def test_examples_name_the_records(results):
    [failure] = results[0]["email"]
    assert failure.summary() == {
        "expectation": "expect_column_values_to_match_regex",
        "column": "has_email",
        "severity": "warning",
        "unexpected_count": 2,
        "examples": ["email0", "email1"],
    }


def test_mostly_tolerates_a_few_bad_values(tmp_path):
    rows = [{**GOOD, "source_id": "big", "identifier": f"b{i}"} for i in range(40)]
    rows[0]["has_email"] = "placeholder"  # 1 of 40 bad: within mostly=0.9
    frame = pd.DataFrame(rows)
    validation = SuiteRunner(str(tmp_path), "r1").run(
        load_suite(SUITES, "transformed_records"), frame, ["source_id", "identifier"]
    )
    assert failures_by_source(validation, frame) == {}


def test_record_expectations_judge_only_the_classes_they_apply_to(tmp_path):
    bad_for_a_dataset = {
        "title": None,
        "has_email": "foo",
        "distribution_urls": "no url",
        "access_level": "open",
    }
    rows = [{**GOOD, "source_id": "v3", "identifier": "d0", "has_email": "placeholder"}]
    rows += [
        {**GOOD, **bad_for_a_dataset, "source_id": "v3", "identifier": f"{kind}{i}", "record_type": kind}
        for kind in ("CatalogRecord", "DataService")
        for i in range(9)
    ]
    frame = pd.DataFrame(rows)
    validation = SuiteRunner(str(tmp_path), "r1").run(
        load_suite(SUITES, "transformed_records"), frame, ["source_id", "identifier"]
    )
    failed = failures_by_source(validation, frame)["v3"]
    # Catalog records need no title (services do: 9 of 10 judged); the one Dataset's email is judged alone.
    assert sorted((f.column, f.unexpected_count, f.element_count) for f in failed) == [
        ("has_email", 1, 1),
        ("title", 9, 10),
    ]


def test_change_set_guards(results):
    failed = results[1]
    assert "good" not in failed and "new" not in failed
    assert [(f.column, f.severity) for f in failed["mass-delete"]] == [("delete_share", "critical")]
    assert [(f.column, f.severity) for f in failed["shrunk"]] == [("extracted_share", "critical")]


def test_unreadable_or_incomplete_suites_are_fatal(tmp_path):
    with pytest.raises(SuiteError, match="missing or unreadable"):
        load_suite(str(tmp_path), "transformed_records")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(SuiteError, match="missing or unreadable"):
        load_suite(str(tmp_path), "broken")
    (tmp_path / "nosev.json").write_text(
        json.dumps({"name": "x", "expectations": [{"type": "t", "kwargs": {}}]})
    )
    with pytest.raises(SuiteError, match="severity"):
        load_suite(str(tmp_path), "nosev")
