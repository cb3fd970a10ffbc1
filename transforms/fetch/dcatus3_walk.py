"""The event walk over a DCAT-US 3.0 catalog: every entry of its record arrays, at any catalog depth.

ijson's basic events with the walk's own path (no prefix strings, so linear in the depth), through
the value guard, surrogate repair, exact numbers and depth limit every data.json gets
(``transforms.fetch.json_stream``).

A catalog may also be written as JSON-LD with a top-level ``@graph`` (as DOI's DCAT-US 3.0 examples
are): its nodes are read one at a time. A node whose ``@type`` is Dataset, DataService,
CatalogRecord or DatasetSeries is a record; a Catalog node is read like a plain catalog (held whole,
so its record arrays and nested catalogs are walked in memory); other nodes (periods, locations)
are skipped, and an entry of a catalog array that is only an IRI names a node of the graph, not a
record of its own. Each record is read in the plain form (:func:`plain_form`).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson

from transforms.fetch.datajson import CatalogInfo, rewind
from transforms.fetch.json_stream import CatalogStream, TooDeep, built
from transforms.schemas import RecordType

# The catalog arrays that hold records, and the class of their entries.
RECORD_ARRAYS = {
    "dataset": RecordType.DATASET,
    "service": RecordType.DATA_SERVICE,
    "record": RecordType.CATALOG_RECORD,
    "datasetSeries": RecordType.DATASET_SERIES,
}
_CONFORMS_TO = ("identifier", "@id", "title", "")  # a Standard object's names for itself, or a plain string
_STARTS, _ENDS = ("start_map", "start_array"), ("end_map", "end_array")
_CLASSES = {record_type.value: record_type for record_type in RECORD_ARRAYS.values()}
# The vocabularies DCAT-US 3.0's JSON-LD context names, as compact-IRI prefixes and as namespaces:
# "dcterms:title" and "http://purl.org/dc/terms/title" are both the plain "title".
_PREFIXES = ("dcat", "dcterms", "dct", "foaf", "vcard", "org", "skos", "locn", "adms", "prov", "dqv", "odrs")
_NAMESPACES = (
    "http://www.w3.org/ns/dcat#",
    "http://purl.org/dc/terms/",
    "http://xmlns.com/foaf/0.1/",
    "http://www.w3.org/2006/vcard/ns#",
    "http://www.w3.org/ns/org#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://www.w3.org/ns/locn#",
    "http://www.w3.org/ns/adms#",
    "http://www.w3.org/ns/prov#",
)
# The keys of a JSON-LD value object: {"@value": "2020", "@type": "xsd:gYear"}.
_VALUE_KEYS = {"@value", "@type", "@language"}


@dataclass
class Walk:
    """What a pass over the catalog saw besides the entries: record arrays (and record nodes of an
    ``@graph``) and the catalog's conformsTo."""

    arrays: int = 0
    conforms_to: dict[str, str] = field(default_factory=dict)


def _local_name(term: str) -> str:
    for namespace in _NAMESPACES:
        if term.startswith(namespace):
            return term[len(namespace) :]
    prefix, colon, name = term.partition(":")
    return name if colon and prefix in _PREFIXES and name else term


