"""The event walk over a DCAT-US 3.0 catalog: every entry of its record arrays, at any catalog depth.

ijson's basic events with the walk's own path (no prefix strings, so linear in the depth), through
the value guard, surrogate repair, exact numbers and depth limit every data.json gets
(``transforms.fetch.json_stream``).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson

from transforms.fetch.datajson import CatalogInfo, rewind
from transforms.fetch.json_stream import CatalogStream, built
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


@dataclass
class Walk:
    """What a pass over the catalog saw besides the entries: record arrays and the catalog's conformsTo."""

    arrays: int = 0
    conforms_to: dict[str, str] = field(default_factory=dict)


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
