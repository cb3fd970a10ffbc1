"""The report's figures are counted per source in the task that holds its rows (``tallies.SourceCount``,
``report_pass.count_and_list``): the same whatever the run's partitioning, with the smallest examples and
the commonest reasons."""

import collections

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rows import outcome_row
from transforms.reports.published_warnings import report_rows
from transforms.reports.reason_groups import keep_smallest
from transforms.reports.report_pass import count_and_list
from transforms.reports.tallies import REASON_EXAMPLES, TOP_REASONS, SourceCount, source_tallies
from transforms.schemas import OUTCOMES

IDENTIFIERS = st.text(alphabet="ab1é<", min_size=1, max_size=4)


@given(st.lists(IDENTIFIERS, max_size=30), st.integers(1, 6), st.booleans())
def test_the_examples_kept_are_the_smallest(examples, limit, distinct):
    kept: list[str] = []
    for example in examples:
        keep_smallest(kept, example, limit, distinct)
    assert kept == sorted(set(examples) if distinct else examples)[:limit]


def rejected(identifier, reasons):
    """A report row of source "a": a record of the run, rejected for ``reasons``."""
    return {
        "source_id": "a",
        "identifier": identifier,
        "record_url": None,
        "action": "create",
        "outcome": "rejected",
        "reasons": list(reasons),
        "warnings": [],
        "record_type": None,
        "of_run": True,
    }


REASONS = st.sampled_from([f"schema: $.f{n}: wrong" for n in range(14)] + ["transform: no title"])


@given(
    st.lists(
        st.tuples(IDENTIFIERS, st.lists(REASONS, min_size=1, max_size=3, unique=True)),
        min_size=1,
        max_size=60,
    )
)
def test_a_source_keeps_its_commonest_reasons_with_their_smallest_identifiers(records):
    count = SourceCount()
    for identifier, reasons in records:
        count.add(rejected(identifier, reasons))
    [figures] = source_tallies(
        {"source_id": "a", **dict(zip(("kind", "key", "detail", "count", "examples"), kept, strict=True))}
        for kept in count.kept()
    ).values()
    counted = collections.Counter(reason for _, reasons in records for reason in reasons)
    commonest = sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:TOP_REASONS]
    assert [(entry["reason"], entry["count"]) for entry in figures.reasons] == commonest
    for entry in figures.reasons:
        named = {identifier for identifier, reasons in records if entry["reason"] in reasons}
        assert entry["examples"] == sorted(named)[:REASON_EXAMPLES]
    assert figures.counts.get("rejected", 0) == len(records)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["s1", "s2", "s3", "s4", "s5"]),
            IDENTIFIERS,
            st.sampled_from(["created", "rejected", "unchanged"]),
            st.lists(REASONS, max_size=2, unique=True),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(2, 5),
)
def test_the_figures_and_csvs_do_not_depend_on_how_the_rows_are_partitioned(
    spark, tmp_path_factory, rows, partitions
):
    # An RDD's partitions, which no shuffle (and so no adaptive coalescing) merges: a source's rows are
    # spread over several of them.
    rdd = spark.sparkContext.parallelize(
        [
            outcome_row(source, identifier, fate, reasons if fate == "rejected" else (), reasons[:1])
            for source, identifier, fate, reasons in rows
        ],
        partitions,
    )
    outcomes = spark.createDataFrame(rdd, OUTCOMES)

    def report(shuffle_partitions: int):
        folder = tmp_path_factory.mktemp("report")
        previous = spark.conf.get("spark.sql.shuffle.partitions")
        spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
        try:
            tallies, written = count_and_list(report_rows(outcomes, None, []), str(folder))
        finally:
            spark.conf.set("spark.sql.shuffle.partitions", previous)
        files = {
            path.relative_to(folder).as_posix(): path.read_text("utf-8") for path in folder.rglob("*.csv")
        }
        return tallies, written, files

    one_task = report(1)
    assert report(partitions + 2) == one_task
    tallies, written, files = one_task
    assert sum(tally.counts.get("rejected", 0) for tally in tallies.values()) == sum(
        fate == "rejected" for *_, fate, _ in rows
    )
    assert {name for name in files if name.startswith("errors/") and not name.endswith(".warnings.csv")} == {
        f"errors/{source}.csv" for source, _, fate, _ in rows if fate == "rejected"
    }
    assert len(written) == len(files)
