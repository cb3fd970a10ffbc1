"""Publisher text in a CSV cell or on a terminal: shown as text, never acted on.

The characters checked here are listed by hand (OWASP's CSV injection starters and their fullwidth
and small forms; the C0 and C1 controls; Unicode's bidi controls and zero-width characters), not
derived from the rules under test.
"""

import csv
import io
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from harvest_cli.aws_runs import format_status
from harvest_cli.exit_codes import one_line
from harvest_cli.terminal import ProgressHandler
from transforms.reports.error_groups import csv_text, spreadsheet_cell
from transforms.reports.report_text import format_report_text
from transforms.text import plain_text

# A shared machine's timings vary: the property is what counts.
NO_DEADLINE = settings(deadline=None)
FORMULA_STARTERS = "=+-@|%" + "\uff1d\uff0b\uff0d\uff20\uff5c\uff05" + "\ufe66\ufe62\ufe63\ufe6b\ufe6a"
CONTROLS = "".join(map(chr, [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]))
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
SEPARATORS = "\u2028\u2029"
SURROGATES = "\ud800\udfff"  # lone halves of a pair, which no terminal can even encode
UNSHOWN = set(CONTROLS + BIDI + ZERO_WIDTH + SEPARATORS + SURROGATES)
SPACES = " \u00a0\u3000\u2003"
# Text a publisher could write to hurt: mostly the characters above, some letters, any other text too
# (any character of the categories the listed ones come from is left to the lists: they are the oracle).
HOSTILE = st.text(
    st.one_of(
        st.sampled_from(
            FORMULA_STARTERS + CONTROLS + BIDI + ZERO_WIDTH + SEPARATORS + SURROGATES + SPACES + "aZ1'\""
        ),
        st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")),
    ),
    max_size=40,
)


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


@NO_DEADLINE
@given(HOSTILE)
def test_no_line_of_a_csv_cell_starts_a_formula_or_holds_a_control_character(value):
    cell = spreadsheet_cell(value)
    assert not set(cell) & (UNSHOWN - {"\n"})
    for line in cell.split("\n"):
        assert not line.lstrip().startswith(tuple(FORMULA_STARTERS)), line
    # The csv module keeps the neutralised cell whole: commas, quotes and line feeds inside it.
    assert read_csv(csv_text([(value, None, value)]))[1] == [cell, "", cell]


@NO_DEADLINE
@given(st.text(st.sampled_from("abcXYZ019 .,:/_'()"), max_size=40))
def test_a_cell_without_anything_to_neutralise_is_left_as_it_is(value):
    assert spreadsheet_cell(value) == value


def test_csv_cells_starting_a_formula_after_whitespace_or_in_fullwidth_get_an_apostrophe():
    for hostile, shown in [
        ("|cmd", "'|cmd"),
        ("%0A", "'%0A"),
        ("\uff1dSUM(A1)", "'\uff1dSUM(A1)"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        ("\t=1", "' =1"),
        ("\r=1", "' =1"),
        (" \u00a0=1", "' \u00a0=1"),
        ("\u202e=1", "' =1"),
        ("title\n=HYPERLINK(1)", "title\n'=HYPERLINK(1)"),
    ]:
        assert spreadsheet_cell(hostile) == shown


@NO_DEADLINE
@given(HOSTILE)
def test_terminal_text_replaces_each_control_bidi_and_zero_width_character_with_a_space(value):
    shown = plain_text(value)
    assert len(shown) == len(value)
    for before, after in zip(value, shown, strict=True):
        assert after == before or (after == " " and before in UNSHOWN)
    assert not set(shown) & UNSHOWN


@NO_DEADLINE
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40))
def test_printable_ascii_reaches_the_terminal_unchanged(value):
    assert plain_text(value) == value


HOSTILE_REASON = "fetch: \x1b]8;;http://evil\x07click\x1b]8;;\x07 \u202eexe.txt\u202c \x9b2J"


def test_the_report_summary_shows_bidi_and_c1_controls_as_spaces():
    report = {
        "run_id": "r1",
        "outcome": "partial",
        "sources": [{"source_id": "a", "status": "failed", "reason": HOSTILE_REASON}],
        "totals": {},
    }
    text = format_report_text(report)
    assert not set(text) & (UNSHOWN - {"\n"})


def test_progress_lines_reach_the_terminal_as_text():
    stream = io.StringIO()
    handler = ProgressHandler(stream)
    handler.emit(logging.LogRecord("harvest.progress", logging.INFO, "", 0, HOSTILE_REASON, None, None))
    assert stream.getvalue() == plain_text(HOSTILE_REASON) + "\n"
    assert not set(stream.getvalue()) & (UNSHOWN - {"\n"})


def test_error_lines_and_the_glue_status_show_no_control_characters():
    assert not set(one_line(RuntimeError(HOSTILE_REASON))) & UNSHOWN
    status = {
        "workflow": "h-harvest",
        "run_id": "wr_1",
        "status": "COMPLETED",
        "statistics": {"FailedActions": 1},
        "properties": {},
        "jobs": [{"job": "h-extract", "state": "FAILED", "seconds": 3, "error": HOSTILE_REASON}],
        "report": "s3://lake/runs/wr_1/report/report.html",
        "data_docs": "s3://lake/runs/wr_1/quality/",
    }
    assert not set(format_status(status)) & (UNSHOWN - {"\n"})
