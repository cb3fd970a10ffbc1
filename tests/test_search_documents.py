"""Our search documents against data.gov's catalog: its own indexer, its snapshot's index dump, its mapping."""

import json
import math
import random
from datetime import date, datetime

import psycopg
import pytest

from tests.catalog_app import SNAPSHOT, catalog_app, catalog_python, harvester_db  # noqa: F401
from tests.harvester_examples import example_slugs
from tests.postgres_server import postgres_url  # noqa: F401
from transforms.publish.search.documents import centroid, float_sum, indexed_dcat, search_document
from transforms.publish.search.export import database_documents, dataset_rows

# What the catalog's indexer added since the snapshot's index dump was made (2026-08-04): the
# has_download flag and the organization's code repository columns.
ADDED_SINCE_THE_DUMP = {"has_download"}
ORGANIZATION_ADDED_SINCE_THE_DUMP = {"code_repo_url", "code_repo_exempt"}
# The snapshot was indexed by a harvester served on localhost:8080.
DUMP_BASE_URL = "http://localhost:8080"


def ours(database_url: str, catalog_base_url: str = "https://catalog.data.gov") -> list[dict]:
    """Our documents for every dataset of the database, through JSON as they go to OpenSearch."""
    with psycopg.connect(database_url) as conn:
        return json.loads(json.dumps(list(database_documents(conn, catalog_base_url))))


def snapshot_dump() -> dict[str, dict]:
    """The snapshot's opensearch.ndjson: _id -> document."""
    lines = (SNAPSHOT / "opensearch.ndjson").read_text(encoding="utf-8").splitlines()
    return {
        json.loads(action)["index"]["_id"]: json.loads(source)
        for action, source in zip(lines[::2], lines[1::2], strict=True)
    }


@pytest.mark.postgres
def test_documents_equal_the_catalogs_own_for_every_dataset_row(catalog_app, capsys):  # noqa: F811
    theirs = catalog_app.documents()
    mine = ours(catalog_app.database_url)
    assert [d["_id"] for d in mine] == [d["_id"] for d in theirs]
    assert len(mine) == len(snapshot_dump()) + len(example_slugs())
    for document, expected in zip(mine, theirs, strict=True):
        assert document == expected, document["slug"]
    with capsys.disabled():
        print(f"\n{len(mine)} dataset documents equal the catalog's own DatasetDocument")


@pytest.mark.postgres
def test_documents_link_to_the_configured_catalog(catalog_app):  # noqa: F811
    documents = {d["slug"]: d for d in ours(catalog_app.database_url, "http://127.0.0.1:8080/")}
    record = "http://127.0.0.1:8080/harvest_record/00000000-0000-4000-9000-000000000000"
    assert documents["dcat-us-3-shapes"]["harvest_record"] == record
    assert documents["dcat-us-3-shapes"]["harvest_record_raw"] == f"{record}/raw"
    assert documents["dcat-us-3-shapes"]["harvest_record_transformed"] == f"{record}/transformed"
    assert "harvest_record_transformed" not in documents["plain-point-and-blanks"]  # a blank transform
    assert "harvest_record_transformed" not in documents["fixture-dataset-1"]  # none


@pytest.mark.postgres
def test_snapshot_documents_match_the_snapshots_index_dump(harvester_db):  # noqa: F811
    dump = snapshot_dump()
    mine = {d["_id"]: d for d in ours(harvester_db, DUMP_BASE_URL) if d["_id"] in dump}
    assert sorted(mine) == sorted(dump)
    for dataset_id, expected in dump.items():
        document = {k: v for k, v in mine[dataset_id].items() if k not in ("_index", "_id")}
        assert set(document) - set(expected) == ADDED_SINCE_THE_DUMP
        organization = document.pop("organization")
        assert set(organization) - set(expected["organization"]) == ORGANIZATION_ADDED_SINCE_THE_DUMP
        assert {k: organization[k] for k in expected["organization"]} == expected.pop("organization")
        assert {k: document[k] for k in expected} == expected


def test_dcat_values_are_flattened_as_the_index_needs():
    dcat = {
        "modified": date(2024, 1, 2),
        "issued": 2024,
        "temporal": ["a"],
        "spatial": {"type": "Point", "coordinates": [1, 2]},
        "publisher": {"name": "P", "subOrganizationOf": {"name": "Q"}},
        "contactPoint": {"fn": "F", "hasAddress": {"city": "C"}},
        "distribution": [{"title": "T", "format": {"label": "L"}}, ["x"], "y"],
        "keyword": ["k"],
    }
    assert indexed_dcat(dcat) == {
        "modified": "2024-01-02",
        "issued": "2024",
        "temporal": "['a']",
        "spatial": '{"coordinates": [1, 2], "type": "Point"}',
        "publisher": {"name": "P", "subOrganizationOf": {"name": "Q"}},
        "contactPoint": {"fn": "F", "hasAddress": '{"city": "C"}'},
        "distribution": [{"title": "T", "format": '{"label": "L"}'}, '["x"]', "y"],
        "keyword": ["k"],
    }


