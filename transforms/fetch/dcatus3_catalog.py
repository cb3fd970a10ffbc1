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

The body is read as a stream, like a 1.1 catalog (``transforms.fetch.datajson``): after the first
pass proves it is a whole catalog, a second pass collects the top-level dataset identifiers (a member
listed at the top level must not become a second record, and the top-level copy must learn its
parent), and a third builds one entry at a time and yields its records.
"""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson
from ijson.common import ObjectBuilder

from transforms.fetch.datajson import JSON_TYPE_NAMES, CatalogError, _rewind, dataset_record
from transforms.schemas import RecordType

# The catalog arrays that hold records, and the class of their entries.
RECORD_ARRAYS = {
    "dataset": RecordType.DATASET,
    "service": RecordType.DATA_SERVICE,
    "record": RecordType.CATALOG_RECORD,
    "datasetSeries": RecordType.DATASET_SERIES,
}
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
_ARRAY = re.compile(r"^(?:catalog\.item\.)*(dataset|service|record|datasetSeries)$")
_ENTRY = re.compile(r"^(?:catalog\.item\.)*(dataset|service|record|datasetSeries)\.item$")
_CONFORMS_TO = ("conformsTo.identifier", "conformsTo.@id", "conformsTo.title", "conformsTo")
_STARTS, _ENDS = ("start_map", "start_array"), ("end_map", "end_array")


@dataclass
class _Walk:
    """What a pass over the catalog saw besides the entries: record arrays and the catalog's conformsTo."""

    arrays: int = 0
    conforms_to: dict[str, str] = field(default_factory=dict)


def _build(event: str, value: Any, events: Iterator) -> Any:
    """The JSON value that starts with (event, value), built from the events that follow."""
    builder, depth = ObjectBuilder(), 1
    while depth:
        builder.event(event, value)
        _, event, value = next(events)
        if event in _STARTS:
            depth += 1
        elif event in _ENDS:
            depth -= 1
    return builder.value


def _entries(stream: IO[bytes], walk: _Walk) -> Iterator[tuple[RecordType, int, Any]]:
    """(class, number in its class, value) of every entry of a record array, at any catalog depth."""
    _rewind(stream)
    events = iter(ijson.parse(stream, use_float=True))
    counts = dict.fromkeys(RECORD_ARRAYS.values(), 0)
    for prefix, event, value in events:
        entry = _ENTRY.match(prefix)
        if entry and event not in _ENDS and event != "map_key":
            record_type = RECORD_ARRAYS[entry.group(1)]
            counts[record_type] += 1
            built = _build(event, value, events) if event in _STARTS else value
            yield record_type, counts[record_type], built
        elif event == "start_array" and _ARRAY.match(prefix):
            walk.arrays += 1
        elif prefix in _CONFORMS_TO and event == "string":
            walk.conforms_to[prefix] = value


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


def _parent_of_top_level(stream: IO[bytes], walk: _Walk) -> tuple[set[str], dict[str, str | None]]:
    """Identifiers of the top-level datasets, and the first parent (services first) of those also embedded."""
    top_level: set[str] = set()
    parents: dict[RecordType, dict[str, str | None]] = {kind: {} for kind in MEMBER_FIELDS}
    for record_type, _number, value in _entries(stream, walk):
        if not isinstance(value, dict):
            continue
        identifier, _ = record_identifier(value, record_type)
        if record_type == RecordType.DATASET and identifier:
            top_level.add(identifier)
        for member in _members(value, record_type):
            member_id, _ = record_identifier(member, RecordType.DATASET)
            if member_id:
                parents[record_type].setdefault(member_id, identifier)
    first_parent = {**parents[RecordType.DATASET_SERIES], **parents[RecordType.DATA_SERVICE]}
    return top_level, {key: first_parent[key] for key in top_level if key in first_parent}


def _record(value: Any, record_type: RecordType, label: str, parent: str | None = None) -> dict:
    """identifier, raw, error, record_type and parent_identifier of one entry."""
    row: dict = {"identifier": None, "raw": None, "record_type": record_type, "parent_identifier": parent}
    if not isinstance(value, dict):
        kind = JSON_TYPE_NAMES.get(type(value), type(value).__name__)
        return {**row, "error": f"{label} is {kind}, not a JSON object"}
    checked = dataset_record(0, value)  # the canonical text, and the checks every data.json entry gets
    if checked["error"]:
        return {**row, "error": checked["error"].replace("dataset #1", label, 1)}
    identifier, error = record_identifier(value, record_type, label)
    return {**row, "identifier": identifier, "raw": checked["raw"], "error": error}


def catalog_records(stream: IO[bytes]) -> tuple[Iterator[dict], _Walk]:
    """Every record of a whole 3.0 catalog (see the module docstring), and what the walk saw.

    Raises CatalogError when the catalog has none of the record arrays at any depth. Each record
    dict has identifier, raw, error, record_type, parent_identifier and position.
    """
    walk = _Walk()
    top_level, parent_of = _parent_of_top_level(stream, walk)
    if not walk.arrays:
        raise CatalogError('catalog has no "dataset", "service", "record" or "datasetSeries" array')
    return _records(stream, top_level, parent_of), walk


def _records(stream: IO[bytes], top_level: set[str], parent_of: dict[str, str | None]) -> Iterator[dict]:
    position = 0
    for record_type, number, value in _entries(stream, _Walk()):
        label = f"{next(k for k, v in RECORD_ARRAYS.items() if v == record_type)} #{number}"
        first = _record(value, record_type, label)
        rows = [first]
        if record_type == RecordType.DATASET:
            first["parent_identifier"] = parent_of.get(first["identifier"] or "")
        elif isinstance(value, dict):
            seen: set[str] = set()
            for member in _members(value, record_type):
                member_id, _ = record_identifier(member, RecordType.DATASET)
                if member_id in top_level or member_id in seen:
                    continue  # the top-level copy is the record; first/last repeat seriesMember
                if member_id:
                    seen.add(member_id)
                rows.append(_record(member, RecordType.DATASET, f"a dataset of {label}", first["identifier"]))
        for row in rows:
            yield {**row, "position": position}
            position += 1


def conforms_to(walk: _Walk) -> str | None:
    """The catalog's conformsTo as one string: its identifier, else its title (a 3.0 Standard object)."""
    return next((walk.conforms_to[key] for key in _CONFORMS_TO if key in walk.conforms_to), None)
