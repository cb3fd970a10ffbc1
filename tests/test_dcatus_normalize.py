"""DCAT-US JSON records keep their meaning: whitespace tidied, nothing dropped, text damage reported."""

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from transforms.crosswalk.normalize import _INLINE_SPACES, _tidy_line, normalize_dataset, normalize_text
from transforms.crosswalk.transform import transform_record


def test_titles_collapse_whitespace_and_descriptions_keep_lines():
    dataset, warnings = normalize_dataset(
        {
            "title": "  Water   quality\n  2020 ",
            "description": "Line one.   \r\nLine two.\t\n\n  Indented stays.  ",
            "keyword": [" water ", "quality  data"],
            "distribution": [{"title": " CSV  file ", "description": "A file.  \nMore. "}],
            "dataQuality": True,
            "bureauCode": ["015:11"],
        }
    )
    assert dataset == {
        "title": "Water quality 2020",
        "description": "Line one.\nLine two.\n\n  Indented stays.",
        "keyword": ["water", "quality data"],
        "distribution": [{"title": "CSV file", "description": "A file.\nMore."}],
        "dataQuality": True,
        "bureauCode": ["015:11"],
    }
    assert warnings == []


def test_empty_values_are_kept_not_dropped():
    dataset, _ = normalize_dataset({"title": "T", "rights": "   ", "spatial": None, "keyword": []})
    assert dataset == {"title": "T", "rights": "", "spatial": None, "keyword": []}


def test_mojibake_zero_width_and_replacement_characters_are_left_and_reported():
    dataset, warnings = normalize_dataset(
        {
            "title": "Caf\u00c3\u00a9 inspections",
            "description": "Zero\u200bwidth",
            "keyword": ["bad \ufffd byte"],
        }
    )
    assert dataset["title"] == "Caf\u00c3\u00a9 inspections"
    assert dataset["description"] == "Zero\u200bwidth"
    assert warnings == [
        "text: title contains mojibake ('Ã©', UTF-8 read as Latin-1); left as written",
        "text: description contains 1 zero-width character(s) (U+200B); left as written",
        "text: keyword[0] contains U+FFFD replacement character(s) (text lost in an earlier decoding); left as written",
    ]


def test_json_record_through_transform_record():
    raw = json.dumps({"title": " Parks ", "identifier": "p-1", "landingPage": "https://x.gov/p"})
    result = transform_record("json", raw, None, "parent-1", {})
    assert result.source_format == "dcatus"
    assert result.dataset == {
        "title": "Parks",
        "identifier": "p-1",
        "landingPage": "https://x.gov/p",
        "isPartOf": "parent-1",
    }
    assert result.warnings == []


def test_json_errors_are_reasons():
    assert transform_record("json", "{not json", None, None, {}).error.startswith("dataset is not valid JSON")
    assert transform_record("json", "[1]", None, None, {}).error == "dataset is a JSON list, not an object"
    assert transform_record("json", '{"title": "  "}', None, None, {}).error == "record has no title"


# Whitespace of every kind a publisher's text holds (ASCII, the separators \s also matches, non-breaking
# and wide spaces), amid letters, non-ASCII letters and the damage the warnings name.
TEXT = st.text(
    alphabet=st.sampled_from(" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2003\u3000ab Ã©\u200b\ufffd"), max_size=30
)


@given(TEXT)
def test_a_one_line_field_is_its_whitespace_runs_as_one_space_trimmed(text):
    # The rule as written in the module's docstring, by regular expression.
    assert normalize_text(text, multiline=False) == re.sub(r"\s+", " ", text).strip()


@given(TEXT.map(lambda text: text.replace("\n", "").replace("\r", "")))
def test_a_line_of_a_description_has_every_inner_whitespace_run_as_one_space(line):
    body = line.lstrip(" \t\f\v")
    assert _tidy_line(line) == line[: len(line) - len(body)] + _INLINE_SPACES.sub(" ", body.rstrip(" \t\f\v"))


@given(TEXT)
def test_damage_is_reported_whatever_the_text_around_it(text):
    _, warnings = normalize_dataset({"title": text})
    # Damage is looked for in the tidied text (a whitespace character can end a mojibake pair).
    damaged = re.search("[ÃÂ][\u0080-\u00bf]|\u200b|\ufffd", re.sub(r"\s+", " ", text).strip())
    assert bool(warnings) == bool(damaged)
