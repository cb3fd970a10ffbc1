"""DCAT-US 3.0 catalogs: one record per Dataset, DataService, CatalogRecord and DatasetSeries.

A 3.0 catalog holds more than datasets: ``dataset``, ``service``, ``record`` and ``datasetSeries``
arrays, in the catalog itself and in nested ``catalog`` arrays at any depth. Each entry becomes one
record with its class (``record_type``), as data.gov's harvester splits them:

- An identifier is a string or an object with an ``@id``; an object without one is no usable
  identifier, and the record is rejected with that reason. Datasets and services are identified by
  ``identifier``, series and catalog records by ``@id``. A catalog record without an ``@id`` is
  identified by its ``primaryTopic`` and ``modified`` (``urn:datagov:catalogrecord:<sha256>``, as
  data.gov names it), so it is never rejected for that.
- The datasets a service serves (``servesDataset``) and a series' members (``seriesMember``,
  ``first``, ``last``) become records of their own carrying their parent's identifier
  (``parent_identifier``, published as ``isPartOf``). A member that is also listed at the top level
  is one record: the top-level copy, with the parent. The parent's record keeps its embedded copies.

A catalog written as JSON-LD with an ``@graph`` gives the records of its plain form
(``transforms.fetch.dcatus3_walk``).

The body is read as a stream, like a 1.1 catalog (``transforms.fetch.datajson``): after the first
pass proves it is a whole catalog, a second pass collects the top-level dataset identifiers (a member
listed at the top level must not become a second record, and the top-level copy must learn its
parent), and a third builds one entry at a time and yields its records. Both walk ijson's basic
events with their own path (no prefixes: linear in the depth), through the same surrogate repair,
exact numbers and depth limit as a 1.1 catalog (``transforms.fetch.json_stream``); what one entry
raises rejects that entry alone.
"""

import hashlib
import json
from collections.abc import Iterator
from functools import partial
from typing import IO, Any

from transforms.fetch.datajson import CatalogError, CatalogInfo, checked_entry, readable_field
from transforms.fetch.dcatus3_walk import RECORD_ARRAYS, Walk, conforms_to, entries
from transforms.fetch.json_stream import TooDeep, UnreadableValue, repaired
from transforms.isolation import isolated, require_utf8
from transforms.schemas import FetchStatus, RecordType

IDENTIFIER_FIELD = {
    RecordType.DATASET: "identifier",
    RecordType.DATA_SERVICE: "identifier",
    RecordType.CATALOG_RECORD: "@id",
    RecordType.DATASET_SERIES: "@id",
}
# The fields of a parent that embed whole datasets, in the order data.gov reads them.
MEMBER_FIELDS = {
    RecordType.DATA_SERVICE: ("servesDataset",),
    RecordType.DATASET_SERIES: ("seriesMember", "first", "last"),
}
CATALOG_RECORD_URN = "urn:datagov:catalogrecord:"
_HOLD_DATASETS = (RecordType.DATASET, *MEMBER_FIELDS)  # the classes the second pass reads
# The array an entry's class is listed in, which names the entry in a reason: "service #2".
_ARRAY_OF = {record_type: array for array, record_type in RECORD_ARRAYS.items()}


def _named(value: dict, record_type: RecordType, label: str) -> str:
    title = value.get("title")
    if isinstance(title, str) and title.strip():
        return f'{record_type} "{title.strip()}"'
    return label


def record_identifier(
    value: dict, record_type: RecordType, label: str = "a record"
) -> tuple[str | None, str | None]:
    """(identifier, None) for a record entry, or (None, why it has no usable identifier).

    ``label`` names the entry in the reason when it has no title (``service #2``).
    """
    name = IDENTIFIER_FIELD[record_type]
    given = value.get(name)
    if isinstance(given, dict):
        given = given.get("@id")
        if isinstance(given, str) and given.strip():
            return given.strip(), None
        return None, f'{_named(value, record_type, label)} has an "{name}" object with no usable "@id"'
    if isinstance(given, str) and given.strip():
        return given.strip(), None
    if record_type == RecordType.CATALOG_RECORD:
        # data.gov's name for a catalog record without @id: stable while its topic and date are.
        key = f"{value.get('primaryTopic')}|{value.get('modified')}"
        return CATALOG_RECORD_URN + hashlib.sha256(key.encode("utf-8")).hexdigest(), None
    if given is None or isinstance(given, str):
        return None, f'{_named(value, record_type, label)} has no "{name}"'
    return None, (
        f'{_named(value, record_type, label)} has an "{name}" that is neither a string '
        'nor an object with an "@id"'
    )


def _members(value: dict, record_type: RecordType) -> Iterator[dict]:
    """The datasets a service serves or a series holds, embedded whole (references by IRI are skipped)."""
    for name in MEMBER_FIELDS.get(record_type, ()):
        embedded = value.get(name)
        for member in embedded if isinstance(embedded, list) else [embedded]:
            if isinstance(member, dict):
                yield member


def _clean(value: Any, info: CatalogInfo) -> Any:
    """The value with repaired surrogates and plain numbers, when the stream needed either (for identifiers)."""
    if not (info.repaired_escapes or info.marked_values or info.exact_numbers):
        return value
    try:
        return repaired(value, "", [], info.markers)
    except UnreadableValue:
        return value


