"""Every record CSV of a run report, written by the Spark tasks from one query (one pass over the run's report rows).

The error and warning CSVs (``transforms.reports.error_groups``: ``errors/<source_id>.csv``,
``errors/<source_id>.warnings.csv``) and the change lists (``transforms.reports.change_lists``:
``changes/<source_id>.<change>.csv``) are streams of rows partitioned by source and sorted by source,
file and record, so a task holds one file's rows at a time and the run's rows are read once for all.
"""

import functools
import itertools
from collections.abc import Iterable, Iterator

import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from transforms import lake
from transforms.reports.change_lists import CHANGES, change_csv_name, change_csv_text
from transforms.reports.error_groups import csv_name, csv_text
from transforms.reports.published_warnings import current_warnings
from transforms.schemas import Action, Outcome

# The lists each source can have, in the order their rows are streamed.
ERRORS, WARNINGS = "error", "warning"
LISTS = (ERRORS, WARNINGS, *(str(change) for change in CHANGES))
# The columns of one line of a CSV, as the writing tasks receive them.
_LISTED = ("source_id", "list", "identifier", "record_url", "reason")
# What each writing task returns: the files it wrote.
_WRITTEN = pa.schema([("source_id", pa.string()), ("list", pa.string())])


def _rejected_record() -> Column:
    # Deletes are counted on their own (report.py), so only records count here, as in `rejected`.
    return (F.col("outcome") == Outcome.REJECTED) & (F.col("action") != Action.DELETE)


def _listed_rows(rows: DataFrame) -> DataFrame:
    """source_id, list, identifier, record_url, reason: one row per line of every CSV."""
    shown = current_warnings(rows)
    errors = shown.filter(_rejected_record()).select(
        "source_id",
        F.lit(ERRORS).alias("list"),
        "identifier",
        "record_url",
        F.concat_ws("\n", "reasons").alias("reason"),
    )
    warnings = shown.filter(F.size("warnings") > 0).select(
        "source_id",
        F.lit(WARNINGS).alias("list"),
        "identifier",
        "record_url",
        F.concat_ws("\n", "warnings").alias("reason"),
    )
    # A created or updated record is a record row; a deleted one is a delete row. Held deletes and
    # rejected records changed nothing and are listed elsewhere (the report's reasons, the error CSVs).
    created_or_updated = F.col("outcome").isin(Outcome.CREATED, Outcome.UPDATED) & (
        F.col("action") != Action.DELETE
    )
    deleted = (F.col("outcome") == Outcome.DELETED) & (F.col("action") == Action.DELETE)
    changes = rows.filter(F.col("of_run") & (created_or_updated | deleted)).select(
        "source_id",
        F.col("outcome").alias("list"),
        "identifier",
        "record_url",
        F.lit(None).cast("string").alias("reason"),
    )
    return errors.unionByName(warnings).unionByName(changes)


def _file_name(source_id: str, listed: str) -> str:
    return csv_name(source_id, listed) if listed in (ERRORS, WARNINGS) else change_csv_name(source_id, listed)


def _csv_document(name: str, rows: list[tuple]) -> str:
    return csv_text(rows) if name in (ERRORS, WARNINGS) else change_csv_text([row[:2] for row in rows])


def _write_files(report_folder: str, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A task: write the files of its partition's sources (their rows arrive sorted by source, list and
    record), then return the (source_id, list) of each file written."""
    batch_rows = (
        zip(*(batch.column(name).to_pylist() for name in _LISTED), strict=True) for batch in batches
    )
    rows = itertools.chain.from_iterable(batch_rows)
    written: dict[str, list[str]] = {"source_id": [], "list": []}
    for (source_id, listed), lines in itertools.groupby(rows, key=lambda row: row[:2]):
        text = _csv_document(listed, [line[2:] for line in lines])
        lake.write_text(
            lake.join(report_folder, _file_name(source_id, listed)), text, "text/csv; charset=utf-8"
        )
        written["source_id"].append(source_id)
        written["list"].append(listed)
    yield pa.RecordBatch.from_pydict(written, schema=_WRITTEN)


def write_record_csvs(rows: DataFrame, report_folder: str, report: dict) -> None:
    """Write each source's error, warning and change CSVs under ``report_folder`` from the run's report
    rows (``published_warnings.report_rows``); name them in ``report``'s source entries (``errors_csv``,
    ``warnings_csv``, ``created_csv``, ``updated_csv``, ``deleted_csv``: paths relative to the run, null
    when the source has no such record)."""
    order = F.element_at(
        F.create_map(*[F.lit(x) for i, name in enumerate(LISTS) for x in (name, i)]), F.col("list")
    )
    # The tasks write the files, a source's in one task: the cells' neutralising is Python per row (4 s
    # for a 100,000-record run's lists, streamed through the driver), so every core takes its share, and
    # the driver holds only the names of the files written.
    listed = (
        _listed_rows(rows)
        .repartition("source_id")
        .sortWithinPartitions("source_id", order, "identifier", "record_url")
        .select(*_LISTED)
    )
    written = {
        (row["source_id"], row["list"])
        for row in listed.mapInArrow(
            functools.partial(_write_files, report_folder), from_arrow_schema(_WRITTEN)
        ).collect()
    }
    for entry in report.get("sources", []):
        for name in LISTS:
            link = f"{name}s_csv" if name in (ERRORS, WARNINGS) else f"{name}_csv"
            key = (entry["source_id"], name)
            entry[link] = "report/" + _file_name(*key) if key in written else None
