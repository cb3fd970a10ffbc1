"""The CSVs of the run's rejected and warned records, one per source a publisher can work through.

Each source's ``error_groups`` and ``warning_groups`` in report.json are counted with the report's other
figures (``transforms.reports.tallies``; how reasons are grouped: ``transforms.reports.reason_groups``).
``transforms.reports.record_csvs`` writes, beside report.json,

    errors/<source_id>.csv            one row per rejected record: identifier,record_url,reason
    errors/<source_id>.warnings.csv   one row per record with warnings: identifier,record_url,reason

with every reason of the record, one per line of the cell. Cells are quoted by the csv module
(commas, quotes and newlines in a reason stay inside their cell), and neutralised by
``spreadsheet_cell``: no control or bidi character, and a line a spreadsheet would run as a formula
gets a leading apostrophe.
The file starts with a byte order mark so spreadsheet programs read it as UTF-8.
"""

import csv
import io
import unicodedata

from transforms.text import plain_text

CSV_COLUMNS = ("identifier", "record_url", "reason")
# What starts a formula in a spreadsheet (OWASP's CSV injection list: = + - @, tab and carriage return
# never remain in a cell; | and % for DDE and some importers), compared after NFKC so that the fullwidth
# and small forms (＝ ＋ － ＠ ｜ ％, ﹦ ﹢ ﹣ ﹫ ﹪) count as what they fold to.
FORMULA_STARTS = frozenset("=+-@|%")


def _starts_formula(line: str) -> bool:
    """Whether a spreadsheet would run the line as a formula: a formula start after any leading whitespace."""
    stripped = line.lstrip()
    if not stripped:
        return False
    first = stripped[0]  # ASCII is its own NFKC form: only other characters need folding
    return (first if first.isascii() else unicodedata.normalize("NFKC", first)[:1]) in FORMULA_STARTS


def spreadsheet_cell(value: str | None) -> str:
    """A cell a spreadsheet shows as text, and a reviewer reads as stored.

    Every line of the cell is ``plain_text`` (no tab, carriage return, other control or bidi character
    is left; the line feeds between a record's reasons stay), and every line that would start a formula
    once its leading whitespace is trimmed gets a leading apostrophe: the first line for a spreadsheet,
    the others for an importer that splits the cell's lines into rows.
    """
    if value is None:
        return ""
    lines = (plain_text(line) for line in str(value).split("\n"))  # plain_lines, without joining them first
    return "\n".join("'" + line if _starts_formula(line) else line for line in lines)


def csv_text(rows: list[tuple[str | None, str | None, str | None]]) -> str:
    """The CSV document (header included) of (identifier, record_url, reason) rows."""
    return spreadsheet_csv(CSV_COLUMNS, rows)


def spreadsheet_csv(columns, rows) -> str:
    """A CSV document a spreadsheet opens as written: a BOM (Excel reads UTF-8), CRLF lines, the header
    ``columns``, then ``rows`` with every cell neutralised (``spreadsheet_cell``)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def csv_name(source_id: str, kind: str) -> str:
    """The file name of a source's CSV, relative to the report folder."""
    return f"errors/{source_id}.csv" if kind == "error" else f"errors/{source_id}.warnings.csv"
