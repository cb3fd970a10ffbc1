"""Which records a run created, updated and deleted: one CSV per source and change, beside report.json.

    changes/<source_id>.created.csv   identifier,record_url of every record the run created
    changes/<source_id>.updated.csv   ... updated
    changes/<source_id>.deleted.csv   ... deleted

A dry run lists what it would have created, updated and deleted. Cells are neutralised as the error
CSVs' are (``error_groups.spreadsheet_cell``), and each file starts with a byte order mark so
spreadsheet programs read it as UTF-8. A source with no record of a kind gets no file of it.
"""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms import lake
from transforms.reports.error_groups import spreadsheet_csv
from transforms.schemas import Action, Outcome

CHANGE_COLUMNS = ("identifier", "record_url")
# (outcome, its count and link name in a report source entry): the order the page lists them in.
CHANGES = (Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED)


def change_csv_name(source_id: str, change: str) -> str:
    """The file name of a source's list of one change, relative to the report folder."""
    return f"changes/{source_id}.{change}.csv"


def change_csv_text(rows: list[tuple[str | None, str | None]]) -> str:
    """The CSV document (header included) of (identifier, record_url) rows."""
    return spreadsheet_csv(CHANGE_COLUMNS, rows)


def _changed_rows(outcomes: DataFrame) -> DataFrame:
    # A created or updated record is a record row; a deleted one is a delete row. Held deletes and
    # rejected records changed nothing and are listed elsewhere (the report's reasons, the error CSVs).
    created_or_updated = F.col("outcome").isin(Outcome.CREATED, Outcome.UPDATED) & (
        F.col("action") != Action.DELETE
    )
    deleted = (F.col("outcome") == Outcome.DELETED) & (F.col("action") == Action.DELETE)
    return (
        outcomes.filter(created_or_updated | deleted)
        .select("source_id", F.col("outcome").alias("change"), "identifier", "record_url")
        .orderBy("source_id", "change", "identifier", "record_url")
    )


def write_change_csvs(outcomes: DataFrame, report_folder: str, report: dict) -> None:
    """Write each source's created, updated and deleted CSVs under ``report_folder``; name them in
    ``report``'s source entries (``created_csv``, ``updated_csv``, ``deleted_csv``: paths relative to
    the run, null when the source has no such record)."""
    written: set[tuple[str, str]] = set()
    current: tuple[str, str] | None = None
    buffered: list[tuple[str | None, str | None]] = []

    def flush() -> None:
        if current is not None:
            lake.write_text(
                lake.join(report_folder, change_csv_name(*current)),
                change_csv_text(buffered),
                "text/csv; charset=utf-8",
            )
            written.add(current)

    # Sorted by source and change, so one file's rows are in memory at a time.
    for row in _changed_rows(outcomes).toLocalIterator():
        key = (row["source_id"], row["change"])
        if key != current:
            flush()
            current, buffered = key, []
        buffered.append((row["identifier"], row["record_url"]))
    flush()
    for entry in report.get("sources", []):
        for change in CHANGES:
            key = (entry["source_id"], str(change))
            entry[f"{change}_csv"] = "report/" + change_csv_name(*key) if key in written else None
