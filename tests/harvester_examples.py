"""Datasets added to the catalog's harvester snapshot for the tests: the snapshot has two plain ones.

Our own edge cases (DCAT-US 3.0 shapes, odd values, spatial shapes, a second organization) and
every DCAT-US record of tests/golden (what our crosswalk makes from ISO and FGDC documents), as
rows of the harvester's tables, so the search documents are compared with the catalog's on them too.
"""

import json
from datetime import datetime
from pathlib import Path

from psycopg.types.json import Jsonb

ORGANIZATION = "d925f84d-955b-4cb7-812f-dcfd6681a18f"  # the snapshot's
SOURCE = "2f2652de-91df-4c63-8b53-bfced20b276b"
JOB = "6bce761c-7a39-41c1-ac73-94234c139c76"
SECOND_ORGANIZATION = "00000000-0000-4000-8000-00000000000a"
GOLDEN = Path(__file__).with_name("golden")

POLYGON = {
    "type": "Polygon",
    "coordinates": [
        [
            [-124.733253, 24.544245],
            [-66.954811, 24.544245],
            [-66.954811, 49.388611],
            [-124.733253, 49.388611],
            [-124.733253, 24.544245],
        ]
    ],
}
ISO_RAW = '<?xml version="1.0"?><gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"/>'

# slug -> the dataset's dcat and, where not the default, translated_spatial, organization, popularity,
# last_harvested_date, and its harvest record's source_raw and source_transform
EDGE_CASES: dict[str, dict] = {
    "dcat-us-3-shapes": {
        "dcat": {
            "@type": "Dataset",
            "title": "Données de l'océan: 3.0 shapes ✓",
            "description": "Line one\nline two",
            "identifier": {"@id": "  https://example.gov/id/3  ", "notation": "x"},
            "publisher": {"prefLabel": " Office of Examples ", "subOrganizationOf": {"name": "Department"}},
            "theme": [{"prefLabel": " Geospatial "}, {"prefLabel": "  "}, "oceans", 7, None],
            "keyword": ["  tides ", "", 3, "waves", None],
            "modified": 2024,
            "issued": ["2020-01-01", {"x": 1}],
            "temporal": {"startDate": "2020", "endDate": "2021"},
            "spatial": {"type": "Point", "coordinates": [-70.1, 41.5]},
            "contactPoint": {"fn": "Desk", "hasAddress": {"city": "Boston"}, "emails": ["a@example.gov"]},
            "distribution": [
                {"title": "  ", "downloadURL": "   "},
                {"title": " Access page ", "accessURL": "https://example.gov/a", "format": {"label": "HTML"}},
                "not an object",
                [1, [2, 3]],
            ],
            "references": [["nested", "list"], {"deep": {"deeper": [1.5, "ü"]}}, "plain"],
            "accessLevel": "public",
        },
        "translated_spatial": POLYGON,
        "source_raw": ISO_RAW,
        "source_transform": {"title": "from ISO", "keyword": ["k"]},
        "popularity": 12,
        "last_harvested_date": datetime(2026, 8, 1, 9, 30, 0),
    },
    "plain-point-and-blanks": {
        "dcat": {
            "title": "Point dataset",
            "description": None,
            "identifier": "   ",
            "publisher": "not an object",
            "theme": "geospatial",
            "keyword": "single keyword",
            "spatial": "   ",
            "modified": None,
            "distribution": [{"title": "Zip", "downloadURL": "https://example.gov/a.zip"}],
        },
        "translated_spatial": {"type": "Point", "coordinates": [-77.0365, 38.8977]},
        "source_transform": "   ",
        "popularity": None,
        "last_harvested_date": None,
    },
    "shapes-out-of-range": {
        "dcat": {
            "title": "Shapes",
            "spatial": "",
            "distribution": {"downloadURL": "https://example.gov/not-a-list"},
        },
        "translated_spatial": {
            "type": "MultiPolygon",
            "coordinates": [
                [[[200.0, 95.0], [10.25, 20.125], [10.5, 20.5], [True, False]]],
                [[[-179.999999, -89.999999], [179.999999, 89.999999], [0.1, 0.2], [0.3, 0.7]]],
            ],
        },
        "organization": SECOND_ORGANIZATION,
    },
    "geometry-without-coordinates": {
        "dcat": {"title": "Collection geometry", "theme": [], "keyword": []},
        "translated_spatial": {"type": "GeometryCollection", "geometries": []},
        "source_transform": {},
        "organization": SECOND_ORGANIZATION,
    },
}


def _golden_cases() -> dict[str, dict]:
    cases = {}
    for path in sorted(GOLDEN.glob("*.json")):
        dcat = json.loads(path.read_text(encoding="utf-8"))["dataset"]
        cases[f"golden-{path.stem.replace('_', '-')}"] = {
            "dcat": dcat,
            "source_raw": ISO_RAW,
            "source_transform": dcat,
        }
    return cases


def example_slugs() -> list[str]:
    """The slugs of every added dataset."""
    return [*EDGE_CASES, *_golden_cases()]


def insert_examples(database_url: str) -> None:
    """Add the second organization and every example as a harvest record and a dataset."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO organization (id, name, slug, code_repo_url, code_repo_exempt, description) "
            "VALUES (%s, 'Second Org', 'second-org', 'https://github.com/example', true, 'Ünïcode org')",
            (SECOND_ORGANIZATION,),
        )
        for number, (slug, case) in enumerate({**EDGE_CASES, **_golden_cases()}.items()):
            record_id = f"00000000-0000-4000-9000-{number:012d}"
            dataset_id = f"00000000-0000-4000-a000-{number:012d}"
            transform = case.get("source_transform")
            conn.execute(
                "INSERT INTO harvest_record (id, identifier, harvest_job_id, harvest_source_id, source_raw, "
                "source_transform, action, status) VALUES (%s, %s, %s, %s, %s, %s, 'create', 'success')",
                (
                    record_id,
                    slug,
                    JOB,
                    SOURCE,
                    case.get("source_raw"),
                    None if transform is None else Jsonb(transform),
                ),
            )
            spatial = case.get("translated_spatial")
            conn.execute(
                "INSERT INTO dataset (id, slug, dcat, translated_spatial, organization_id, harvest_source_id, "
                "harvest_record_id, popularity, last_harvested_date) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    dataset_id,
                    slug,
                    Jsonb(case["dcat"]),
                    None if spatial is None else Jsonb(spatial),
                    case.get("organization", ORGANIZATION),
                    SOURCE,
                    record_id,
                    case.get("popularity", 0),
                    case.get("last_harvested_date", datetime(2026, 8, 2, 17, 27, 25, 113410)),
                ),
            )