def _parent_of_top_level(
    stream: IO[bytes], info: CatalogInfo, walk: Walk
) -> tuple[set[str], dict[str, str | None]]:
    """Identifiers of the top-level datasets, and the first parent (services first) of those also embedded."""
    top_level: set[str] = set()
    parents: dict[RecordType, dict[str, str | None]] = {kind: {} for kind in MEMBER_FIELDS}
    for record_type, _number, value in entries(stream, info, walk):
        if record_type not in _HOLD_DATASETS or not isinstance(value, dict):
            continue  # a catalog record is no dataset and embeds none: nothing to collect from it
        value = _clean(value, info)
        identifier, _ = record_identifier(value, record_type)
        if record_type == RecordType.DATASET and identifier:
            top_level.add(identifier)
        for member in _members(value, record_type):
            member_id, _ = record_identifier(member, RecordType.DATASET)
            if member_id:
                parents[record_type].setdefault(member_id, identifier)
    first_parent = {**parents[RecordType.DATASET_SERIES], **parents[RecordType.DATA_SERVICE]}
    return top_level, {key: first_parent[key] for key in top_level if key in first_parent}


def rejected_identifier(value: Any, record_type: RecordType, info: CatalogInfo) -> str | None:
    """The identifier of an entry rejected for what it holds, read from its own fields when they can be read.

    A catalog record named by its topic and date is not named when one of those cannot be read: the
    name would not be the one it was published under.
    """
    names = (IDENTIFIER_FIELD[record_type], "primaryTopic", "modified")
    fields = {name: readable_field(value, name, info) for name in names}
    entry = value.value if isinstance(value, TooDeep) else value
    unread = isinstance(entry, dict) and any(
        entry.get(name) is not None and fields[name] is None for name in names
    )
    identifier, _ = record_identifier(fields, record_type)
    return None if unread and identifier and identifier.startswith(CATALOG_RECORD_URN) else identifier


def _record(value: Any, record_type: RecordType, label: str, info: CatalogInfo, parent: str | None) -> dict:
    """identifier, raw, error, warnings, record_type and parent_identifier of one entry."""
    row: dict = {"identifier": None, "raw": None, "warnings": [], "record_type": record_type}
    row["parent_identifier"] = parent
    # The canonical text, with the repairs and checks every data.json entry gets.
    checked = checked_entry(value, info, label)
    if checked.raw is None:
        return {**row, "identifier": rejected_identifier(value, record_type, info), "error": checked.error}
    value = json.loads(checked.raw) if checked.warnings or info.exact_numbers else value
    identifier, error = record_identifier(value, record_type, label)
    return {**row, "identifier": identifier, "raw": checked.raw, "warnings": checked.warnings, "error": error}


def catalog_records(stream: IO[bytes], info: CatalogInfo) -> tuple[Iterator[dict], Walk]:
    """Every record of a whole 3.0 catalog (see the module docstring), and what the walk saw.

    ``info`` is what ``inspect_catalog`` learned. Raises CatalogError when the catalog has none of the
    record arrays at any depth. Each record dict has identifier, raw, error, warnings, record_type,
    parent_identifier and position.
    """
    walk = Walk()
    top_level, parent_of = _parent_of_top_level(stream, info, walk)
    if not walk.arrays:
        raise CatalogError('catalog has no "dataset", "service", "record" or "datasetSeries" array')
    return _records(stream, info, top_level, parent_of), walk


def _entry_rows(
    record_type: RecordType, number: int, value: Any, info: CatalogInfo, top_level: set[str], parent_of: dict
) -> list[dict]:
    """The records of one entry: itself, and the datasets it serves or holds that are not top-level."""
    label = f"{_ARRAY_OF[record_type]} #{number}"
    first = _record(value, record_type, label, info, None)
    rows = [first]
    if record_type == RecordType.DATASET:
        first["parent_identifier"] = parent_of.get(first["identifier"] or "")
    elif isinstance(value, dict):
        seen: set[str] = set()
        for member in _members(value, record_type):
            member_id, _ = record_identifier(_clean(member, info), RecordType.DATASET)
            if member_id in top_level or member_id in seen:
                continue  # the top-level copy is the record; first/last repeat seriesMember
            if member_id:
                seen.add(member_id)
            rows.append(
                _record(member, RecordType.DATASET, f"a dataset of {label}", info, first["identifier"])
            )
    return [require_utf8(row) for row in rows]


def _rejected(value: Any, record_type: RecordType, info: CatalogInfo, reason: str) -> list[dict]:
    identifier = isolated("extract", partial(rejected_identifier, value, record_type, info), lambda _: None)
    return [
        {"identifier": identifier, "raw": None, "error": reason, "warnings": [], "record_type": record_type}
    ]


def _records(stream: IO[bytes], info: CatalogInfo, top_level: set[str], parent_of: dict) -> Iterator[dict]:
    position = 0
    for record_type, number, value in entries(stream, info, Walk()):
        # The extract guard of one entry: whatever it raises rejects it (and its members) alone.
        rows = isolated(
            "extract",
            partial(_entry_rows, record_type, number, value, info, top_level, parent_of),
            partial(_rejected, value, record_type, info),
        )
        for row in rows:
            yield {
                "parent_identifier": None,
                **row,
                "position": position,
                "fetch_status": FetchStatus.FETCHED,
            }
            position += 1


__all__ = ["catalog_records", "conforms_to", "record_identifier"]
