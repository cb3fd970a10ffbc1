"""The transform stage function on Spark: CHANGES rows in, TRANSFORMED rows out."""

import json

from tests.rows import row
from transforms.crosswalk.transform import transform_changes
from transforms.registry import Source
from transforms.schemas import CHANGES, TRANSFORMED

ISO = (
    '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco">'
    "<gmd:fileIdentifier><gco:CharacterString>iso-1</gco:CharacterString></gmd:fileIdentifier>"
    "<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation>"
    "<gmd:title><gco:CharacterString>Roads</gco:CharacterString></gmd:title>"
    "<gmd:date><gmd:CI_Date><gmd:date><gco:Date>2021-03-04</gco:Date></gmd:date><gmd:dateType>"
    '<gmd:CI_DateTypeCode codeListValue="revision"/></gmd:dateType></gmd:CI_Date></gmd:date>'
    "</gmd:CI_Citation></gmd:citation><gmd:abstract><gco:CharacterString>Road lines.</gco:CharacterString>"
    "</gmd:abstract></gmd:MD_DataIdentification></gmd:identificationInfo>"
    "<gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions><gmd:MD_DigitalTransferOptions>"
    "<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>https://x.gov/roads.zip</gmd:URL></gmd:linkage>"
    "</gmd:CI_OnlineResource></gmd:onLine></gmd:MD_DigitalTransferOptions></gmd:transferOptions>"
    "</gmd:MD_Distribution></gmd:distributionInfo></gmd:MD_Metadata>"
)
SOURCES = [
    Source("waf-a", "WAF A", "Agency A", "https://a.gov/waf/", "waf", "iso19115"),
    Source(
        "json-b",
        "B",
        "Agency B",
        "https://b.gov/data.json",
        "datajson",
        "dcatus1.1-non-federal",
        fixups={"url_scheme": False},
    ),
    Source(
        "waf-c",
        "WAF C",
        "Agency C",
        "https://c.gov/waf/",
        "waf",
        "iso19115",
        fixups={"default_contact": False},
    ),
]


def _row(source, identifier, action, raw_format=None, raw=None, reasons=None, parent=None, **more):
    return row(
        CHANGES,
        source_id=source,
        identifier=identifier,
        record_url=identifier,
        parent_identifier=parent,
        action=action,
        raw_format=raw_format,
        raw=raw,
        content_hash="h",
        reasons=reasons,
        **more,
    )


def _changes(spark, rows):
    return spark.createDataFrame(rows, CHANGES)


def test_create_update_rows_are_transformed_and_others_pass_through(spark):
    rows = [
        _row("waf-a", "https://a.gov/waf/roads.xml", "create", "xml", ISO, parent="https://a.gov/parent.xml"),
        _row("json-b", "b-1", "update", "json", json.dumps({"title": " B  one ", "landingPage": "b.gov/1"})),
        _row("waf-a", "https://a.gov/waf/same.xml", "unchanged", "xml", "<x/>"),
        _row("waf-a", "https://a.gov/waf/gone.xml", "delete"),
        _row("waf-a", "https://a.gov/waf/bad.xml", "reject", "xml", None, ["extract: HTTP 404"]),
    ]
    out = transform_changes(_changes(spark, rows), SOURCES)
    assert out.schema == TRANSFORMED
    got = {r["identifier"]: r for r in out.collect()}
    assert len(got) == 5
    roads = got["https://a.gov/waf/roads.xml"]
    dataset = json.loads(roads["dcat_json"])
    assert (roads["action"], roads["source_format"], roads["file_identifier"]) == (
        "create",
        "iso19139",
        "iso-1",
    )
    assert dataset["identifier"] == "iso-1" and dataset["isPartOf"] == "https://a.gov/parent.xml"
    assert dataset["publisher"]["name"] == "Agency A"
    assert (roads["title"], roads["access_level"], roads["modified"]) == ("Roads", "public", "2021-03-04")
    assert roads["has_email"] == "mailto:datagovhelp@gsa.gov"
    assert roads["distribution_urls"] == ["https://x.gov/roads.zip"]
    assert (roads["landing_page"], roads["download_urls"]) == (None, ["https://x.gov/roads.zip"])
    assert "fixup: contactPoint missing; filled with default" in roads["warnings"]
    b_one = got["b-1"]
    assert (b_one["source_format"], b_one["title"]) == ("dcatus", "B one")
    assert json.loads(b_one["dcat_json"])["landingPage"] == "b.gov/1"  # url_scheme switched off for json-b
    assert (b_one["landing_page"], b_one["download_urls"]) == ("b.gov/1", [])
    assert b_one["warnings"] == []
    for identifier in (
        "https://a.gov/waf/same.xml",
        "https://a.gov/waf/gone.xml",
        "https://a.gov/waf/bad.xml",
    ):
        row = got[identifier]
        assert row["dcat_json"] is None and row["source_format"] is None and row["warnings"] == []
    assert got["https://a.gov/waf/bad.xml"]["reasons"] == ["extract: HTTP 404"]


