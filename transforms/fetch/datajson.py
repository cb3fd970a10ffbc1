"""DCAT-US 1.1 catalogs (data.json), read as a stream: check it is a catalog, then yield its datasets.

A catalog can be hundreds of megabytes, so it is never loaded whole: the body sits in a spooled
temp file and is read twice with ijson. The first pass walks the parser's basic events only (no
objects built, no prefixes) to prove the document is a complete JSON object with a ``dataset``
array, to pick up the catalog-level metadata and to learn what the second pass must take care of
(see :mod:`transforms.fetch.json_stream`: lone surrogate escapes, nesting deeper than a record may
go, integers beyond 2^63, values marked unreadable, strings holding bytes no JSON string may); the
second builds one dataset at a time. Checking first means a truncated or broken catalog fails before
any of its records is emitted. A dataset rejected for what it holds keeps its identifier whenever
that field itself can be read (:func:`readable_field`), so its published version is never taken for
deleted.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

import ijson

from transforms.fetch.json_stream import (
    MAX_RECORD_DEPTH,
    CatalogStream,
    Markers,
    TooDeep,
    UnreadableValue,
    datasets_built,
    needs_repair,
    repaired,
)

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
# yajl's words for a string holding a byte no JSON string may (the guard marks bytes that are not UTF-8
# before yajl sees them; a raw control character is marked once the first pass learned to look).
_UNREADABLE_STRING = ("invalid bytes in UTF8 string", "invalid character inside string")
# What the first pass may raise for the document besides ijson's JSONError: a number Python cannot
# read raises ValueError (or SystemError, out of yajl's C callback), decimal's InvalidOperation, a
# string that is not UTF-8 UnicodeDecodeError (a ValueError).
_VALUE_ERRORS = (ValueError, SystemError, ArithmeticError)
_FIRST_PASS_ERRORS = (ijson.JSONError, *_VALUE_ERRORS)


class CatalogError(ValueError):
    """The document is not a readable DCAT-US catalog; the message is written for the publisher."""


@dataclass
class CatalogInfo:
    """What the first pass learned: catalog-level metadata, how many datasets follow, and how to read them."""

    conforms_to: str | None = None
    described_by: str | None = None
    datasets: int = 0
    exact_numbers: bool = False  # a number yajl cannot hold as a 64-bit integer or a double
    deepest: int = 0  # levels of nesting anywhere in the document
    repaired_escapes: int = 0  # lone surrogate escapes rewritten in the byte stream
    marked_values: int = 0  # values the byte stream replaced by a marker (see transforms.fetch.json_guard)
    check_values: bool = False  # some value must be marked: every pass looks into strings and numbers

    @property
    def too_deep(self) -> bool:
        """True when some value nests deeper than a dataset may: the second pass must not build prefixes."""
        return self.deepest - 2 > MAX_RECORD_DEPTH

    @property
    def markers(self) -> Markers:
        """The markers the later passes' streams hold, which :func:`repaired` must look for."""
        return Markers(surrogates=self.repaired_escapes > 0, values=self.marked_values > 0)


