"""The run's reasons grouped per source, and one CSV per source a publisher can work through.

``groups_by_source`` gives each source's ``error_groups`` and ``warning_groups`` for report.json
(how reasons are grouped: ``transforms.reports.reason_groups``; a record counts once in each group it
has a reason of, so a record with five problems is in five groups). Only the rejected and warned
records reach Python, in Arrow batches, and only one row per group reaches the driver.

``write_record_csvs`` writes, beside report.json,

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
from collections.abc import Iterable, Iterator

import pyarrow as pa
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import StringType, StructField, StructType

from transforms import lake
from transforms.reports.reason_groups import (
    EXAMPLES,
    NO_IDENTIFIER_EXAMPLE,
    GroupTally,
    ordered_groups,
    record_groups,
)
from transforms.schemas import Action, Outcome
from transforms.text import plain_lines

CSV_COLUMNS = ("identifier", "record_url", "reason")
# What starts a formula in a spreadsheet (OWASP's CSV injection list: = + - @, tab and carriage return
# never remain in a cell; | and % for DDE and some importers), compared after NFKC so that the fullwidth
# and small forms (＝ ＋ － ＠ ｜ ％, ﹦ ﹢ ﹣ ﹫ ﹪) count as what they fold to.
FORMULA_STARTS = frozenset("=+-@|%")
KINDS = {"error": "error_groups", "warning": "warning_groups"}
GROUP_ROWS = StructType(
    [
        StructField("source_id", StringType(), False),
        StructField("kind", StringType(), False),
        StructField("reason", StringType(), False),
        StructField("field", StringType()),
        StructField("example", StringType(), False),
    ]
)


def _rejected_record() -> F.Column:
    # Deletes are counted on their own (report.py), so only records count here, as in `rejected`.
    return (F.col("outcome") == Outcome.REJECTED) & (F.col("action") != Action.DELETE)


def _group_rows(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    schema = to_arrow_schema(GROUP_ROWS)
    for batch in batches:
        columns: dict[str, list] = {name: [] for name in GROUP_ROWS.fieldNames()}
        for source_id, example, rejected, reasons, warnings in zip(
            *(batch.column(name).to_pylist() for name in batch.schema.names), strict=True
        ):
            for kind, group in record_groups(rejected, reasons, warnings):
                for name, value in zip(
                    GROUP_ROWS.fieldNames(),
                    (source_id, kind, group.reason, group.field, example),
                    strict=True,
                ):
                    columns[name].append(value)
        yield pa.RecordBatch.from_pydict(columns, schema=schema)


def groups_by_source(outcomes: DataFrame) -> dict[str, dict[str, list[dict]]]:
    """{source_id: {"error_groups": [...], "warning_groups": [...]}} for the run's OUTCOMES."""
    rows = (
        outcomes.filter(_rejected_record() | (F.size("warnings") > 0))
        .select(
            "source_id",
            F.coalesce("identifier", "record_url", F.lit(NO_IDENTIFIER_EXAMPLE)).alias("example"),
            _rejected_record().alias("rejected"),
            "reasons",
            "warnings",
        )
        .mapInArrow(_group_rows, GROUP_ROWS)
    )
    keys = ["source_id", "kind", "reason", "field"]
    # The first few examples of each group by rank, so no group collects every identifier it has.
    ranked = rows.withColumn("rank", F.row_number().over(Window.partitionBy(*keys).orderBy("example")))
    groups = ranked.groupBy(*keys).agg(
        F.count(F.lit(1)).alias("count"),
        F.collect_list(F.when(F.col("rank") <= EXAMPLES, F.col("example"))).alias("examples"),
    )
    tallies: dict[str, dict[str, list[GroupTally]]] = {}
    for row in groups.collect():
        by_kind = tallies.setdefault(row["source_id"], {name: [] for name in KINDS.values()})
        by_kind[KINDS[row["kind"]]].append(
            GroupTally(row["reason"], row["field"], row["count"], list(row["examples"]))
        )
    return {
        source_id: {name: ordered_groups(entries) for name, entries in by_kind.items()}
        for source_id, by_kind in tallies.items()
    }


def _starts_formula(line: str) -> bool:
    """Whether a spreadsheet would run the line as a formula: a formula start after any leading whitespace."""
    stripped = line.lstrip()
    return bool(stripped) and unicodedata.normalize("NFKC", stripped[0])[:1] in FORMULA_STARTS


def spreadsheet_cell(value: str | None) -> str:
    """A cell a spreadsheet shows as text, and a reviewer reads as stored.

    Every line of the cell is ``plain_text`` (no tab, carriage return, other control or bidi character
    is left; the line feeds between a record's reasons stay), and every line that would start a formula
    once its leading whitespace is trimmed gets a leading apostrophe: the first line for a spreadsheet,
    the others for an importer that splits the cell's lines into rows.
    """
    if value is None:
        return ""
    return "\n".join(
        "'" + line if _starts_formula(line) else line for line in plain_lines(str(value)).split("\n")
    )


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


def write_record_csvs(outcomes: DataFrame, report_folder: str, report: dict) -> None:
    """Write each source's errors and warnings CSV under ``report_folder``; name them in ``report``'s
    source entries (``errors_csv``, ``warnings_csv``: paths relative to the run, null when none)."""
    lines = F.concat_ws("\n", "reasons")
    rows = (
        outcomes.filter(_rejected_record())
        .select("source_id", F.lit("error").alias("kind"), "identifier", "record_url", lines.alias("reason"))
        .unionByName(
            outcomes.filter(F.size("warnings") > 0).select(
                "source_id",
                F.lit("warning").alias("kind"),
                "identifier",
                "record_url",
                F.concat_ws("\n", "warnings").alias("reason"),
            )
        )
        .orderBy("source_id", "kind", "identifier", "record_url")
    )
    written: set[tuple[str, str]] = set()
    current: tuple[str, str] | None = None
    buffered: list[tuple[str | None, str | None, str | None]] = []

    def flush() -> None:
        if current is not None:
            lake.write_text(
                lake.join(report_folder, csv_name(*current)), csv_text(buffered), "text/csv; charset=utf-8"
            )
            written.add(current)

    # Sorted by source, so one source's rows are in memory at a time.
    for row in rows.toLocalIterator():
        key = (row["source_id"], row["kind"])
        if key != current:
            flush()
            current, buffered = key, []
        buffered.append((row["identifier"], row["record_url"], row["reason"]))
    flush()
    for entry in report.get("sources", []):
        for kind in ("error", "warning"):
            key = (entry["source_id"], kind)
            entry[f"{kind}s_csv"] = "report/" + csv_name(*key) if key in written else None