def test_centroid_is_the_mean_of_the_positions_inside_the_globe():
    assert centroid({"type": "Point", "coordinates": [10, 20]}) == {"lat": 20.0, "lon": 10.0}
    square = [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]
    assert centroid(json.dumps({"type": "Polygon", "coordinates": square})) == {"lat": 0.8, "lon": 0.8}
    assert centroid({"type": "Point", "coordinates": [200, 95]}) is None
    assert centroid({"type": "GeometryCollection", "geometries": []}) is None
    assert centroid("not json") is None


def test_a_document_without_organization_or_record():
    dataset = {
        "id": "d1",
        "slug": "s",
        "dcat": {"title": "T"},
        "translated_spatial": None,
        "popularity": 0,
        "last_harvested_date": datetime(2026, 1, 2, 3, 4, 5),
        "harvest_record_id": None,
    }
    document = search_document(dataset, None, None)
    assert document["organization"] == {}
    assert document["harvest_record"] is None and document["harvest_record_raw"] is None
    assert "harvest_record_transformed" not in document
    assert document["last_harvested_date"] == "2026-01-02T03:04:05"
    assert (document["has_spatial"], document["has_download"]) == (False, False)


# The mapping's field types, and what a document's value must be for OpenSearch to take it.
STRING_TYPES = {"text", "keyword"}
GEOMETRY_DEPTH = {
    "Point": 1,
    "LineString": 2,
    "MultiPoint": 2,
    "Polygon": 3,
    "MultiLineString": 3,
    "MultiPolygon": 4,
}


def _position(value) -> bool:
    return (
        isinstance(value, list)
        and len(value) in (2, 3)
        and all(isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) for n in value)
        and -180 <= value[0] <= 180
        and -90 <= value[1] <= 90
    )


def _nested_positions(value, depth: int) -> bool:
    if depth == 1:
        return _position(value)
    return (
        isinstance(value, list) and bool(value) and all(_nested_positions(item, depth - 1) for item in value)
    )


def valid_geojson(geometry) -> bool:
    """True for a GeoJSON geometry OpenSearch's geo_shape takes: positions in range, rings closed."""
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_DEPTH:
        return False
    depth = GEOMETRY_DEPTH[geometry["type"]]
    coordinates = geometry.get("coordinates")
    if not _nested_positions(coordinates, depth):
        return False
    rings = [coordinates] if depth == 2 and geometry["type"] == "LineString" else []
    if geometry["type"] == "Polygon":
        rings = coordinates
    elif geometry["type"] == "MultiPolygon":
        rings = [ring for polygon in coordinates for ring in polygon]
    else:
        return True
    return all(len(ring) >= 4 and ring[0] == ring[-1] for ring in rings)


def _iso_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def mapping_problems(value, field: dict, where: str) -> list[str]:
    """Where ``value`` would not index into ``field`` of the mapping (empty when it would)."""
    if value is None:
        return []
    kind = field.get("type", "object")
    values = value if isinstance(value, list) and kind not in ("geo_shape", "geo_point") else [value]
    problems = []
    for item in values:
        if kind in STRING_TYPES:
            ok = isinstance(item, str)
        elif kind == "date":
            ok = isinstance(item, str) and _iso_date(item)
        elif kind == "boolean":
            ok = isinstance(item, bool)
        elif kind == "integer":
            ok = isinstance(item, int) and not isinstance(item, bool) and -(2**31) <= item < 2**31
        elif kind == "geo_point":
            ok = (
                isinstance(item, dict)
                and set(item) == {"lat", "lon"}
                and _position([item["lon"], item["lat"]])
            )
        elif kind == "geo_shape":
            # ignore_malformed: OpenSearch indexes the document and leaves a bad shape out
            ok = field.get("ignore_malformed", False) or valid_geojson(item)
        elif kind in ("nested", "object"):
            ok = isinstance(item, dict)
            if ok:
                for name, sub_field in field.get("properties", {}).items():
                    problems += mapping_problems(item.get(name), sub_field, f"{where}.{name}")
        else:
            ok = False
        if not ok:
            problems.append(f"{where}: {item!r} is no {kind}")
    return problems


