"""DCAT-US 3.0 catalogs split into records: classes, identifiers, parents, nested catalogs."""

import io
import json
import time

import pytest

from tests.conftest import REALDATA
from transforms.fetch.datajson import CatalogError, canonical_json, inspect_catalog
from transforms.fetch.dcatus3_catalog import catalog_records, conforms_to
from transforms.fetch.http import FetchPolicy
from transforms.fetch.source_pass import datajson_items
from transforms.registry import Source

FIXTURES = REALDATA / "datajson" / "datagov-harvester-dcatus3.0"
CONTACT = {"@type": "Kind", "fn": "A", "hasEmail": "mailto:a@agency.gov"}


def read(text: bytes):
    stream = io.BytesIO(text)
    return catalog_records(stream, inspect_catalog(stream, require_dataset=False))


def split(catalog: dict | str) -> list[dict]:
    text = catalog if isinstance(catalog, str) else json.dumps(catalog)
    records, _walk = read(text.encode())
    return list(records)


def keys(records: list[dict]) -> list[tuple]:
    return [(r["record_type"], r["identifier"], r["parent_identifier"]) for r in records]


def dataset(identifier, **more) -> dict:
    return {"@type": "Dataset", "title": f"T {identifier}", "identifier": identifier, **more}


def test_every_class_in_every_nested_catalog_is_one_record():
    catalog = {
        "dataset": [dataset("d1")],
        "service": [{"@type": "DataService", "identifier": {"@id": "s1"}, "title": "S"}],
        "catalog": [
            {
                "record": [{"@type": "CatalogRecord", "@id": "r1", "primaryTopic": "d1", "modified": "2024"}],
                "catalog": [{"datasetSeries": [{"@type": "DatasetSeries", "@id": "x1", "title": "X"}]}],
            }
        ],
    }
    assert keys(split(catalog)) == [
        ("Dataset", "d1", None),
        ("DataService", "s1", None),
        ("CatalogRecord", "r1", None),
        ("DatasetSeries", "x1", None),
    ]


def test_identifier_objects_without_an_id_and_missing_identifiers_are_rejected_with_the_reason():
    catalog = {
        "dataset": [
            dataset({"@type": "Identifier", "@id": " https://a.gov/d/3 "}),
            dataset({"@type": "Identifier", "notation": "X-1"}, title="Four"),
            dataset(42, title="Numbered"),
            "not a dataset",
        ],
        "service": [{"@type": "DataService", "title": "No Id"}],
    }
    records = split(catalog)
    assert [r["identifier"] for r in records] == ["https://a.gov/d/3", None, None, None, None]
    assert [r["error"] for r in records] == [
        None,
        'Dataset "Four" has an "identifier" object with no usable "@id"',
        'Dataset "Numbered" has an "identifier" that is neither a string nor an object with an "@id"',
        "dataset #4 is a string, not a JSON object",
        'DataService "No Id" has no "identifier"',
    ]
    # The record keeps the identifier object as the publisher wrote it.
    assert json.loads(records[0]["raw"])["identifier"] == {
        "@type": "Identifier",
        "@id": " https://a.gov/d/3 ",
    }


def test_served_datasets_and_series_members_carry_their_parent_and_are_not_repeated():
    member_2023, member_2024 = dataset("m2023"), dataset("m2024")
    catalog = {
        "datasetSeries": [
            {
                "@type": "DatasetSeries",
                "@id": "series",
                "title": "S",
                "seriesMember": [member_2023, member_2024, "https://a.gov/by-reference"],
                "first": member_2023,
                "last": member_2024,
            }
        ],
        "service": [{"@type": "DataService", "identifier": "svc", "servesDataset": [dataset("served")]}],
    }
    records = split(catalog)
    assert keys(records) == [
        ("DatasetSeries", "series", None),
        ("Dataset", "m2023", "series"),
        ("Dataset", "m2024", "series"),
        ("DataService", "svc", None),
        ("Dataset", "served", "svc"),
    ]
    # The parent keeps its embedded members; a member's text has no parent field (it is a column).
    assert len(json.loads(records[0]["raw"])["seriesMember"]) == 3
    assert records[1]["raw"] == canonical_json(member_2023)


