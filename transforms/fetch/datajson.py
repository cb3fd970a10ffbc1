"""DCAT-US 1.1 catalogs (data.json), read as a stream: check it is a catalog, then yield its datasets.

A catalog can be hundreds of megabytes, so it is never loaded whole: the body sits in a spooled
temp file and is read twice with ijson. The first pass walks the parser events only (no objects
built) to prove the document is a complete JSON object with a ``dataset`` array and to pick up
the catalog-level metadata; the second builds one dataset at a time. Checking first means a
truncated or broken catalog fails before any of its records is emitted.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import ijson

JSON_TYPE_NAMES = {
    dict: "a JSON object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}
_EVENT_TYPE_NAMES = {
    "start_map": "an object",
    "start_array": "an array",
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}
_CATALOG_FIELDS = {"conformsTo": "conforms_to", "describedBy": "described_by"}


class CatalogError(ValueError):
    """The document is not a readable DCAT-US catalog; the message is written for the publisher."""


@dataclass
class CatalogInfo:
    """What the first pass learned: catalog-level metadata and how many datasets follow."""

    conforms_to: str | None = None
    described_by: str | None = None
    datasets: int = 0


def canonical_json(value) -> str:
    """The canonical text of a JSON value: sorted keys, no whitespace, unescaped Unicode."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _rewind(stream: IO[bytes]) -> None:
    """Back to the start of the JSON text, after a UTF-8 byte order mark if there is one (yajl refuses it)."""
    stream.seek(0)
    if stream.read(3) != b"\xef\xbb\xbf":
        stream.seek(0)


def _check_start(stream: IO[bytes]) -> None:
    """Name the common non-JSON answers (an HTML error page, an empty body) before parsing."""
    head = stream.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
    _rewind(stream)
    if not head:
        raise CatalogError("response is empty, not a JSON catalog")
    if head.startswith(b"<"):
        lowered = head.lower()
        if b"<html" in lowered or b"<!doctype html" in lowered or b"<head" in lowered or b"<body" in lowered:
            raise CatalogError("response is an HTML page, not JSON")
        raise CatalogError("response is XML or HTML, not JSON")


def _parse_error(error: Exception, stream: IO[bytes], size: int) -> CatalogError:
    message = str(error).lower()
    if "premature eof" in message or "incomplete" in message:
        return CatalogError(f"JSON ends early at byte {size}: the catalog is truncated")
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return CatalogError(f"JSON is not valid (before byte {min(stream.tell(), size)}): {first_line}")


def inspect_catalog(stream: IO[bytes], require_dataset: bool = True) -> CatalogInfo:
    """First pass over a catalog body: raise CatalogError unless it is a whole catalog; rewinds the stream.

    ``require_dataset=False`` for DCAT-US 3.0, where a catalog may hold only services or series.
    """
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    _check_start(stream)
    info, dataset_type, first = CatalogInfo(), None, True
    try:
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if first:
                if event != "start_map":
                    raise CatalogError(f"catalog is {_EVENT_TYPE_NAMES.get(event, event)}, not a JSON object")
                first = False
            elif prefix == "dataset" and dataset_type is None and event != "map_key":
                dataset_type = event
            elif prefix == "dataset.item" and event in _EVENT_TYPE_NAMES and dataset_type == "start_array":
                info.datasets += 1
            elif prefix in _CATALOG_FIELDS and event == "string":
                setattr(info, _CATALOG_FIELDS[prefix], value)
    except ijson.JSONError as error:
        raise _parse_error(error, stream, size) from None
    finally:
        _rewind(stream)
    if dataset_type is None and require_dataset:
        raise CatalogError('catalog has no "dataset" array')
    if dataset_type is not None and dataset_type != "start_array":
        raise CatalogError(
            f'catalog "dataset" is {_EVENT_TYPE_NAMES.get(dataset_type, dataset_type)}, not an array'
        )
    return info


def iter_datasets(stream: IO[bytes]) -> Iterator[tuple[int, object]]:
    """Second pass: (index, value) of every entry of the dataset array, one at a time."""
    _rewind(stream)
    yield from enumerate(ijson.items(stream, "dataset.item", use_float=True))


def dataset_record(index: int, value) -> dict:
    """identifier, raw and error of one dataset entry; a non-object entry is an error, not a failure."""
    if not isinstance(value, dict):
        kind = JSON_TYPE_NAMES.get(type(value), type(value).__name__)
        return {
            "identifier": None,
            "raw": None,
            "error": f"dataset #{index + 1} is {kind}, not a JSON object",
        }
    raw = canonical_json(value)
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return {
            "identifier": None,
            "raw": None,
            "error": f"dataset #{index + 1} contains an invalid \\u escape (a lone surrogate)",
        }
    identifier = value.get("identifier")
    identifier = identifier.strip() if isinstance(identifier, str) and identifier.strip() else None
    return {"identifier": identifier, "raw": raw, "error": None}
