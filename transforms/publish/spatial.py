"""A published record's bounding box as the GeoJSON polygon data.gov keeps in ``dataset.translated_spatial``.

The catalog site draws it on the dataset page and the search index takes its centroid. Only bounding
boxes are translated: DCAT-US 1.1's ``spatial`` written ``W,S,E,N``, and a DCAT-US 3.0 Location's
``bbox`` (the WKT polygon the crosswalk and the 3.0 upgrade write). A place name would need data.gov's
gazetteer (the ``locations`` table), which this project does not load.
"""

import json
import re

_NUMBER = r"\s*(-?\d+(?:\.\d+)?)\s*"
_CORNERS = re.compile(rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$")
# POLYGON((w s, e s, e n, w n, w s)): the box's two corners are its first and third points
_WKT_BOX = re.compile(rf"^\s*POLYGON\s*\(\({_NUMBER}\s{_NUMBER},[^,]+,{_NUMBER}\s{_NUMBER},", re.IGNORECASE)


def _polygon(west: float, south: float, east: float, north: float) -> dict | None:
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        return None
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def _box_of(spatial) -> dict | None:
    if isinstance(spatial, str):
        corners = _CORNERS.match(spatial)
        return _polygon(*map(float, corners.groups())) if corners else None
    locations = spatial if isinstance(spatial, list) else [spatial]
    for location in locations:
        box = location.get("bbox") if isinstance(location, dict) else None
        found = _WKT_BOX.match(box) if isinstance(box, str) else None
        if found:
            west, south, east, north = map(float, found.groups())
            return _polygon(west, south, east, north)
    return None


def translated_spatial(dcat_json: str | None) -> str | None:
    """The GeoJSON Polygon (as JSON text) of a DCAT-US record's bounding box, or None when it has none."""
    if not dcat_json:
        return None
    try:
        record = json.loads(dcat_json)
    except ValueError:
        return None  # the database refuses the record itself, with its own error
    polygon = _box_of(record.get("spatial")) if isinstance(record, dict) else None
    return json.dumps(polygon) if polygon else None
