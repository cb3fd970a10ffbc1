"""The record suite judged in small batches adds up to exactly what one validation of every record gives:
GE's result per expectation (what the Data Docs show and results.json holds), and each source's failures
(holds, the summary), whether the stage judges the records in one task or shuffled over several."""

import json
import random
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_quality_suites import GOOD
from transforms.gate.suites import (
    PACKAGED_SUITES,
    POSITION,
    RECORD_KEY,
    SuiteRunner,
    combine_batches,
    failures_by_source,
    judge_batch,
    key_batches,
    load_suite,
    source_failures,
)
from transforms.gate.validate import SHUFFLED_RECORD_TASKS, run_suites
from transforms.schemas import SOURCE_STATUS, TRANSFORMED

SUITE = load_suite(PACKAGED_SUITES, "transformed_records")


def mixed_records() -> pd.DataFrame:
    """Three sources; "dup" repeats identifiers far apart in reading order (the uniqueness expectation,
    which judges the whole set, fails there), "bad" fails row-wise expectations, some above "mostly"."""
    rows = []
    for i in range(12):
        rows.append({**GOOD, "source_id": "dup", "identifier": f"d{i % 5}"})
        rows.append(
            {**GOOD, "source_id": "bad", "identifier": f"b{i}", "modified": "soon" if i % 3 else "2024"}
        )
        rows.append({**GOOD, "source_id": "good", "identifier": f"g{i}"})
    rows.append({**GOOD, "source_id": "bad", "identifier": None, "title": None})
    rows.append({**GOOD, "source_id": "bad", "identifier": None, "record_type": "CatalogRecord"})
    return pd.DataFrame(rows)


def plain(value):
    """A value as it comes back from JSON: the batches' shares travel as JSON."""
    return json.loads(json.dumps(value, default=str))


def one_validation(frame: pd.DataFrame):
    """GE's validation of every row at once, as the stage ran it before batches."""
    return runner().run(SUITE, frame, list(RECORD_KEY))


def in_batches(frame: pd.DataFrame, rows: int, chunk: int, seed: int):
    """The rows numbered in reading order, sorted by key as a Spark task gets them (in chunks), cut into
    batches of about ``rows`` rows, judged one by one and combined in a shuffled order."""
    numbered = frame.assign(**{POSITION: range(len(frame))})
    ordered = numbered.sort_values(list(RECORD_KEY), kind="stable", na_position="first")
    chunks = (ordered.iloc[start : start + chunk] for start in range(0, len(ordered), chunk))
    shares = [judge_batch(SUITE, batch) for batch in key_batches(chunks, rows)]
    random.Random(seed).shuffle(shares)
    return combine_batches(SUITE, shares), shares


def runner() -> SuiteRunner:
    """A run's GE context (one runs a suite once); these tests build no Data Docs in its folder."""
    return SuiteRunner(str(Path(tempfile.gettempdir(), "no-data-docs")), "r1")


def assert_same(frame: pd.DataFrame, rows: int, chunk: int, seed: int) -> None:
    whole = one_validation(frame)
    judged, _ = in_batches(frame, rows, chunk, seed)
    for item, (success, details) in zip(whole.results, judged.results, strict=True):
        expected = dict(item.result)
        expected.pop("unexpected_index_query", None)  # row numbers of a pandas frame no one has
        assert (success, plain(details)) == (item.success, plain(expected)), item.expectation_config.type
    combined = runner().run_judged(SUITE, judged)
    assert (combined.success, combined.statistics) == (whole.success, whole.statistics)
    assert plain(source_failures(combined, judged.elements, "identifier")) == plain(
        failures_by_source(whole, frame)
    )
    assert (judged.rows, judged.sources) == (len(frame), set(frame["source_id"]))


def test_batches_of_three_give_what_one_validation_gives():
    frame = mixed_records()
    assert_same(frame, rows=3, chunk=4, seed=0)
    whole = failures_by_source(one_validation(frame), frame)
    # the fixture does what it says: an aggregate expectation fails, and row-wise ones do
    assert ("expect_compound_columns_to_be_unique", None) in {(f.expectation, f.column) for f in whole["dup"]}
    assert {f.column for f in whole["bad"]} >= {"modified", "identifier"}


def test_more_unexpected_rows_than_ge_lists_values_of():
    """GE lists the values of the first 200 unexpected rows, every row's index: so do the batches."""
    frame = pd.DataFrame(
        [
            {
                **GOOD,
                "source_id": f"s{i % 3}",
                "identifier": f"r{i}",
                "modified": f"day {i % 7}" if i % 2 else "2024",
            }
            for i in range(500)
        ]
    )
    assert_same(frame, rows=60, chunk=25, seed=2)


