"""Every record CSV of a run report, written per source by the task that holds the source's rows.

The error and warning CSVs (``transforms.reports.error_groups``: ``errors/<source_id>.csv``,
``errors/<source_id>.warnings.csv``) and the change lists (``transforms.reports.change_lists``:
``changes/<source_id>.<change>.csv``) of a source are written from its report rows in one go
(``SourceLists``), in the same Spark pass that counts its figures (``transforms.reports.report_pass``):
the run's rows are read once for all, every core takes its share of the cells' neutralising, and the
driver holds only the names of the files written.
"""

from collections.abc import Iterator

from transforms import lake
from transforms.reports.change_lists import CHANGES, change_csv_name, change_csv_text
from transforms.reports.error_groups import csv_name, csv_text
from transforms.schemas import Action, Outcome

# The lists each source can have, in the order report.json names them.
ERRORS, WARNINGS = "error", "warning"
LISTS = (ERRORS, WARNINGS, *(str(change) for change in CHANGES))
# The folders under the report folder the CSVs are written in.
_FOLDERS = ("errors", "changes")


def _lines_of(record: dict) -> Iterator[tuple[str, str | None, str | None, str | None]]:
    """(list, identifier, record_url, reason) of every CSV line one report row gives."""
    action, outcome = record["action"], record["outcome"]
    if outcome == Outcome.DELETED:  # no longer published: it shows no warning (current_warnings)
        if record["of_run"] and action == Action.DELETE:
            yield str(Outcome.DELETED), record["identifier"], record["record_url"], None
        return
    # Deletes are counted on their own (report.py), so only records count here, as in `rejected`.
    if outcome == Outcome.REJECTED and action != Action.DELETE:
        yield ERRORS, record["identifier"], record["record_url"], "\n".join(record["reasons"] or [])
    if record["warnings"]:
        yield WARNINGS, record["identifier"], record["record_url"], "\n".join(record["warnings"])
    # A created or updated record is a record row. Held deletes and rejected records changed nothing
    # and are listed elsewhere (the report's reasons, the error CSVs).
    if record["of_run"] and outcome in (Outcome.CREATED, Outcome.UPDATED) and action != Action.DELETE:
        yield str(outcome), record["identifier"], record["record_url"], None


def _file_name(source_id: str, listed: str) -> str:
    return csv_name(source_id, listed) if listed in (ERRORS, WARNINGS) else change_csv_name(source_id, listed)


class SourceLists:
    """One source's CSV lines being gathered, row by row: ``add`` each report row in the order the lines
    are listed (by identifier, then record URL), then ``write``."""

    def __init__(self, source_id: str) -> None:
        self.source_id = source_id
        self._lines: dict[str, list[tuple]] = {}

    def add(self, record: dict) -> None:
        """Gather the CSV lines of one report row (``published_warnings.report_rows``)."""
        for listed, *line in _lines_of(record):
            self._lines.setdefault(listed, []).append(tuple(line))

    def write(self, report_folder: str) -> list[str]:
        """Write the source's CSVs under ``report_folder``; returns the lists written (those with a line)."""
        for listed, lines in self._lines.items():
            if listed in (ERRORS, WARNINGS):
                text = csv_text(lines)
            else:
                text = change_csv_text([line[:2] for line in lines])
            name = lake.join(report_folder, _file_name(self.source_id, listed))
            lake.write_text(name, text, "text/csv; charset=utf-8")
        return list(self._lines)


def clear_record_csvs(report_folder: str) -> None:
    """Remove the CSVs an earlier pass of the same run wrote (its figures computed again after the database
    refused rows, or an attempt that stopped), so none outlives the lists it no longer has."""
    for folder in _FOLDERS:
        lake.remove_tree(lake.join(report_folder, folder))


def csv_links(source_id: str, written: set[tuple[str, str]]) -> dict[str, str | None]:
    """A source's report entry's links to its CSVs (``errors_csv``, ``warnings_csv``, ``created_csv``,
    ``updated_csv``, ``deleted_csv``: paths relative to the run, null when the source has no such
    record), of the (source_id, list) pairs written."""
    return {
        (f"{name}s_csv" if name in (ERRORS, WARNINGS) else f"{name}_csv"): (
            "report/" + _file_name(source_id, name) if (source_id, name) in written else None
        )
        for name in LISTS
    }
