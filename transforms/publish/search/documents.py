"""The OpenSearch documents data.gov's catalog searches: one per dataset, built from the harvest tables' rows.

data.gov's catalog (GSA/datagov-catalog) reads the harvester's PostgreSQL tables for its pages and an
OpenSearch index, ``datasets``, for search, facets and counts. Each document of that index is made
from one ``dataset`` row, its ``organization`` row and its ``harvest_record`` row. This module builds
exactly the document the catalog's own indexer builds for those rows (checked against it in
tests/test_search_documents.py), and the ``_bulk`` request's actions that put documents into the
index or take them out.

The rows are plain dicts keyed by the harvester's column names, holding the values as the database
driver returns them (``jsonb`` decoded, ``timestamp`` as ``datetime``), so rows read from PostgreSQL
and rows built in Spark (``Row.asDict()`` after decoding the JSON columns) make the same documents.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

INDEX_NAME = "datasets"
DEFAULT_CATALOG_BASE_URL = "https://catalog.data.gov"
# The organization's columns, which the document carries whole (the catalog copies the row).
ORGANIZATION_COLUMNS = (
    "id",
    "name",
    "logo",
    "description",
    "slug",
    "organization_type",
    "aliases",
    "code_repo_url",
    "code_repo_exempt",
)
# DCAT fields the catalog turns into strings before indexing: the index maps them as keyword.
DATE_FIELDS = ("modified", "issued", "temporal")

Row = Mapping[str, Any]


def search_document(
    dataset: Row,
    organization: Row | None,
    harvest_record: Row | None,
    catalog_base_url: str = DEFAULT_CATALOG_BASE_URL,
) -> dict[str, Any]:
    """The index document of one dataset, with ``_index`` and ``_id`` as the catalog's indexer has them.

    ``dataset`` needs ``id``, ``slug``, ``dcat``, ``translated_spatial``, ``popularity``,
    ``last_harvested_date`` and ``harvest_record_id``; ``organization`` is its ``organization`` row
    (None when it has none); ``harvest_record`` its ``harvest_record`` row (only ``source_transform``
    is read; None when the dataset has none). ``catalog_base_url`` is the site the document's
    harvest record links point at.
    """
    dcat = dataset["dcat"]
    translated_spatial = dataset.get("translated_spatial")
    themes = theme_labels(dcat.get("theme"))
    has_spatial = (
        _has_text(dcat.get("spatial"))
        or translated_spatial is not None
        or any(label.strip().lower() == "geospatial" for label in themes)
    )
    last_harvested = dataset.get("last_harvested_date")
    document: dict[str, Any] = {
        "_index": INDEX_NAME,
        "_id": dataset["id"],
        "title": _text(dcat.get("title")),
        "slug": dataset["slug"],
        "last_harvested_date": last_harvested.isoformat() if last_harvested else None,
        "description": _text(dcat.get("description")),
        "publisher": publisher_name(dcat.get("publisher")),
        "dcat": indexed_dcat(dcat),
        "keyword": keywords(dcat.get("keyword")),
        "theme": themes,
        "identifier": identifier_text(dcat.get("identifier")),
        "has_spatial": has_spatial,
        "has_download": has_download(dcat.get("distribution")),
        "organization": {column: organization.get(column) for column in ORGANIZATION_COLUMNS}
        if organization
        else {},
        "distribution_titles": distribution_titles(dcat.get("distribution")),
        "popularity": dataset.get("popularity"),
        "spatial_shape": translated_spatial,
        "spatial_centroid": centroid(translated_spatial),
    }
    record_url = harvest_record_url(dataset.get("harvest_record_id"), catalog_base_url)
    document["harvest_record"] = record_url
    document["harvest_record_raw"] = f"{record_url}/raw" if record_url else None
    if record_url and harvest_record is not None and _has_transform(harvest_record.get("source_transform")):
        document["harvest_record_transformed"] = f"{record_url}/transformed"
    return document


def harvest_record_url(record_id: str | None, catalog_base_url: str = DEFAULT_CATALOG_BASE_URL) -> str | None:
    """The catalog's page of a harvest record, or None for a dataset without one."""
    if not record_id:
        return None
    return f"{catalog_base_url.rstrip('/')}/harvest_record/{record_id}"


def _clean(value: Any) -> str | None:
    """A string stripped of surrounding white space, or None for a blank one or a non-string."""
    if isinstance(value, str):
        return value.strip() or None
    return None


def _text(value: Any) -> str:
    """A string as it is; anything else (an object, a list, a number) indexes as ''."""
    return value if isinstance(value, str) else ""


def _has_text(value: Any) -> bool:
    """True for a value that says something: not empty, and not a blank string."""
    return bool(value) and (not isinstance(value, str) or bool(value.strip()))


def _as_list(value: Any) -> list[Any]:
    """A JSON value as a list: a single value is a list of one, null an empty list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def publisher_name(publisher: Any) -> str:
    """The publisher's display name: its ``name``, else a DCAT-US 3.0 ``prefLabel``, else ''."""
    if not isinstance(publisher, dict):
        return ""
    return _clean(publisher.get("name")) or _clean(publisher.get("prefLabel")) or ""


def keywords(value: Any) -> list[str]:
    """The non-blank keyword strings, stripped."""
    return [cleaned for item in _as_list(value) if (cleaned := _clean(item))]


def theme_labels(value: Any) -> list[str]:
    """Theme labels: DCAT-US 1.1 strings, or the ``prefLabel`` of DCAT-US 3.0 Concepts."""
    labels = []
    for item in _as_list(value):
        label = _clean(item.get("prefLabel")) if isinstance(item, dict) else _clean(item)
        if label is not None:
            labels.append(label)
    return labels