def test_a_member_also_listed_at_the_top_level_is_one_record_the_top_level_copy_with_the_parent():
    top = dataset("m2023", description="top-level copy")
    catalog = {
        "dataset": [top],
        "datasetSeries": [
            {"@id": "series", "title": "S", "seriesMember": [dataset("m2023", description="embedded")]}
        ],
        "service": [{"identifier": "svc", "title": "Svc", "servesDataset": [dataset("m2023")]}],
    }
    records = split(catalog)
    assert keys(records) == [
        ("Dataset", "m2023", "svc"),  # a service's datasets are read first, as data.gov does
        ("DatasetSeries", "series", None),
        ("DataService", "svc", None),
    ]
    assert json.loads(records[0]["raw"])["description"] == "top-level copy"


def test_a_catalog_record_without_an_id_is_named_from_its_topic_and_date():
    catalog = {
        "record": [{"@type": "CatalogRecord", "modified": "2024-06-15", "primaryTopic": "https://x/1"}]
    }
    (record,) = split(catalog)
    assert record["identifier"].startswith("urn:datagov:catalogrecord:") and record["error"] is None
    assert split(catalog)[0]["identifier"] == record["identifier"]  # stable


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"conformsTo": {"title": "DCAT-US 3.0"}}', 'catalog has no "dataset", "service", "record"'),
        ('{"catalog": [{"title": "empty"}]}', 'catalog has no "dataset", "service", "record"'),
    ],
)
def test_a_catalog_without_any_record_array_is_not_a_catalog(body, reason):
    with pytest.raises(CatalogError, match=reason):
        split(body)


def test_an_empty_dataset_array_is_an_empty_catalog():
    assert split('{"dataset": []}') == []


def test_conforms_to_is_read_from_the_standard_object():
    _records, walk = read(b'{"conformsTo": {"@type": "Standard", "title": "DCAT-US 3.0"}, "dataset": []}')
    assert conforms_to(walk) == "DCAT-US 3.0"


def test_a_3_0_source_on_disk_yields_typed_records_and_its_status(realdata):
    url = (FIXTURES / "dcatus3_0_series_with_members.json").as_uri()
    source = Source("s", "S", "Org", url, "datajson", "dcatus3.0", allow_private_network=True)
    items = list(datajson_items(source, FetchPolicy(allow_private_network=True), time.time() + 60))
    assert [(i.get("record_type"), i.get("parent_identifier")) for i in items[:-1]] == [
        ("DatasetSeries", None),
        ("Dataset", "https://example.gov/series/annual-report"),
        ("Dataset", "https://example.gov/series/annual-report"),
    ]
    assert [i["position"] for i in items[:-1]] == [0, 1, 2]
    assert items[-1]["status"] == "complete" and items[-1]["conforms_to"] == "DCAT-US 3.0"


def test_a_1_1_source_still_needs_a_dataset_array(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('{"service": []}')
    source = Source(
        "s", "S", "Org", path.as_uri(), "datajson", "dcatus1.1-federal", allow_private_network=True
    )
    (status,) = list(datajson_items(source, FetchPolicy(allow_private_network=True), time.time() + 60))
    assert status["status"] == "failed" and status["reason"] == 'catalog has no "dataset" array'


def test_a_lone_surrogate_is_repaired_and_an_entry_nested_too_deep_is_rejected_alone():
    deep = "[" * 40 + "]" * 40
    text = (
        '{"dataset": [{"identifier": "d1", "title": "It\\udc92s"}, {"identifier": "d2", "x": '
        + deep
        + '}], "service": [{"identifier": "s1", "title": "S"}]}'
    )
    records = list(read(text.encode())[0])
    assert [(r["identifier"], r["error"]) for r in records] == [
        ("d1", None),
        ("d2", "dataset #2 is nested deeper than 32 levels"),
        ("s1", None),
    ]
    assert json.loads(records[0]["raw"])["title"] == "It\u2019s"
    assert records[0]["warnings"][0].startswith("extract: title had 1 invalid")


def test_integers_beyond_64_bits_are_kept():
    records = list(read(b'{"dataset": [{"identifier": "big", "size": 123456789012345678901234567890}]}')[0])
    assert json.loads(records[0]["raw"])["size"] == 123456789012345678901234567890
