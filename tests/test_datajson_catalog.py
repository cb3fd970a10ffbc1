"""Reading DCAT-US data.json catalogs as a stream: catalog checks, canonical text, record errors."""

import io
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import REALDATA
from transforms.fetch.datajson import (
    CatalogError,
    canonical_json,
    dataset_record,
    inspect_catalog,
    iter_datasets,
)
from transforms.fetch.json_stream import MAX_RECORD_DEPTH, Markers, SurrogateRepairStream, needs_repair


def inspect(text: str | bytes):
    return inspect_catalog(io.BytesIO(text.encode() if isinstance(text, str) else text))


def test_canonical_text_ignores_key_order_whitespace_and_escaping():
    a = json.loads('{"title": "Caf\\u00e9", "keyword": ["x", "y"], "n": 1}')
    b = json.loads('{\n  "n": 1,\n  "keyword": [ "x","y" ],\n  "title": "Café"\n}')
    assert canonical_json(a) == canonical_json(b) == '{"keyword":["x","y"],"n":1,"title":"Café"}'


def test_catalog_metadata_and_dataset_count():
    info = inspect(
        '{"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [{}, "x", 3],'
        ' "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json"}'
    )
    assert (info.conforms_to, info.described_by, info.datasets) == (
        "https://project-open-data.cio.gov/v1.1/schema",
        "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        3,
    )


def test_a_byte_order_mark_is_accepted():
    assert inspect(b'\xef\xbb\xbf{"dataset": []}').datasets == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "<!DOCTYPE html><html><body>Service unavailable</body></html>",
            "response is an HTML page, not JSON",
        ),
        ("   ", "response is empty, not a JSON catalog"),
        (
            '{"dataset": [{"identifier": "a"}, {"identif',
            "JSON ends early at byte 43: the catalog is truncated",
        ),
        ('{"conformsTo": "x"}', 'catalog has no "dataset" array'),
        ('{"dataset": {"identifier": "a"}}', 'catalog "dataset" is an object, not an array'),
        ('[{"identifier": "a"}]', "catalog is an array, not a JSON object"),
    ],
)
def test_documents_that_are_not_catalogs(body, reason):
    with pytest.raises(CatalogError) as error:
        inspect(body)
    assert str(error.value) == reason


def test_syntax_errors_say_roughly_where():
    with pytest.raises(CatalogError, match=r"^JSON is not valid \(before byte \d+\): parse error"):
        inspect('{"dataset": [{"a": 1,}]}')


def test_datasets_stream_in_order():
    stream = io.BytesIO(b'{"dataset": [{"identifier": "a", "size": 1.5}, "oops", null]}')
    assert list(iter_datasets(stream)) == [(0, {"identifier": "a", "size": 1.5}), (1, "oops"), (2, None)]


def test_a_dataset_that_is_not_an_object_is_a_record_error():
    assert dataset_record(6, "a string") == {
        "identifier": None,
        "raw": None,
        "error": "dataset #7 is a string, not a JSON object",
        "warnings": [],
    }
    assert dataset_record(0, [1])["error"] == "dataset #1 is an array, not a JSON object"


def test_identifier_is_stripped_and_unusable_ones_are_null():
    assert dataset_record(0, {"identifier": "  abc "})["identifier"] == "abc"
    for value in ("", "   ", 42, None, ["a"]):
        record = dataset_record(0, {"identifier": value, "title": "t"})
        assert record["identifier"] is None and record["error"] is None and record["raw"]


def test_a_lone_surrogate_in_a_parsed_value_is_repaired_with_a_warning():
    record = dataset_record(2, json.loads('{"title": "bad \\ud800 escape", "description": "it\\udc92s"}'))
    assert record["error"] is None
    assert json.loads(record["raw"]) == {"title": "bad \ufffd escape", "description": "it\u2019s"}
    assert record["warnings"] == [
        "extract: title had 1 invalid \\u escape(s) (a lone surrogate); replaced with '\ufffd'",
        "extract: description had 1 invalid \\u escape(s) (a lone surrogate); replaced with '\u2019'",
    ]