@pytest.mark.postgres
def test_documents_fit_the_index_mapping(catalog_app):  # noqa: F811
    mapping = catalog_app.mapping()
    properties = mapping["properties"]
    documents = ours(catalog_app.database_url)
    problems = [
        problem
        for document in documents
        for name, field in properties.items()
        for problem in mapping_problems(document.get(name), field, f"{document['slug']}.{name}")
    ]
    assert problems == []
    # Fields outside the mapping are mapped by OpenSearch on first sight: only the record links are.
    unmapped = {name for document in documents for name in document} - set(properties) - {"_index", "_id"}
    assert unmapped == {"harvest_record", "harvest_record_raw", "harvest_record_transformed"}
    assert all(
        isinstance(document[name], str) for document in documents for name in unmapped if document.get(name)
    )
    # The examples' shapes: the point and the polygon are valid, the out-of-range one is left out.
    shapes = {d["slug"]: d["spatial_shape"] for d in documents if d["spatial_shape"] is not None}
    assert sorted(slug for slug, shape in shapes.items() if valid_geojson(shape)) == [
        "dcat-us-3-shapes",
        "plain-point-and-blanks",
    ]
    assert properties["spatial_shape"].get("ignore_malformed") is True


def test_the_geojson_check_refuses_what_opensearch_refuses():
    assert valid_geojson({"type": "Point", "coordinates": [1, 2]})
    assert not valid_geojson({"type": "Point", "coordinates": [200, 2]})
    assert not valid_geojson({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]})
    assert not valid_geojson({"type": "Circle", "coordinates": [1, 2]})
    assert mapping_problems("2026-13-01T00:00:00", {"type": "date"}, "x") == [
        "x: '2026-13-01T00:00:00' is no date"
    ]
    assert mapping_problems(True, {"type": "integer"}, "x") == ["x: True is no integer"]


def test_float_sum_is_the_sum_of_the_catalogs_python(catalog_python):  # noqa: F811
    import subprocess

    generator = random.Random(6211)
    lists = [
        [
            generator.uniform(-180, 180) * 10 ** generator.randint(-9, 9)
            for _ in range(generator.randint(0, 40))
        ]
        for _ in range(500)
    ]
    check = "import json, sys; print(json.dumps([sum(xs) for xs in json.load(sys.stdin)]))"
    answer = subprocess.run(
        [str(catalog_python), "-c", check],
        input=json.dumps(lists),
        capture_output=True,
        text=True,
        check=True,
    )
    assert [float_sum(xs) for xs in lists] == json.loads(answer.stdout)


# Values that take the documents' branches: blanks, the geospatial theme, non-ASCII, JSON's kinds.
STRINGS = [
    "",
    "  ",
    "plain",
    " padded ",
    "geospatial",
    " GeoSpatial ",
    "Données ✓",
    "line\nbreak",
    "2024-01-15",
]
FIELDS = [
    "title",
    "description",
    "publisher",
    "keyword",
    "theme",
    "identifier",
    "distribution",
    "spatial",
    "modified",
    "issued",
    "temporal",
    "isPartOf",
    "contactPoint",
    "references",
]
KEYS = ["name", "prefLabel", "@id", "title", "downloadURL", "fn", "coordinates", "type"]


def random_value(generator, depth: int = 0):
    """A random JSON value: scalars of every kind, and objects and lists up to three levels deep."""
    kinds = ["string", "number", "bool", "null"] + (["object", "list"] if depth < 3 else [])
    kind = generator.choice(kinds)
    if kind == "string":
        return generator.choice(STRINGS)
    if kind == "number":
        return generator.choice([0, 7, -1.5, 1e300, generator.uniform(-200, 200)])
    if kind == "bool":
        return generator.choice([True, False])
    if kind == "null":
        return None
    if kind == "object":
        keys = generator.sample(KEYS, generator.randint(0, 3))
        return {key: random_value(generator, depth + 1) for key in keys}
    return [random_value(generator, depth + 1) for _ in range(generator.randint(0, 3))]


def random_geometry(generator):
    """A GeoJSON-like geometry, valid or not: positions in and out of range, bools, text, no coordinates."""
    position = lambda: [generator.choice([generator.uniform(-200, 200), 0, True, "1"]) for _ in range(2)]  # noqa: E731
    shape = generator.choice(["point", "ring", "polygons", "text", "empty", "none"])
    if shape == "point":
        return {"type": "Point", "coordinates": position()}
    if shape == "ring":
        return {"type": "Polygon", "coordinates": [[position() for _ in range(generator.randint(1, 6))]]}
    if shape == "polygons":
        return {"type": "MultiPolygon", "coordinates": [[[position() for _ in range(4)]] for _ in range(3)]}
    if shape == "text":
        return json.dumps({"type": "Point", "coordinates": position()})
    return {"type": "GeometryCollection"} if shape == "empty" else None


