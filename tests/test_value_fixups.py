"""The fix-up policy (docs/CROSSWALK.md): a value the schema refuses is mended only when its meaning is
unambiguous, the same way from data.json and from XML, and every mend is a warning naming the value."""

import json
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.rows import valid_dataset
from transforms.crosswalk.fixups import FREQUENCY_WORDS, apply_fixups, frequency_code
from transforms.crosswalk.normalize import normalize_dataset, normalize_text
from transforms.crosswalk.transform import RecordContext, transform_record
from transforms.registry import FIXUPS


def from_json(**fields):
    """A data.json dataset with ``fields`` through the transform, with every fix-up on."""
    return transform_record("json", json.dumps(valid_dataset(identifier="d-1", **fields)), None, None, {})


def from_fgdc(abstract: str = "Lakes.", themekeys=(), accconst: str | None = None, update: str | None = None):
    """An FGDC record carrying the same values through the XML crosswalk and the fix-ups."""
    keys = "".join(f"<themekey>{escape(k)}</themekey>" for k in themekeys)
    keywords = f"<keywords><theme><themekt>None</themekt>{keys}</theme></keywords>" if themekeys else ""
    status = f"<status><update>{escape(update)}</update></status>" if update is not None else ""
    rights = f"<accconst>{escape(accconst)}</accconst>" if accconst is not None else ""
    xml = (
        "<metadata><idinfo><citation><citeinfo><title>Lakes</title><pubdate>2019</pubdate></citeinfo>"
        f"</citation><descript><abstract>{escape(abstract)}</abstract></descript>{status}{keywords}{rights}"
        "</idinfo></metadata>"
    )
    return transform_record("xml", xml, "https://agency.gov/waf/lakes.xml", None, {}, "Agency")


def about(warnings: list[str], field: str) -> list[str]:
    return [w for w in warnings if w.startswith((f"fixup: {field}", f"text: {field}", f"{field}:"))]


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Weekly", "R/P1W"),
        ("Monthly", "R/P1M"),
        ("Annual", "R/P1Y"),
        ("annually", "R/P1Y"),
        ("Quarterly", "R/P3M"),
        ("Daily", "R/P1D"),
        ("Irregular", "irregular"),
        ("As needed", "irregular"),
        ("asNeeded", "irregular"),
        ("semi-annual", "R/P6M"),
    ],
)
def test_a_frequency_word_becomes_the_duration_it_names_with_a_warning(written, code):
    result = from_json(accrualPeriodicity=written)
    assert result.dataset["accrualPeriodicity"] == code
    assert about(result.warnings, "accrualPeriodicity") == [
        f"fixup: accrualPeriodicity {written!r} is not an ISO 8601 duration; written as {code!r}"
    ]


@pytest.mark.parametrize("written", ["Biweekly", "Bimonthly", "every so often", "R/P1W", "irregular"])
def test_a_frequency_with_two_meanings_or_already_valid_is_left_as_written(written):
    result = from_json(accrualPeriodicity=written)
    assert result.dataset["accrualPeriodicity"] == written
    assert about(result.warnings, "accrualPeriodicity") == []


def test_a_year_range_becomes_an_interval_and_a_backwards_one_stays():
    result = from_json(temporal="2023-2024")
    assert result.dataset["temporal"] == "2023/2024"
    assert about(result.warnings, "temporal") == [
        "fixup: temporal '2023-2024' is not an ISO 8601 interval; the years written as start/end"
    ]
    assert from_json(temporal="2023 \u2013 2023").dataset["temporal"] == "2023/2023"
    backwards = from_json(temporal="2024-2023")
    assert backwards.dataset["temporal"] == "2024-2023" and about(backwards.warnings, "temporal") == []


def test_describedby_text_is_left_out_and_a_link_is_kept():
    result = from_json(describedBy="See the data dictionary tab")
    assert "describedBy" not in result.dataset
    assert about(result.warnings, "describedBy") == [
        "fixup: describedBy 'See the data dictionary tab' is not a URL; left out"
    ]
    assert (
        from_json(describedBy="https://agency.gov/dict.csv").dataset["describedBy"]
        == "https://agency.gov/dict.csv"
    )
    bare = from_json(describedBy="www.agency.gov/dict")  # url_scheme runs first: a link, not text
    assert bare.dataset["describedBy"] == "https://www.agency.gov/dict"


def test_long_rights_are_cut_at_a_word_naming_the_original_length():
    text = "Use of these data requires attribution to the agency. " * 6
    result = from_json(rights=text)
    assert len(result.dataset["rights"]) <= 255 and result.dataset["rights"].endswith("…")
    assert text.startswith(result.dataset["rights"][:-1])
    assert about(result.warnings, "rights") == [f"rights: {len(text.strip())} characters cut to 255"]


def test_each_value_fixup_can_be_switched_off_and_the_value_stays():
    raw = json.dumps(valid_dataset(identifier="d-1", accrualPeriodicity="Weekly", temporal="2023-2024"))
    off = {name: False for name in ("frequency_words", "year_range")}
    result = transform_record("json", raw, None, None, off)
    assert (result.dataset["accrualPeriodicity"], result.dataset["temporal"]) == ("Weekly", "2023-2024")
    assert result.warnings == []
    assert {"frequency_words", "year_range", "text_described_by", "rights_length"} <= set(FIXUPS)