def test_real_catalogs_read_like_the_json_module_reads_them():
    folder = REALDATA / "datajson"
    if not folder.is_dir():
        pytest.skip("../shared/realdata is absent: the real data.json catalogs live there")
    checked = 0
    for path in sorted(folder.rglob("*.json")):
        try:
            document = json.loads(path.read_bytes().decode("utf-8-sig"))
        except ValueError:
            with path.open("rb") as stream, pytest.raises(CatalogError):
                inspect_catalog(stream)
            continue
        if not isinstance(document, dict) or not isinstance(document.get("dataset"), list):
            continue
        with path.open("rb") as stream:
            info = inspect_catalog(stream)
            datasets = [value for _index, value in iter_datasets(stream)]
        assert info.datasets == len(document["dataset"]), path.name
        assert [canonical_json(d) for d in datasets] == [canonical_json(d) for d in document["dataset"]], (
            path.name
        )
        checked += 1
    assert checked >= 10


def read_all(text: bytes) -> list[dict]:
    """Both passes over a catalog body, as extract runs them: the record fields of every dataset."""
    stream = io.BytesIO(text)
    info = inspect_catalog(stream)
    return [dataset_record(index, value, info) for index, value in iter_datasets(stream, info)]


def test_a_lone_surrogate_escape_in_the_catalog_is_repaired_not_fatal():
    # A federal agency's real catalog: a Windows-1252 apostrophe (0x92) written out as "\udc92".
    body = (
        b'{"dataset": [{"identifier": "a", "description": "the agency\\udc92s data"}, {"identifier": "b"}]}'
    )
    first, second = read_all(body)
    assert json.loads(first["raw"])["description"] == "the agency\u2019s data"
    assert first["warnings"] == [
        "extract: description had 1 invalid \\u escape(s) (a lone surrogate); replaced with '\u2019'"
    ]
    assert (first["error"], second["error"], second["warnings"]) == (None, None, [])


def test_only_lone_surrogates_are_rewritten():
    body = (
        b'{"dataset": [{"identifier": "a", "kept": "\\\\udc92 \\ud83d\\ude00 \\udbff\\udf92",'
        b' "lone": "\\ud83d \\udc81 \\ud800\\ud800\\udc00"}]}'
    )
    [record] = read_all(body)
    dataset = json.loads(record["raw"])
    # an escaped backslash, a real pair and a private-use character written by the publisher stay
    assert dataset["kept"] == "\\udc92 \U0001f600 \U0010ff92"
    # a lone high surrogate, a byte with no Windows-1252 character, a high before a valid pair
    assert dataset["lone"] == "\ufffd \ufffd \ufffd\U00010000"
    assert record["warnings"] == [
        "extract: lone had 3 invalid \\u escape(s) (a lone surrogate); replaced with '\ufffd'"
    ]


def repaired_by_hand(text: str) -> str:
    """What a JSON reader would make of ``text`` written with ``\\u`` escapes, lone surrogates repaired."""
    out, index = [], 0
    while index < len(text):
        code = ord(text[index])
        following = ord(text[index + 1]) if index + 1 < len(text) else 0
        if 0xD800 <= code <= 0xDBFF and 0xDC00 <= following <= 0xDFFF:
            out.append(chr(0x10000 + ((code - 0xD800) << 10) + following - 0xDC00))
            index += 2
            continue
        if 0xDC80 <= code <= 0xDCFF:
            out.append(bytes([code - 0xDC00]).decode("cp1252", errors="replace"))
        else:
            out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else text[index])
        index += 1
    return "".join(out)


PIECES = st.one_of(
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.sampled_from(["\\", '"', "u", "d", "c", "9"]),
    st.characters(),
)