def random_row(generator, number: int) -> dict:
    dcat = {
        field: random_value(generator)
        for field in generator.sample(FIELDS, generator.randint(0, len(FIELDS)))
    }
    organization = generator.choice(
        [None, {"id": "o1", "name": "Org", "slug": "org", "aliases": ["a"], "code_repo_exempt": False}]
    )
    record_id = generator.choice([None, f"record-{number}"])
    # A dataset has its record through harvest_record_id: no record without the id.
    record = generator.choice([None, {"source_transform": random_value(generator)}]) if record_id else None
    harvested = generator.choice([None, "2026-08-01T09:30:00", "2026-08-01T09:30:00.000123"])
    return {
        "dataset": {
            "id": f"id-{number}",
            "slug": f"slug-{number}",
            "dcat": dcat,
            "translated_spatial": random_geometry(generator),
            "popularity": generator.choice([None, 0, 42]),
            "last_harvested_date": harvested,
            "harvest_record_id": record_id,
        },
        "organization": organization,
        "harvest_record": record,
    }


def test_random_rows_make_the_catalogs_documents(catalog_python, capsys):  # noqa: F811
    """Differential: 1,000 random rows (odd shapes included) through our code and the catalog's own."""
    from tests.catalog_app import CatalogApp

    generator = random.Random(6211)
    rows = [random_row(generator, number) for number in range(1000)]
    catalog = CatalogApp(catalog_python, "postgresql://unused@127.0.0.1:9/unused")  # no query is made
    theirs = catalog.documents_of(rows)
    refused = [row for row, expected in zip(rows, theirs, strict=True) if "error" in expected]
    # The catalog fails on a distribution that is a number or true (it iterates it); we index no download.
    assert all(isinstance(row["dataset"]["dcat"].get("distribution"), (int, float)) for row in refused)
    assert len(refused) < len(rows) // 5
    with capsys.disabled():
        print(
            f"\n{len(rows) - len(refused)} random rows make the catalog's documents ({len(refused)} it cannot index)"
        )
    for row, expected in zip(rows, theirs, strict=True):
        if row in refused:
            continue
        dataset = dict(row["dataset"])
        if dataset["last_harvested_date"]:
            dataset["last_harvested_date"] = datetime.fromisoformat(dataset["last_harvested_date"])
        document = search_document(dataset, row["organization"], row["harvest_record"])
        assert json.loads(json.dumps(document)) == expected, row


def spark_document(row) -> dict:
    """A document from a Spark row whose JSON columns are text, as a job holds the harvester's jsonb."""
    values = row.asDict()
    organization = json.loads(values.pop("organization_json") or "null")
    record_json = values.pop("source_transform_json")
    record = {"source_transform": json.loads(record_json)} if values["harvest_record_id"] else None
    values["dcat"] = json.loads(values["dcat"])
    values["translated_spatial"] = json.loads(values["translated_spatial"] or "null")
    return search_document(values, organization, record)


@pytest.mark.postgres
def test_rows_built_in_spark_make_the_same_documents(spark, harvester_db):  # noqa: F811
    from pyspark.sql import types as T

    with psycopg.connect(harvester_db) as conn:
        rows = [
            (
                dataset["id"],
                dataset["slug"],
                json.dumps(dataset["dcat"]),
                None if dataset["translated_spatial"] is None else json.dumps(dataset["translated_spatial"]),
                dataset["popularity"],
                dataset["last_harvested_date"],
                dataset["harvest_record_id"],
                json.dumps(organization),
                json.dumps(record["source_transform"]) if record else None,
            )
            for dataset, organization, record in dataset_rows(conn)
        ]
    schema = T.StructType(
        [
            T.StructField("id", T.StringType()),
            T.StructField("slug", T.StringType()),
            T.StructField("dcat", T.StringType()),
            T.StructField("translated_spatial", T.StringType()),
            T.StructField("popularity", T.IntegerType()),
            T.StructField("last_harvested_date", T.TimestampType()),
            T.StructField("harvest_record_id", T.StringType()),
            T.StructField("organization_json", T.StringType()),
            T.StructField("source_transform_json", T.StringType()),
        ]
    )
    documents = spark.createDataFrame(rows, schema).rdd.map(spark_document).collect()
    assert json.loads(json.dumps(documents)) == ours(harvester_db)
