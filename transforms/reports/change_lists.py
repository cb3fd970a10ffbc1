"""Which records a run created, updated and deleted: one CSV per source and change, beside report.json.

    changes/<source_id>.created.csv   identifier,record_url of every record the run created
    changes/<source_id>.updated.csv   ... updated
    changes/<source_id>.deleted.csv   ... deleted

A dry run lists what it would have created, updated and deleted. Cells are neutralised as the error
CSVs' are (``error_groups.spreadsheet_cell``), and each file starts with a byte order mark so
spreadsheet programs read it as UTF-8. A source with no record of a kind gets no file of it.
"""

from transforms.reports.error_groups import spreadsheet_csv
from transforms.schemas import Outcome

CHANGE_COLUMNS = ("identifier", "record_url")
# (outcome, its count and link name in a report source entry): the order the page lists them in.
CHANGES = (Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED)


def change_csv_name(source_id: str, change: str) -> str:
    """The file name of a source's list of one change, relative to the report folder."""
    return f"changes/{source_id}.{change}.csv"


def change_csv_text(rows: list[tuple[str | None, str | None]]) -> str:
    """The CSV document (header included) of (identifier, record_url) rows."""
    return spreadsheet_csv(CHANGE_COLUMNS, rows)
