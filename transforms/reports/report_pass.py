"""The run report's one Spark pass over its rows: every source's figures counted and its CSVs written.

The run's report rows (``transforms.reports.published_warnings.report_rows``) are partitioned by source
and sorted by source, identifier and record URL, so each task holds one source's rows at a time. For
each source it counts the figures (``tallies.SourceCount``) and writes the record CSVs
(``record_csvs.SourceLists``), then returns the figures the report shows and the names of the lists it
wrote: its outcomes, record types, top ten reasons and warnings and its groups, whatever its size. One
job beyond the rows themselves: counting the figures in Spark aggregates and writing the CSVs in a pass
of their own took a shuffle and a job each, on a few hundred rows as on millions.
"""

import itertools
from collections.abc import Iterable, Iterator

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql.pandas.types import from_arrow_schema

from transforms.reports.record_csvs import SourceLists, clear_record_csvs
from transforms.reports.tallies import SourceCount, SourceTallies, source_tallies

# A list of CSV lines a task wrote: the row's kind, with the list's name as its key.
LISTED = "listed"
# What each task returns: the tallies of its sources that the report shows, and the lists it wrote.
_RESULTS = pa.schema(
    [
        ("source_id", pa.string()),
        ("kind", pa.string()),
        ("key", pa.string()),
        ("detail", pa.string()),  # a record type's outcome; a group's field
        ("count", pa.int64()),
        ("examples", pa.list_(pa.string())),
    ]
)
# The report rows' columns the pass reads.
_INPUT = (
    "source_id",
    "identifier",
    "record_url",
    "action",
    "outcome",
    "reasons",
    "warnings",
    "record_type",
    "of_run",
)


def _count_and_list(report_folder: str, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A task: for each source of its partition (its rows arrive together, sorted by identifier and record
    URL), count its figures and write its CSVs, then return the figures kept and the lists written."""
    records = itertools.chain.from_iterable(batch.to_pylist() for batch in batches)
    for source_id, rows in itertools.groupby(records, key=lambda record: record["source_id"]):
        count, lists = SourceCount(), SourceLists(source_id)
        for record in rows:
            count.add(record)
            lists.add(record)
        results = [*count.kept(), *((LISTED, name, None, 0, []) for name in lists.write(report_folder))]
        if not results:  # nothing to count or list (a delete refused with no reason recorded)
            continue
        columns = list(zip(*results, strict=True))
        yield pa.RecordBatch.from_arrays(
            [pa.array([source_id] * len(results), pa.string())]
            + [pa.array(column, kind.type) for column, kind in zip(columns, list(_RESULTS)[1:], strict=True)],
            schema=_RESULTS,
        )


def count_and_list(
    rows: DataFrame, report_folder: str
) -> tuple[dict[str, SourceTallies], set[tuple[str, str]]]:
    """(source_id -> its figures, the (source_id, list) of every CSV written under ``report_folder``), of
    the run's report rows (``published_warnings.report_rows``), in one job beyond what the rows cost.

    The CSVs an earlier pass of the same run wrote are removed first.
    """
    clear_record_csvs(report_folder)
    # Report rows already partitioned by source (report_rows shuffles them so when it meets the
    # catalog) are not shuffled again: Spark drops a repartition its input already satisfies.
    by_source = (
        rows.select(*_INPUT)
        .repartition("source_id")
        .sortWithinPartitions("source_id", "identifier", "record_url")
    )
    results = [
        row.asDict()
        for row in by_source.mapInArrow(
            lambda batches: _count_and_list(report_folder, batches), from_arrow_schema(_RESULTS)
        ).collect()
    ]
    written = {(row["source_id"], row["key"]) for row in results if row["kind"] == LISTED}
    return source_tallies(row for row in results if row["kind"] != LISTED), written
