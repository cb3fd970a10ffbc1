"""What one dataset of a data.json holds rejects that dataset alone, keeps its identifier, and costs
time linear in its size, within the source's time budget (Trust, round 2).

Each of these once failed the whole source, or rejected a dataset without its identifier (so its
published version was taken for deleted), or made one string cost time quadratic in its length.
"""

import io
import json
import time

import ijson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.fetch import source_pass
from transforms.fetch.datajson import dataset_record, inspect_catalog, iter_datasets
from transforms.fetch.dcatus3_catalog import catalog_records
from transforms.fetch.http import FetchPolicy
from transforms.fetch.json_guard import MAX_TOKEN_BYTES, ValueGuardStream
from transforms.fetch.source_pass import source_items
from transforms.registry import Source

POLICY = FetchPolicy(allow_private_network=True)
GOOD = b'{"identifier": "good", "title": "A good dataset"}'


def one_pass(body: bytes) -> list[tuple]:
    """(identifier, error) of every dataset of a 1.1 catalog, read as extract reads it."""
    stream = io.BytesIO(body)
    info = inspect_catalog(stream)
    records = (dataset_record(index, value, info) for index, value in iter_datasets(stream, info))
    return [(record["identifier"], record["error"]) for record in records]


def catalog(*datasets: bytes) -> bytes:
    return b'{"dataset": [' + b", ".join(datasets) + b"]}"


def harvest(tmp_path, body: bytes, schema: str = "dcatus1.1-federal", **extra) -> list[dict]:
    """Every item source_items yields for a data.json on disk holding ``body``."""
    path = tmp_path / "data.json"
    path.write_bytes(body)
    source = Source("s", "S", "Org", path.as_uri(), "datajson", schema, allow_private_network=True, **extra)
    return list(source_items(source, POLICY, {}))


# Finding 1: a rejected dataset keeps its identifier whenever it can be read.


@pytest.mark.parametrize(
    ("dataset", "reason"),
    [
        (b'{"identifier": "h", "size": 1e400}', "dataset #1: size is a number too large to keep"),
        (b'{"size": -2.5e999, "identifier": "h"}', "dataset #1: size is a number too large to keep"),
        (
            b'{"x": ' + b"[" * 40 + b"]" * 40 + b', "identifier": "h"}',
            "dataset #1 is nested deeper than 32 levels",
        ),
        (
            b'{"identifier": "h", "publisher": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}",
            "dataset #1 is nested deeper than 32 levels",
        ),
    ],
)
def test_a_dataset_rejected_for_another_value_keeps_its_identifier(dataset, reason):
    assert one_pass(catalog(dataset, GOOD)) == [("h", reason), ("good", None)]


def test_a_3_0_entry_rejected_for_another_value_keeps_its_identifier():
    body = (
        b'{"dataset": [{"x": ' + b"[" * 40 + b"]" * 40 + b', "identifier": {"@id": "https://h"}}],'
        b' "service": [{"identifier": "svc", "n": 1e400}],'
        b' "datasetSeries": [{"@id": "https://series", "n": 1' + b"0" * 5000 + b"}]}"
    )
    stream = io.BytesIO(body)
    records, _walk = catalog_records(stream, inspect_catalog(stream, require_dataset=False))
    assert [(r["identifier"], r["error"]) for r in records] == [
        ("https://h", "dataset #1 is nested deeper than 32 levels"),
        ("svc", "service #1: n is a number too large to keep"),
        ("https://series", "datasetSeries #1: n is a number of more than 4,300 digits"),
    ]


def test_an_entry_whose_identifier_cannot_be_read_is_still_a_rejected_row_with_its_reason():
    body = catalog(b'"just text"', b'{"identifier": "bad\x92", "title": "t"}', GOOD)
    offset = body.index(b"\x92")
    assert one_pass(body) == [
        (None, "dataset #1 is a string, not a JSON object"),
        (None, f"dataset #2: identifier is not valid UTF-8: byte 0x92 at offset {offset}"),
        ("good", None),
    ]


def test_whatever_one_dataset_raises_its_rejection_keeps_the_identifier(monkeypatch):
    def broken(*_args):
        raise RuntimeError("a bug a strange value finds")

    monkeypatch.setattr(source_pass, "dataset_record", broken)
    source = Source("s", "S", "Org", "file:///x", "datajson", "dcatus1.1-federal")
    stream = io.BytesIO(catalog(b'{"identifier": " h ", "title": "t"}'))
    info = inspect_catalog(stream)
    ((index, value),) = iter_datasets(stream, info)
    row = source_pass.dataset_item(source, index, value, info)
    assert (row["identifier"], row["error"]) == ("h", "extract: internal error (RuntimeError)")


