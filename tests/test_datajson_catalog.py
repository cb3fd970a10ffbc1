"""Reading DCAT-US data.json catalogs as a stream: catalog checks, canonical text, record errors."""

import io
import json

import pytest

from tests.conftest import REALDATA
from transforms.fetch.datajson import (
    CatalogError,
    canonical_json,
    dataset_record,
    inspect_catalog,
    iter_datasets,
)


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
    }
    assert dataset_record(0, [1])["error"] == "dataset #1 is an array, not a JSON object"


def test_identifier_is_stripped_and_unusable_ones_are_null():
    assert dataset_record(0, {"identifier": "  abc "})["identifier"] == "abc"
    for value in ("", "   ", 42, None, ["a"]):
        record = dataset_record(0, {"identifier": value, "title": "t"})
        assert record["identifier"] is None and record["error"] is None and record["raw"]


def test_lone_surrogates_are_a_record_error():
    record = dataset_record(2, json.loads('{"title": "bad \\ud800 escape"}'))
    assert record["error"] == "dataset #3 contains an invalid \\u escape (a lone surrogate)"


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