def test_a_key_is_never_split_between_batches():
    _, shares = in_batches(mixed_records(), rows=3, chunk=2, seed=1)
    assert max(share["rows"] for share in shares) <= 4  # "dup" keys have 3 rows: a batch may hold one more
    keys = [
        {(row[1]["source_id"], row[1]["identifier"]) for row in share["expectations"][1]["unexpected"]}
        for share in shares
    ]
    assert all(not (a & b) for n, a in enumerate(keys) for b in keys[n + 1 :])


RECORDS = st.lists(
    st.fixed_dictionaries(
        {
            "source_id": st.sampled_from(["s1", "s2", "s3"]),
            "identifier": st.sampled_from(["a", "b", "c", "d", None]),
            "title": st.sampled_from(["A title", None]),
            "access_level": st.sampled_from(["public", "open", None]),
            "modified": st.sampled_from(["2024-01-02", "soon", None]),
            "record_type": st.sampled_from(["Dataset", "CatalogRecord"]),
        }
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=12, deadline=None)
@given(records=RECORDS, rows=st.integers(1, 5), chunk=st.integers(1, 6), seed=st.integers(0, 9))
def test_any_batching_gives_what_one_validation_gives(records, rows, chunk, seed):
    frame = pd.DataFrame([{**GOOD, **record} for record in records])
    assert_same(frame, rows, chunk, seed)


def stage_result(
    spark,
    tmp_path,
    tasks: int,
    batch_rows: int,
    records_at_most: int | None = None,
    driver_rows: int | None = None,
):
    """run_suites over the mixed records read in ``tasks`` tasks (``records_at_most``: the count it is
    told, else none; ``driver_rows``: up to how many the driver judges, else the stage's own figure):
    holds, failures, results.json's verdicts."""
    rows = [
        {
            **record,
            "distribution_urls": record["distribution_urls"].split(" "),
            "action": "create",
            "dcat_json": "{}",
        }
        for record in mixed_records().to_dict("records")
    ]
    # The same reading order, read in ``tasks`` tasks.
    records = [tuple(row.get(name) for name in TRANSFORMED.fieldNames()) for row in rows]
    transformed = spark.createDataFrame(spark.sparkContext.parallelize(records, tasks), TRANSFORMED)
    statuses = spark.createDataFrame(
        [
            {
                **dict.fromkeys(SOURCE_STATUS.fieldNames()),
                "source_id": source_id,
                "status": "complete",
                "extracted": 12,
            }
            for source_id in ("dup", "bad", "good")
        ],
        SOURCE_STATUS,
    )
    published = spark.createDataFrame([("bad", 10)], "source_id string, published long")
    quality_dir = tmp_path / f"quality-{tasks}-{batch_rows}-{records_at_most}-{driver_rows}"
    holds, failures, docs = run_suites(
        transformed,
        statuses,
        published,
        PACKAGED_SUITES,
        str(quality_dir),
        "r1",
        records_at_most=records_at_most,
        batch_rows=batch_rows,
        **({} if driver_rows is None else {"driver_rows": driver_rows}),
    )
    results = json.loads((quality_dir / "results.json").read_text(encoding="utf-8"))
    verdicts = {
        name: (
            result["success"],
            result["statistics"],
            [(item["success"], item["result"]) for item in result["results"]],
        )
        for name, result in results.items()
    }
    return holds, plain(failures), docs, verdicts


def test_the_stage_gives_the_same_verdicts_in_one_batch_or_many_tasks_of_small_batches(spark, tmp_path):
    one = stage_result(spark, tmp_path, tasks=1, batch_rows=1_000_000)
    many = stage_result(spark, tmp_path, tasks=SHUFFLED_RECORD_TASKS + 1, batch_rows=3)
    assert many == one
    holds, failures, docs, _ = one
    assert set(holds) == {"dup", "bad"} and docs == "index.html"


def test_the_driver_judges_a_run_counted_to_be_small_enough_as_the_spark_tasks_do(spark, tmp_path, caplog):
    rows = len(mixed_records())
    in_tasks = stage_result(spark, tmp_path, tasks=3, batch_rows=rows)
    for batch_rows in (rows, 3):  # one batch; then batches streamed from several range partitions
        caplog.clear()
        with caplog.at_level("INFO", logger="transforms.gate.validate"):
            by_driver = stage_result(
                spark, tmp_path, tasks=3, batch_rows=batch_rows, records_at_most=rows, driver_rows=rows
            )
        assert "judged by the driver" in caplog.text
        assert by_driver == in_tasks
    # A count above what the driver judges leaves the records to the Spark tasks, whatever the rows are.
    caplog.clear()
    with caplog.at_level("INFO", logger="transforms.gate.validate"):
        assert (
            stage_result(spark, tmp_path, tasks=3, batch_rows=3, records_at_most=rows + 1, driver_rows=rows)
            == in_tasks
        )
    assert "judged in Spark tasks" in caplog.text