def plain_form(value: Any) -> Any:
    """A JSON-LD node as the plain DCAT-US 3.0 form writes it: keys and ``@type`` values without their
    vocabulary's prefix or namespace (``dcterms:title`` -> ``title``, ``dcat:Dataset`` -> ``Dataset``)
    and value objects as their value (``{"@value": "2020"}`` -> ``"2020"``). A plain key wins over a
    prefixed one that says the same."""
    if isinstance(value, TooDeep):
        return TooDeep(plain_form(value.value))
    if isinstance(value, list):
        return [plain_form(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "@value" in value and set(value) <= _VALUE_KEYS:
        return plain_form(value["@value"])
    plain: dict = {}
    for key, item in value.items():
        name = _local_name(key) if isinstance(key, str) else key
        if key == "@type":
            item = (
                [_local_name(t) if isinstance(t, str) else t for t in item]
                if isinstance(item, list)
                else item
            )
            item = _local_name(item) if isinstance(item, str) else item
        if name not in plain or name == key:
            plain[name] = plain_form(item)
    return plain


def _node_class(node: Any) -> RecordType | str | None:
    """The record class of an ``@graph`` node, "Catalog" for a catalog node, else None."""
    types = node.get("@type") if isinstance(node, dict) else None
    for name in types if isinstance(types, list) else [types]:
        if isinstance(name, str) and name in _CLASSES:
            return _CLASSES[name]
        if name == "Catalog":
            return name
    return None


def _conforms_of(catalog: dict, walk: Walk) -> None:
    given = catalog.get("conformsTo")
    if isinstance(given, str):
        walk.conforms_to.setdefault("", given)
    elif isinstance(given, dict):
        for key in _CONFORMS_TO[:-1]:
            if isinstance(given.get(key), str):
                walk.conforms_to.setdefault(key, given[key])


def _catalog_entries(catalog: dict, counts: dict, walk: Walk) -> Iterator[tuple[RecordType, int, Any]]:
    """The entries of a catalog node held in memory, and of its nested catalogs; bare IRIs name graph nodes."""
    _conforms_of(catalog, walk)
    for array, record_type in RECORD_ARRAYS.items():
        items = catalog.get(array)
        if not isinstance(items, list):
            continue
        walk.arrays += 1
        for item in items:
            if not isinstance(item, str):
                counts[record_type] += 1
                yield record_type, counts[record_type], item
    nested = catalog.get("catalog")
    for inner in nested if isinstance(nested, list) else []:
        if isinstance(inner, dict):
            yield from _catalog_entries(inner, counts, walk)


def _graph_entries(events: Iterator, counts: dict, walk: Walk) -> Iterator[tuple[RecordType, int, Any]]:
    """The records of an ``@graph`` array whose start was just read, one node built at a time."""
    for event, value in events:
        if event == "end_array":
            return
        if event not in _STARTS:
            continue
        node = plain_form(built(event, value, events))
        kind = _node_class(node.value if isinstance(node, TooDeep) else node)
        if kind == "Catalog" and isinstance(node, dict):
            yield from _catalog_entries(node, counts, walk)
        elif isinstance(kind, RecordType):
            walk.arrays += not any(counts.values())  # the graph holds records: it counts as a record array
            counts[kind] += 1
            yield kind, counts[kind], node


@dataclass
class _Frame:
    """One open object or array on the path from the catalog root."""

    is_map: bool
    key: Any = None  # the current key of an object
    catalog: bool = False  # an object that is a catalog: the root, or an entry of a catalog's "catalog"
    entries: RecordType | None = None  # an array holding records of this class
    catalogs: bool = False  # a catalog's "catalog" array


def _opened(frames: list[_Frame], is_map: bool, walk: Walk) -> _Frame:
    parent = frames[-1] if frames else None
    if is_map:
        return _Frame(True, catalog=parent is None or parent.catalogs)
    in_catalog = parent is not None and parent.is_map and parent.catalog
    entries = RECORD_ARRAYS.get(parent.key) if in_catalog and parent else None
    walk.arrays += entries is not None
    return _Frame(
        False, entries=entries, catalogs=in_catalog and parent is not None and parent.key == "catalog"
    )


def _conforms(frames: list[_Frame], value, walk: Walk) -> None:
    if frames[0].key != "conformsTo" or not isinstance(value, str):
        return
    if len(frames) == 1:
        walk.conforms_to[""] = value
    elif len(frames) == 2 and frames[1].is_map and frames[1].key in _CONFORMS_TO:
        walk.conforms_to[frames[1].key] = value


def entries(stream: IO[bytes], info: CatalogInfo, walk: Walk) -> Iterator[tuple[RecordType, int, Any]]:
    """(class, number in its class, value) of every entry of a record array, at any catalog depth."""
    rewind(stream)
    events = iter(
        ijson.basic_parse(CatalogStream(stream, info.check_values), use_float=not info.exact_numbers)
    )
    counts = dict.fromkeys(RECORD_ARRAYS.values(), 0)
    frames: list[_Frame] = []
    for event, value in events:
        if event == "map_key":
            frames[-1].key = value
            continue
        if len(frames) == 1 and frames[0].key == "@graph" and event == "start_array":
            yield from _graph_entries(events, counts, walk)
            continue
        record_type = frames[-1].entries if frames and event not in _ENDS else None
        if record_type is not None:
            counts[record_type] += 1
            yield (
                record_type,
                counts[record_type],
                built(event, value, events) if event in _STARTS else value,
            )
        elif event in _STARTS:
            frames.append(_opened(frames, event == "start_map", walk))
        elif event in _ENDS:
            frames.pop()
        elif frames:
            _conforms(frames, value, walk)


def conforms_to(walk: Walk) -> str | None:
    """The catalog's conformsTo as one string: a Standard's identifier (or @id), else its title; or the string."""
    return next((walk.conforms_to[key] for key in _CONFORMS_TO if key in walk.conforms_to), None)