# Finding 2: one long string costs time linear in its length, and one too long rejects its dataset.


def test_one_string_of_32_mb_is_rejected_alone_in_linear_time(tmp_path):
    """On main the two passes over this catalog took about 20 s (yajl lexes a string split over n
    reads n times); each doubling of the string quadrupled it."""
    long_string = b'{"identifier": "h", "description": "' + b"x" * (32 << 20) + b'"}'
    started = time.monotonic()
    items = harvest(tmp_path, catalog(GOOD, long_string, GOOD))
    assert time.monotonic() - started < 5
    assert [(i["identifier"], i["error"]) for i in items[:-1]] == [
        ("good", None),
        ("h", "dataset #2: description is a string of more than 8,388,608 bytes"),
        ("good", None),
    ]
    assert items[-1]["status"] == "complete"


def test_a_string_of_the_bound_is_kept_whole_and_one_byte_more_is_rejected():
    at_bound = "é" * (MAX_TOKEN_BYTES // 2)  # two bytes each in UTF-8
    escapes = '"' * (MAX_TOKEN_BYTES // 2 + 1)  # written \" each: just over the bound, however read
    datasets = [("a", at_bound), ("b", at_bound + "x"), ("c", escapes)]
    written = [json.dumps({"identifier": n, "v": v}, ensure_ascii=False).encode() for n, v in datasets]
    body = catalog(*written, b'{"identifier": "d", "v": ' + b"9" * (MAX_TOKEN_BYTES + 1) + b"}")
    stream = io.BytesIO(body)
    info = inspect_catalog(stream)
    records = [dataset_record(index, value, info) for index, value in iter_datasets(stream, info)]
    assert json.loads(records[0]["raw"])["v"] == at_bound
    assert [(r["identifier"], r["error"]) for r in records[1:]] == [
        ("b", "dataset #2: v is a string of more than 8,388,608 bytes"),
        ("c", "dataset #3: v is a string of more than 8,388,608 bytes"),
        ("d", "dataset #4: v is a number of more than 8,388,608 bytes"),
    ]


class Dribble(io.BytesIO):
    """A body that gives at most ``most`` bytes a read, as a slow socket may."""

    def __init__(self, data: bytes, most: int):
        super().__init__(data)
        self.most = most

    def read(self, size: int | None = -1) -> bytes:
        return super().read(self.most if size is None or size < 0 else min(size, self.most))


JSON_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from('"\\/\n\t'))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(JSON_VALUES, st.integers(1, 40), st.booleans(), st.booleans())
def test_the_guard_hands_on_any_document_unchanged_however_it_is_read(value, most, ascii_only, check_values):
    """Holding back open strings and numbers across reads of any size changes no value."""
    text = json.dumps({"dataset": [value]}, ensure_ascii=ascii_only).encode()
    guarded = ValueGuardStream(Dribble(text, most), check_values)
    assert list(ijson.items(guarded, "dataset.item", use_float=False)) == [value]
    assert guarded.marked == 0


# Finding 3: the source's time budget holds inside the parse of one dataset.


def test_the_time_budget_runs_out_inside_the_parse_of_one_dataset(tmp_path):
    """One dataset of four million keywords: on main the budget was looked at only once the whole
    catalog had been checked and the dataset built (several seconds past a 0.3 s budget)."""
    body = catalog(b'{"identifier": "big", "keyword": [' + b'"k",' * 4_000_000 + b'"k"]}')
    started = time.monotonic()
    (status,) = harvest(tmp_path, body, time_budget_s=0.3)
    assert time.monotonic() - started < 1.5
    assert (status["status"], status["reason"]) == (
        "failed",
        "the source's time budget of 0.3 s ran out while reading it",
    )


# Finding 4: any content of one dataset rejects that dataset alone, with a reason a publisher can act on.


def test_an_integer_of_more_than_4300_digits_rejects_its_dataset_alone():
    body = catalog(b'{"size": 1' + b"0" * 4300 + b', "identifier": "h"}', GOOD)
    assert one_pass(body) == [("h", "dataset #1: size is a number of more than 4,300 digits"), ("good", None)]


def test_an_invalid_utf8_byte_rejects_its_dataset_alone_naming_the_byte_and_where_it_is():
    body = catalog(GOOD, b'{"identifier": "h", "title": "Caf\xe9 data"}')
    offset = body.index(b"\xe9")
    assert one_pass(body) == [
        ("good", None),
        ("h", f"dataset #2: title is not valid UTF-8: byte 0xe9 at offset {offset}"),
    ]


DIGITS = st.text("0123456789", min_size=1, max_size=3)
BAD_UTF8 = [b"\x92", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82"]
# (bytes in a dataset's value, the end of the reason it is rejected with; None: not rejected). Values
# longer than MAX_TOKEN_BYTES have tests of their own, which a hundred examples would make slow.
HOSTILE = st.one_of(
    st.integers(4301, 5000).map(lambda n: (b"9" * n, "is a number of more than 4,300 digits")),
    st.sampled_from([b"1e400", b"-1.7e309", b"1e" + b"7" * 12, b"-2.5E+" + b"9" * 25]).map(
        lambda v: (v, "is a number too large to keep")
    ),
    st.tuples(DIGITS, st.sampled_from(BAD_UTF8)).map(
        lambda t: (b'"a' + t[1] + t[0].encode() + b'"', "is not valid UTF-8: byte 0x")
    ),
    st.integers(0, 31).map(
        lambda c: (b'"a' + bytes([c]) + b'b"', "holds a control character JSON needs escaped: byte 0x")
    ),
    st.integers(33, 80).map(lambda d: (b"[" * d + b"]" * d, "is nested deeper than 32 levels")),
    # Kept: a lone surrogate (repaired), an integer beyond 2^63, a fraction of thousands of digits,
    # a number too small for a double (zero, as a double reads it).
    st.sampled_from(
        [b'"it\\udc92s"', b"1" * 400, b"-0." + b"1" * 5000, b"1e-" + b"3" * 30, b"0e" + b"9" * 30]
    ).map(lambda v: (v, None)),
)


def _placed(value: bytes, where: int) -> bytes:
    """A dataset holding ``value`` as a field before its identifier, after it, or deep in an object."""
    return [
        b'{"bad": ' + value + b', "identifier": "h", "title": "t"}',
        b'{"identifier": "h", "title": "t", "bad": ' + value + b"}",
        b'{"identifier": "h", "publisher": {"name": "p", "bad": [1, ' + value + b"]}}",
    ][where]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    HOSTILE,
    st.integers(0, 2),
    st.integers(0, 3),
    st.integers(0, 3),
    st.sampled_from(["dcatus1.1-federal", "dcatus3.0"]),
    st.integers(1, 64),
)
def test_any_hostile_value_rejects_only_its_own_dataset(
    tmp_path, hostile, where, before, after, schema, most
):
    value, reason_end = hostile
    goods = [b'{"identifier": "g%d", "title": "good"}' % n for n in range(before + after)]
    body = catalog(*goods[:before], _placed(value, where), *goods[before:])
    items = harvest(tmp_path, body, schema)
    status, records = items[-1], items[:-1]
    assert (status["status"], status["reason"]) == ("complete", None)
    assert [r["identifier"] for r in records] == [f"g{n}" for n in range(before)] + ["h"] + [
        f"g{n}" for n in range(before, before + after)
    ]
    rejected = [r for r in records if r["error"]]
    if reason_end is None:
        assert not rejected
    else:
        assert [r["identifier"] for r in rejected] == ["h"]
        assert rejected[0]["error"].startswith(f"dataset #{before + 1}")
        assert reason_end in rejected[0]["error"]
    assert all(r["raw"] for r in records if not r["error"])
    if schema == "dcatus1.1-federal" and len(body) < 100_000:  # the same, however the body is read
        stream = Dribble(body, most)
        info = inspect_catalog(stream)
        dribbled = [dataset_record(index, value, info) for index, value in iter_datasets(stream, info)]
        assert [(r["identifier"], r["error"]) for r in dribbled] == [
            (r["identifier"], r["error"]) for r in records
        ]


def test_a_document_broken_outside_any_value_still_fails_the_source(tmp_path):
    """The JSON itself broken between values is no one dataset's: the source fails, deleting nothing."""
    (status,) = harvest(tmp_path, catalog(GOOD, b'{"identifier": "h"} \x92', GOOD))
    assert status["status"] == "failed" and status["reason"].startswith("JSON is not valid")