def test_failed_transforms_become_rejects_with_readable_reasons(spark):
    rows = [
        _row("waf-c", "https://c.gov/waf/broken.xml", "create", "xml", "<a>\n<b>\n</a>", ["earlier"]),
        _row("waf-c", "https://c.gov/waf/csw.xml", "update", "xml", '<foo xmlns="urn:x"/>'),
        _row("waf-c", "https://c.gov/waf/untitled.xml", "create", "xml", "<metadata><idinfo/></metadata>"),
    ]
    out = transform_changes(_changes(spark, rows), SOURCES).select(
        "identifier", "action", "reasons", "dcat_json"
    )
    expected = spark.createDataFrame(
        [
            (
                "https://c.gov/waf/broken.xml",
                "reject",
                [
                    "earlier",
                    "transform: XML is not well formed: Opening and ending tag mismatch: b line 2 and a (line 3)",
                ],
                None,
            ),
            (
                "https://c.gov/waf/csw.xml",
                "reject",
                [
                    "transform: unknown root element {urn:x}foo; expected ISO 19115-2, "
                    "ISO 19139, ISO 19115-3 or FGDC"
                ],
                None,
            ),
            ("https://c.gov/waf/untitled.xml", "reject", ["transform: record has no title"], None),
        ],
        out.schema,
    )
    # Compared row by row, in any order (pyspark.testing imports pandas-on-Spark, which NumPy 2 breaks).
    assert sorted(out.collect(), key=repr) == sorted(expected.collect(), key=repr)


def test_source_without_registry_entry_uses_default_fixups(spark):
    rows = [_row("unknown-src", "https://z.gov/r.xml", "create", "xml", ISO)]
    row = transform_changes(_changes(spark, rows), SOURCES).collect()[0]
    assert row["action"] == "create" and row["access_level"] == "public"


def test_dcat_us_3_records_keep_their_class_and_are_published_as_data_gov_does(spark):
    source = Source("v3", "V3", "Agency", "https://v3.gov/data.json", "datajson", "dcatus3.0")
    contact = [{"@type": "Kind", "fn": "Svc", "hasEmail": "mailto:svc@v3.gov"}]
    member = {"@type": "Dataset", "title": "2024", "identifier": "m-2024", "description": "d"}
    series = {"@type": "DatasetSeries", "@id": "series-1", "title": "Series", "seriesMember": [member]}
    topic = {"@type": "CatalogRecord", "primaryTopic": "m-2024", "modified": "2024-06-15"}
    service = {"@type": "DataService", "identifier": "svc", "title": "Svc", "contactPoint": contact}
    v3 = {"dcat_version": "3.0"}
    rows = [
        _row("v3", "series-1", "create", "json", json.dumps(series), record_type="DatasetSeries", **v3),
        _row(
            "v3",
            "m-2024",
            "create",
            "json",
            json.dumps(member),
            parent="series-1",
            record_type="Dataset",
            **v3,
        ),
        _row(
            "v3",
            "urn:datagov:catalogrecord:ab",
            "create",
            "json",
            json.dumps(topic),
            record_type="CatalogRecord",
            **v3,
        ),
        _row("v3", "svc", "create", "json", json.dumps(service), record_type="DataService", **v3),
    ]
    got = {r["identifier"]: r for r in transform_changes(_changes(spark, rows), [source]).collect()}
    assert {key: (r["action"], r["record_type"], r["dcat_version"]) for key, r in got.items()} == {
        "series-1": ("create", "DatasetSeries", "3.0"),
        "m-2024": ("create", "Dataset", "3.0"),
        "urn:datagov:catalogrecord:ab": ("create", "CatalogRecord", "3.0"),  # no title needed
        "svc": ("create", "DataService", "3.0"),
    }
    published = {key: json.loads(r["dcat_json"]) for key, r in got.items()}
    assert published["series-1"]["identifier"] == "series-1" and "isPartOf" not in published["series-1"]
    assert published["m-2024"]["isPartOf"] == "series-1"
    assert published["urn:datagov:catalogrecord:ab"]["@id"] == "urn:datagov:catalogrecord:ab"
    assert got["urn:datagov:catalogrecord:ab"]["warnings"] == []
    assert got["svc"]["has_email"] == "mailto:svc@v3.gov"  # a 3.0 service lists its contacts


def test_records_published_as_3_0_are_upgraded_and_a_parent_named_by_is_part_of_becomes_a_series(spark):
    source = Source("up", "Up", "Agency", "https://up.gov/data.json", "datajson", "dcatus1.1-federal")
    contact = {"fn": "A", "hasEmail": "mailto:a@up.gov"}
    parent = {"identifier": "p-1", "title": "Parent", "description": "d", "contactPoint": contact}
    child = {**parent, "identifier": "c-1", "title": "Child", "isPartOf": "p-1", "temporal": "2000/2001"}
    rows = [
        _row("up", "p-1", "update", "json", json.dumps(parent), record_type="Dataset", dcat_version="3.0"),
        # an unchanged child still names its parent: the parent is a series either way
        _row("up", "c-1", "unchanged", "json", json.dumps(child), record_type="Dataset", dcat_version="3.0"),
        _row("up", "c-2", "create", "json", json.dumps({**child, "identifier": "c-2"}), dcat_version="3.0"),
    ]
    # the run publishes as 3.0 (extract wrote dcat_version 3.0 on its rows for that reason)
    out = transform_changes(_changes(spark, rows), [source], publish_as="dcatus3.0")
    got = {r["identifier"]: r for r in out.collect()}
    assert (got["p-1"]["record_type"], got["c-2"]["record_type"]) == ("DatasetSeries", "Dataset")
    assert json.loads(got["p-1"]["dcat_json"])["@type"] == "DatasetSeries"
    assert json.loads(got["c-2"]["dcat_json"])["temporal"] == [
        {"@type": "PeriodOfTime", "startDate": "2000", "endDate": "2001"}
    ]
    assert "upgrade: became a DatasetSeries" in " ".join(got["p-1"]["warnings"])
    assert got["c-1"]["dcat_json"] is None  # unchanged rows are not transformed
