"""Every record CSV of a run report, streamed from one sorted query (one pass over the run's report rows).

The error and warning CSVs (``transforms.reports.error_groups``: ``errors/<source_id>.csv``,
``errors/<source_id>.warnings.csv``) and the change lists (``transforms.reports.change_lists``:
``changes/<source_id>.<change>.csv``) are one stream of rows sorted by source, file and record, so
one file's rows are in memory at a time and the run's rows are read once for all of them.
"""

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import lake
from transforms.reports.change_lists import CHANGES, change_csv_name, change_csv_text
from transforms.reports.error_groups import csv_name, csv_text
from transforms.reports.published_warnings import current_warnings
from transforms.schemas import Action, Outcome

# The lists each source can have, in the order their rows are streamed.
ERRORS, WARNINGS = "error", "warning"
LISTS = (ERRORS, WARNINGS, *(str(change) for change in CHANGES))


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


def write_record_csvs(rows: DataFrame, report_folder: str, report: dict) -> None:
    """Write each source's error, warning and change CSVs under ``report_folder`` from the run's report
    rows (``published_warnings.report_rows``); name them in ``report``'s source entries (``errors_csv``,
    ``warnings_csv``, ``created_csv``, ``updated_csv``, ``deleted_csv``: paths relative to the run, null
    when the source has no such record)."""
    order = F.element_at(
        F.create_map(*[F.lit(x) for i, name in enumerate(LISTS) for x in (name, i)]), F.col("list")
    )
    # One partition, sorted within it: no shuffle (the rows are persisted by the caller) and no
    # range-partitioning pass (a job of its own) to sort the stream.
    listed = (
        _listed_rows(rows).coalesce(1).sortWithinPartitions("source_id", order, "identifier", "record_url")
    )
    written: set[tuple[str, str]] = set()
    current: tuple[str, str] | None = None
    buffered: list[tuple] = []

    def flush() -> None:
        if current is not None:
            source_id, name = current
            text = (
                csv_text(buffered)
                if name in (ERRORS, WARNINGS)
                else change_csv_text([row[:2] for row in buffered])
            )
            lake.write_text(lake.join(report_folder, _file_name(*current)), text, "text/csv; charset=utf-8")
            written.add(current)

    for row in listed.toLocalIterator():
        key = (row["source_id"], row["list"])
        if key != current:
            flush()
            current, buffered = key, []
        buffered.append((row["identifier"], row["record_url"], row["reason"]))
    flush()
    for entry in report.get("sources", []):
        for name in LISTS:
            link = f"{name}s_csv" if name in (ERRORS, WARNINGS) else f"{name}_csv"
            key = (entry["source_id"], name)
            entry[link] = "report/" + _file_name(*key) if key in written else None