@settings(max_examples=200, deadline=None)
@given(text=st.lists(PIECES, max_size=30).map("".join), size=st.integers(1, 16))
def test_lone_surrogates_are_repaired_whatever_the_text_and_the_read_size(text, size):
    body = json.dumps({"dataset": [{"t": text, "k": "\\" + text}]}).encode("ascii")
    pieces, chunks = SurrogateRepairStream(io.BytesIO(body)), []
    while chunk := pieces.read(size):
        chunks.append(chunk)
    whole = SurrogateRepairStream(io.BytesIO(body))
    assert b"".join(chunks) == whole.read(len(body) + 1) + whole.read(len(body) + 1)
    [record] = read_all(body)
    assert json.loads(record["raw"]) == {"t": repaired_by_hand(text), "k": "\\" + repaired_by_hand(text)}


def test_integers_beyond_64_bits_keep_their_value():
    body = b'{"dataset": [{"identifier": "a", "n": 123456789012345678901234567890, "f": 1.5, "i": -3}]}'
    [record] = read_all(body)
    assert record["error"] is None
    assert json.loads(record["raw"]) == {
        "identifier": "a",
        "n": 123456789012345678901234567890,
        "f": 1.5,
        "i": -3,
    }


def test_a_number_too_large_for_a_float_rejects_only_its_dataset():
    body = b'{"dataset": [{"identifier": "a", "spatial": {"x": 1e400}}, {"identifier": "b", "n": 2.5}]}'
    first, second = read_all(body)
    assert first["error"] == "dataset #1: spatial.x is a number too large to keep"
    assert (second["error"], json.loads(second["raw"])) == (None, {"identifier": "b", "n": 2.5})


def nested(depth: int) -> str:
    return '{"a": ' * (depth - 1) + "[]" + "}" * (depth - 1)


def test_a_dataset_nested_deeper_than_the_limit_is_rejected_alone():
    body = f'{{"dataset": [{nested(MAX_RECORD_DEPTH)}, {{"deep": {nested(MAX_RECORD_DEPTH)}}}, "x"]}}'
    fits, deep, string = read_all(body.encode())
    assert fits["error"] is None and fits["raw"].count("{") == MAX_RECORD_DEPTH - 1
    assert deep["error"] == f"dataset #2 is nested deeper than {MAX_RECORD_DEPTH} levels"
    assert string["error"] == "dataset #3 is a string, not a JSON object"


def test_deep_nesting_costs_time_linear_in_its_size():
    """ijson's prefixed events made 40,000 levels cost 16 s (4 MB about 1.5 hours); here 200,000 cost about 1 s."""
    depth = 200_000
    body = b'{"dataset": [{"identifier": "a"}, ' + b"[" * depth + b"]" * depth + b'], "x": '
    body += b"[" * depth + b"]" * depth + b"}"
    started = time.monotonic()
    records = read_all(body)
    assert time.monotonic() - started < 10
    assert [r["error"] for r in records] == [
        None,
        f"dataset #2 is nested deeper than {MAX_RECORD_DEPTH} levels",
    ]


@given(
    st.text(alphabet=st.sampled_from('a\u00e9\ud800\udfff\ufdd0\ufdd1\U0010ff80\U0010ff00{}"')),
    st.booleans(),
    st.booleans(),
)
def test_a_dataset_needs_repair_exactly_when_it_holds_a_lone_surrogate_or_a_marker_the_stream_may_hold(
    text, surrogates, values
):
    lone = any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    # the markers: U+FDD1 (an unreadable value), U+FDD0 before U+10FF00..U+10FFFF (a rewritten surrogate)
    marked = "\ufdd1" in text
    pair = any(a == "\ufdd0" and ord(b) >= 0x10FF00 for a, b in zip(text, text[1:], strict=False))
    expected = lone or (values and marked) or (surrogates and pair)
    assert needs_repair(text, Markers(surrogates=surrogates, values=values)) == expected