def identifier_text(value: Any) -> str:
    """The identifier as one string: DCAT-US 1.1's string, or the ``@id`` of a DCAT-US 3.0 Identifier."""
    if isinstance(value, dict):
        return _clean(value.get("@id")) or ""
    return _clean(value) or ""


def distribution_titles(distributions: Any) -> list[str]:
    """The non-blank titles of the distributions (only a list of distributions has any)."""
    if not isinstance(distributions, list):
        return []
    return [
        title
        for distribution in distributions
        if isinstance(distribution, dict) and (title := _clean(distribution.get("title")))
    ]


def has_download(distributions: Any) -> bool:
    """True when some distribution has a downloadURL."""
    if not isinstance(distributions, list):
        return False
    return any(
        isinstance(distribution, dict) and _has_text(distribution.get("downloadURL"))
        for distribution in distributions
    )


def _as_text(value: Any) -> str:
    """An object or a list as JSON text (keys sorted), anything else as Python's str() (True is 'True')."""
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)


def _flatten_member(value: Any) -> Any:
    """An object's or a list's member for the ``dcat`` field: nested objects and lists become JSON text."""
    return _as_text(value) if isinstance(value, (dict, list)) else value


def indexed_dcat(dcat: Mapping[str, Any]) -> dict[str, Any]:
    """The DCAT as the document's ``dcat`` field holds it.

    The index stores it unanalysed (``dynamic: false``), but OpenSearch still refuses a field whose
    values change type, so values are flattened one level deep: the dates become strings, so does
    a non-string ``spatial`` (JSON text for an object or a list), and in every other field (``publisher`` kept as
    it is) an object's nested objects and lists, and a list's nested lists, become JSON text.
    """
    indexed: dict[str, Any] = {}
    for field, value in dcat.items():
        if field in DATE_FIELDS:
            if isinstance(value, date):
                value = value.isoformat()
            elif value is not None and not isinstance(value, str):
                value = str(value)  # Python's str(), as the catalog has it: str([1]) is '[1]'
        elif field == "spatial":
            if value is not None and not isinstance(value, str):
                value = _as_text(value)
        elif field != "publisher":
            if isinstance(value, dict):
                value = {key: _flatten_member(member) for key, member in value.items()}
            elif isinstance(value, list):
                value = [
                    {key: _flatten_member(member) for key, member in item.items()}
                    if isinstance(item, dict)
                    else _flatten_member(item)
                    for item in value
                ]
        indexed[field] = value
    return indexed


def _coordinate_pairs(coordinates: Any) -> Iterator[tuple[float, float]]:
    """Every (lon, lat) position in a GeoJSON coordinates array, depth first, inside the globe's range."""
    if isinstance(coordinates, (list, tuple)):
        if len(coordinates) >= 2:
            lon, lat = coordinates[0], coordinates[1]
            if isinstance(lon, (int, float)) and isinstance(lat, (int, float)):
                if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
                    yield float(lon), float(lat)
                    return
        for item in coordinates:
            yield from _coordinate_pairs(item)


def centroid(geometry: Any) -> dict[str, float] | None:
    """The mean of a GeoJSON geometry's positions as ``{"lat", "lon"}`` (the catalog's spatial_centroid).

    Not the area's true centroid: every vertex weighs the same, as in the catalog's index. A geometry
    given as JSON text is read first; None when there is no usable position.
    """
    if isinstance(geometry, str):
        try:
            geometry = json.loads(geometry)
        except json.JSONDecodeError:
            return None
    if not isinstance(geometry, dict) or geometry.get("coordinates") is None:
        return None
    points = list(_coordinate_pairs(geometry["coordinates"]))
    if not points:
        return None
    count = len(points)
    return {
        "lat": float_sum(lat for _, lat in points) / count,
        "lon": float_sum(lon for lon, _ in points) / count,
    }


def float_sum(values: Iterable[float]) -> float:
    """The sum Python 3.12's ``sum()`` gives for floats: left to right, with Neumaier's compensation.

    The catalog runs on Python 3.12, whose ``sum()`` compensates the rounding; Glue's 3.11 adds
    plainly, which can differ in the last bit, so the 3.12 algorithm is written out here.
    """
    total = compensation = 0.0
    for value in values:
        step = total + value
        if abs(total) >= abs(value):
            compensation += (total - step) + value
        else:
            compensation += (value - step) + total
        total = step
    # As CPython: an infinite or overflowed total is not turned into a NaN by the compensation.
    return total + compensation if compensation and math.isfinite(compensation) else total


def _has_transform(source_transform: Any) -> bool:
    """True when the harvest record holds a transformed (DCAT-US made from XML) document to serve."""
    if source_transform is None:
        return False
    return not (isinstance(source_transform, str) and not source_transform.strip())


def bulk_actions(
    documents: Iterable[Mapping[str, Any]], deleted_ids: Iterable[str] = (), index: str = INDEX_NAME
) -> Iterator[str]:
    """The ``_bulk`` request's actions as ndjson text: an index action per document, a delete per dataset id.

    Each document is one :func:`search_document` built; its ``_index`` and ``_id`` go to the action
    line, the rest is the source line. An index action is those two lines, a delete one; every
    line ends with a newline (JSON escapes those inside strings), so the actions joined are a body.
    """
    for document in documents:
        source = {key: value for key, value in document.items() if key not in ("_index", "_id")}
        action = {"index": {"_index": document.get("_index", index), "_id": document["_id"]}}
        yield f"{json.dumps(action)}\n{json.dumps(source, ensure_ascii=False)}\n"
    for dataset_id in deleted_ids:
        yield f"{json.dumps({'delete': {'_index': index, '_id': dataset_id}})}\n"