def test_a_dcat_us_3_record_keeps_its_own_values():
    """3.0 accepts "annual" (a Dublin Core frequency): the 1.1 value rules leave a native 3.0 record alone."""
    record = {"title": "T", "identifier": "d-1", "accrualPeriodicity": "annual", "temporal": "2023-2024"}
    assert apply_fixups(dict(record), "json", {}, native_3_0=True) == []
    result = transform_record(
        "json", json.dumps(record), None, None, {}, context=RecordContext(native_3_0=True, identifier="d-1")
    )
    assert result.dataset["accrualPeriodicity"] == "annual"


def test_keywords_differing_in_case_are_kept_once_in_their_first_spelling():
    dataset, warnings = normalize_dataset({"keyword": ["Water", "soil", "water", "WATER", "Water", "Soil "]})
    assert dataset["keyword"] == ["Water", "soil"]
    assert warnings == [
        "text: keyword 'water' repeats 'Water' in another case; left out",
        "text: keyword 'WATER' repeats 'Water' in another case; left out",
        "text: keyword 'Soil' repeats 'soil' in another case; left out",
    ]


def test_description_whitespace_runs_collapse_and_paragraphs_stay():
    text = "Intro\t\tline   one.\n\n\n\nSecond  paragraph:\n  - indented item\n\t\n"
    assert normalize_text(text, multiline=True) == "Intro line one.\n\nSecond paragraph:\n  - indented item"
    xml_layout = "First line\n        second line\n          indented more\n        third"
    assert normalize_text(xml_layout, multiline=True) == "First line\nsecond line\n  indented more\nthird"


def test_the_frequency_table_is_the_xml_crosswalks_too():
    """FGDC update words and ISO codes are read through the same table as a data.json word."""
    assert from_fgdc(update="None planned").dataset["accrualPeriodicity"] == "irregular"
    assert frequency_code("notPlanned") == frequency_code("None planned") == "irregular"
    assert all(frequency_code(word) == code for word, code in FREQUENCY_WORDS.items())


# Properties: the same value, from data.json and from XML, comes out the same with the same warnings.

_WORD = st.text(alphabet="abcdefghkmortuwy", min_size=1, max_size=12)  # no "licence" or "none" in it
_SENTENCE = st.lists(_WORD, min_size=1, max_size=120).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(_SENTENCE)
def test_rights_from_data_json_and_from_xml_are_cut_alike(text):
    json_result, xml_result = from_json(rights=text), from_fgdc(accconst=text)
    assert json_result.dataset["rights"] == xml_result.dataset["rights"]
    assert about(json_result.warnings, "rights") == about(xml_result.warnings, "rights")
    assert len(json_result.dataset["rights"]) <= 255


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Water", "water", "WATER", "Soil", "soil", "Air"]), min_size=1, max_size=8))
def test_keywords_from_data_json_and_from_xml_are_kept_alike(keywords):
    json_result, xml_result = from_json(keyword=keywords), from_fgdc(themekeys=keywords)
    assert json_result.dataset["keyword"] == xml_result.dataset["keyword"]
    assert about(json_result.warnings, "keyword") == about(xml_result.warnings, "keyword")
    assert [k.casefold() for k in json_result.dataset["keyword"]] == list(
        dict.fromkeys(k.casefold() for k in keywords)
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_WORD, st.sampled_from([" ", "  ", "\t", "\n", "\n\n\n", " \t "])), min_size=1))
def test_descriptions_from_data_json_and_from_xml_are_tidied_alike(parts):
    text = "Lakes " + "".join(parts)
    json_result, xml_result = from_json(description=text), from_fgdc(abstract=text)
    assert json_result.dataset["description"] == xml_result.dataset["description"]
    tidied = json_result.dataset["description"]
    assert tidied.split() == text.split()  # every word kept, in order
    assert "\n\n\n" not in tidied  # at most one blank line between paragraphs
    for line in tidied.split("\n"):  # indentation is kept as written; after it, single spaces
        body = line.lstrip(" \t")
        assert "\t" not in body and "  " not in body and body == body.rstrip()
    assert normalize_text(tidied, multiline=True) == tidied


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(FREQUENCY_WORDS)), st.sampled_from([str.title, str.upper, str.lower]))
def test_a_frequency_word_means_the_same_from_data_json_and_from_fgdc(word, spelling):
    written = spelling(word)
    assert from_json(accrualPeriodicity=written).dataset["accrualPeriodicity"] == FREQUENCY_WORDS[word]
    assert from_fgdc(update=written).dataset["accrualPeriodicity"] == FREQUENCY_WORDS[word]


def test_a_long_text_describedby_is_quoted_short_and_other_digits_are_no_years():
    text = "See the dictionary. " * 5000
    [warning] = about(from_json(describedBy=text).warnings, "describedBy")
    assert len(warning) < 200 and warning.startswith("fixup: describedBy 'See the dictionary.")
    other_digits = "\u0662\u0660\u0662\u0663-\u0662\u0660\u0662\u0664"  # Arabic-Indic 2023-2024
    assert from_json(temporal=other_digits).dataset["temporal"] == other_digits
    assert frequency_code("weekly " * 100) is None