def canonical_json(value) -> str:
    """The canonical text of a JSON value: sorted keys, no whitespace, unescaped Unicode."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def rewind(stream: IO[bytes]) -> None:
    """Back to the start of the JSON text, after a UTF-8 byte order mark if there is one (yajl refuses it)."""
    stream.seek(0)
    if stream.read(3) != b"\xef\xbb\xbf":
        stream.seek(0)


def _check_start(stream: IO[bytes]) -> None:
    """Name the common non-JSON answers (an HTML error page, an empty body) before parsing."""
    head = stream.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
    rewind(stream)
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


def _first_pass(stream: IO[bytes], info: CatalogInfo) -> str | None:
    """Walk the basic events once; returns the kind of the first top-level "dataset" value."""
    repairing = CatalogStream(stream, info.check_values)
    depth, top_key, dataset_type, in_datasets = 0, None, None, False
    for event, value in ijson.basic_parse(repairing, use_float=not info.exact_numbers):
        if depth == 0 and event != "start_map":
            raise CatalogError(f"catalog is {_EVENT_TYPE_NAMES.get(event, event)}, not a JSON object")
        if event == "map_key":
            top_key = value if depth == 1 else top_key
            continue
        if depth == 1 and top_key == "dataset" and dataset_type is None:
            dataset_type = event
        if depth == 1 and top_key in _CATALOG_FIELDS and event == "string":
            setattr(info, _CATALOG_FIELDS[top_key], value)
        if in_datasets and depth == 2 and event in _EVENT_TYPE_NAMES:
            info.datasets += 1
        if event in ("start_map", "start_array"):
            in_datasets = in_datasets or (depth == 1 and top_key == "dataset" and event == "start_array")
            depth += 1
            info.deepest = max(info.deepest, depth)
        elif event in ("end_map", "end_array"):
            depth -= 1
            in_datasets = in_datasets and depth > 1
    info.repaired_escapes, info.marked_values = repairing.repairs, repairing.marked
    return dataset_type


def _retry_with(error: Exception, info: CatalogInfo) -> CatalogInfo | None:
    """How to read the catalog again after the first pass raised ``error``, or None when reading again cannot help.

    An integer beyond 2^63 (or a float beyond a double) makes yajl overflow: read every number
    exactly, checked. A string holding a raw control character, which yajl refuses: look into every
    string and number, and mark those (transforms.fetch.json_guard).
    """
    message = str(error)
    if isinstance(error, ijson.JSONError) and "overflow" in message and not info.exact_numbers:
        # Exact numbers go to Python, whose errors inside ijson's C callback break the parser (and can
        # crash it): every number is checked first.
        return CatalogInfo(exact_numbers=True, check_values=True)
    if isinstance(error, ijson.JSONError):
        unreadable = any(phrase in message for phrase in _UNREADABLE_STRING)
    else:
        unreadable = isinstance(error, _VALUE_ERRORS)  # a safety net: the guard leaves none of these
    if unreadable and not info.check_values:
        return CatalogInfo(exact_numbers=info.exact_numbers, check_values=True)
    return None


def _first_pass_retried(stream: IO[bytes]) -> tuple[CatalogInfo, str | None]:
    """The first pass, read again as :func:`_retry_with` says for as long as that helps."""
    info = CatalogInfo()
    while True:
        try:
            return info, _first_pass(stream, info)
        except CatalogError:
            raise
        except _FIRST_PASS_ERRORS as error:
            retry = _retry_with(error, info)
            if retry is None:
                raise
            info = retry
            rewind(stream)


def inspect_catalog(stream: IO[bytes], require_dataset: bool = True) -> CatalogInfo:
    """First pass over a catalog body: raise CatalogError unless it is a whole catalog; rewinds the stream.

    ``require_dataset=False`` for DCAT-US 3.0, where a catalog may hold only services or series.
    """
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    _check_start(stream)
    try:
        info, dataset_type = _first_pass_retried(stream)
    except CatalogError:
        raise
    except _FIRST_PASS_ERRORS as error:
        raise _parse_error(error, stream, size) from None
    finally:
        rewind(stream)
    if dataset_type is None and require_dataset:
        raise CatalogError('catalog has no "dataset" array')
    if dataset_type is not None and dataset_type != "start_array":
        raise CatalogError(
            f'catalog "dataset" is {_EVENT_TYPE_NAMES.get(dataset_type, dataset_type)}, not an array'
        )
    return info


def iter_datasets(stream: IO[bytes], info: CatalogInfo | None = None) -> Iterator[tuple[int, object]]:
    """Second pass: (index, value) of every entry of the dataset array, one at a time.

    ``info`` is what :func:`inspect_catalog` learned; a dataset nested too deep comes back as a TooDeep.
    """
    info = info or CatalogInfo()
    rewind(stream)
    repairing = CatalogStream(stream, info.check_values)
    use_float = not info.exact_numbers
    if info.too_deep:  # ijson's prefixed events would cost time quadratic in the depth
        yield from datasets_built(repairing, use_float)
    else:
        yield from enumerate(ijson.items(repairing, "dataset.item", use_float=use_float))


class CheckedEntry(NamedTuple):
    """One catalog entry checked: its value (repaired), canonical text and warnings; or, rejected, its
    value as read and why."""

    value: Any
    raw: str | None
    warnings: list[str]
    error: str | None


def checked_entry(value, info: CatalogInfo, label: str) -> CheckedEntry:
    """The entry ``label`` names (``dataset #3``), checked as every data.json entry is: an object, not nested
    deeper than MAX_RECORD_DEPTH, lone surrogates repaired (each repaired field named in a warning) and
    exact numbers made plain (one too large to keep rejects the entry)."""
    warnings: list[str] = []
    if isinstance(value, TooDeep):
        return CheckedEntry(value, None, warnings, f"{label} is nested deeper than {MAX_RECORD_DEPTH} levels")
    if not isinstance(value, dict):
        kind = JSON_TYPE_NAMES.get(type(value), type(value).__name__)
        return CheckedEntry(value, None, warnings, f"{label} is {kind}, not a JSON object")
    raw = None if info.exact_numbers else canonical_json(value)
    markers = info.markers
    if raw is None or needs_repair(raw, markers):
        try:
            value = repaired(value, "", warnings, markers)
        except UnreadableValue as error:
            return CheckedEntry(value, None, warnings, f"{label}: {error}")
        raw = canonical_json(value)
    return CheckedEntry(value, raw, warnings, None)


def readable_field(value: Any, name: str, info: CatalogInfo) -> Any:
    """The top-level field ``name`` of an entry, repaired; None when it is absent or cannot be read.

    Read alone, so an entry rejected for another of its values (a number no float holds, a string
    too long, a value nested too deep, which comes as what was built of it) keeps what identifies it.
    """
    value = value.value if isinstance(value, TooDeep) else value
    if not isinstance(value, dict):
        return None
    try:
        return repaired(value.get(name), name, [], info.markers)
    except UnreadableValue:
        return None


def dataset_identifier(value: Any, info: CatalogInfo) -> str | None:
    """The identifier of a 1.1 dataset entry as read (checked or not), when it is a non-blank readable string."""
    return _identifier_text(readable_field(value, "identifier", info))


def _identifier_text(identifier: Any) -> str | None:
    return identifier.strip() if isinstance(identifier, str) and identifier.strip() else None


def dataset_record(index: int, value, info: CatalogInfo | None = None) -> dict:
    """identifier, raw, error and warnings of one dataset entry; a bad entry is an error, not a failure
    (see :func:`checked_entry`), and keeps its identifier when that can be read."""
    info = info or CatalogInfo()
    entry = checked_entry(value, info, f"dataset #{index + 1}")
    if entry.error:
        identifier = dataset_identifier(entry.value, info)
    else:  # checked: its value is repaired already
        identifier = _identifier_text(entry.value.get("identifier"))
    return {"identifier": identifier, "raw": entry.raw, "error": entry.error, "warnings": entry.warnings}
