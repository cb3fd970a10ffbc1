"""A published record's bounding box as the GeoJSON polygon data.gov's catalog draws (dataset.translated_spatial)."""

import json

import pytest

from transforms.publish.spatial import translated_spatial


@pytest.mark.parametrize(
    ("spatial", "box"),
    [
        ("-124.7,24.5,-66.9,49.4", [-124.7, 24.5, -66.9, 49.4]),
        (
            [{"@type": "Location", "bbox": "POLYGON((-80 25, -79 25, -79 26, -80 26, -80 25))"}],
            [-80, 25, -79, 26],
        ),
        ("Chesapeake Bay", None),
        ("1,2,3", None),
        ("0,95,1,96", None),  # latitude out of range
    ],
)
def test_a_bounding_box_becomes_a_geojson_polygon(spatial, box):
    shape = translated_spatial(json.dumps({"title": "t", "spatial": spatial}))
    if box is None:
        assert shape is None
        return
    west, south, east, north = box
    assert json.loads(shape) == {
        "type": "Polygon",
        "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]],
    }
