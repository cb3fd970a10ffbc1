"""DCAT-US 3.0 catalogs written as JSON-LD with an ``@graph`` (DOI's documentation examples' form) are
read like the plain form: the same records, with the same text."""

import io
import json
import time
from pathlib import Path

import pytest

from devtools.local_http import serve_folder
from transforms.fetch.datajson import CatalogError, inspect_catalog
from transforms.fetch.dcatus3_catalog import catalog_records, conforms_to
from transforms.fetch.dcatus3_walk import plain_form
from transforms.fetch.http import FetchPolicy
from transforms.fetch.source_pass import datajson_items
from transforms.registry import DCATUS3, Source

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dcatus3"


def records_of(text: bytes) -> tuple[list[dict], str | None]:
    stream = io.BytesIO(text)
    records, walk = catalog_records(stream, inspect_catalog(stream, require_dataset=False))
    rows = [{key: value for key, value in row.items() if key != "position"} for row in records]
    return rows, conforms_to(walk)


def test_a_graph_catalog_gives_the_records_of_its_plain_form():
    plain, plain_standard = records_of((FIXTURES / "catalog_plain.json").read_bytes())
    graph, graph_standard = records_of((FIXTURES / "catalog_graph.jsonld").read_bytes())
    assert [(r["record_type"], r["identifier"], r["parent_identifier"]) for r in graph] == [
        ("Dataset", "streamflow-daily", None),
        ("Dataset", "groundwater-wells", None),
        ("DataService", "water-services-api", None),
        ("DatasetSeries", "https://data.example.gov/series/census-of-lakes", None),
        ("Dataset", "lakes-2020", "https://data.example.gov/series/census-of-lakes"),
    ]
    assert graph == plain
    assert all(row["error"] is None and row["raw"] for row in graph)
    assert graph_standard == plain_standard == "https://resources.data.gov/dcat-us/3.0.0"


def test_nodes_that_are_no_records_and_iri_references_are_not_records():
    catalog = {
        "@graph": [
            {"@type": "dcat:Catalog", "dataset": ["https://x.gov/d/1"]},
            {"@id": "_:p", "@type": "dcterms:PeriodOfTime", "startDate": "2020-01-01"},
            {
                "@id": "https://x.gov/d/1",
                "@type": ["dcat:Dataset"],
                "dcterms:identifier": "d1",
                "dcterms:title": "T",
            },
        ]
    }
    rows, _ = records_of(json.dumps(catalog).encode())
    assert [(r["record_type"], r["identifier"]) for r in rows] == [("Dataset", "d1")]
    assert json.loads(rows[0]["raw"]) == {
        "@id": "https://x.gov/d/1",
        "@type": ["Dataset"],
        "identifier": "d1",
        "title": "T",
    }


def test_a_graph_catalog_embedding_its_records_in_a_catalog_node_is_read_like_a_plain_catalog():
    catalog = {
        "@graph": [
            {
                "@type": "dcat:Catalog",
                "dcat:dataset": [{"@type": "dcat:Dataset", "dcterms:identifier": "d1", "dcterms:title": "T"}],
                "dcat:catalog": [
                    {
                        "@type": "dcat:Catalog",
                        "dcat:service": [{"@type": "dcat:DataService", "identifier": "s1"}],
                    }
                ],
            }
        ]
    }
    rows, _ = records_of(json.dumps(catalog).encode())
    assert [(r["record_type"], r["identifier"]) for r in rows] == [("Dataset", "d1"), ("DataService", "s1")]


def test_plain_form_strips_known_vocabularies_only_and_a_plain_key_wins():
    node = {
        "@type": "http://www.w3.org/ns/dcat#Dataset",
        "title": "Plain",
        "dcterms:title": "Prefixed",
        "rdfs:label": "kept",
        "dcterms:issued": {"@value": "2021", "@type": "xsd:gYear"},
        "dcat:distribution": [{"@type": "dcat:Distribution", "dcat:accessURL": "https://x.gov"}],
    }
    assert plain_form(node) == {
        "@type": "Dataset",
        "title": "Plain",
        "rdfs:label": "kept",
        "issued": "2021",
        "distribution": [{"@type": "Distribution", "accessURL": "https://x.gov"}],
    }


def test_a_graph_with_no_record_is_reported_as_a_catalog_without_records():
    catalog = {"@graph": [{"@id": "_:p", "@type": "dcterms:PeriodOfTime"}]}
    stream = io.BytesIO(json.dumps(catalog).encode())
    with pytest.raises(CatalogError, match="catalog has no"):
        catalog_records(stream, inspect_catalog(stream, require_dataset=False))


def test_a_3_0_source_served_in_graph_form_extracts_the_records_of_its_plain_form():
    """Both forms fetched over real HTTP by the extract's source pass: same records, same catalog standard."""

    def extracted(base_url: str, name: str) -> tuple[list[tuple], dict]:
        source = Source("s", "S", "Agency", base_url + name, "datajson", DCATUS3, allow_private_network=True)
        items = list(datajson_items(source, FetchPolicy(allow_private_network=True), time.time() + 60))
        records = [
            (i["record_type"], i["identifier"], i["parent_identifier"], i["raw"], i["error"])
            for i in items
            if i["kind"] == "record"
        ]
        [status] = [i for i in items if i["kind"] != "record"]
        return records, status

    with serve_folder(FIXTURES) as base_url:
        plain, plain_status = extracted(base_url, "catalog_plain.json")
        graph, graph_status = extracted(base_url, "catalog_graph.jsonld")
    assert len(graph) == 5 and graph == plain
    assert (
        graph_status["conforms_to"]
        == plain_status["conforms_to"]
        == "https://resources.data.gov/dcat-us/3.0.0"
    )
