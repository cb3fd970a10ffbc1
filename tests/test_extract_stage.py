"""The extract stage end to end against the local HTTP server: every source type, every way to fail."""

from pathlib import Path

import pytest

from devtools.local_http import serve_folder
from tests.conftest import REALDATA
from transforms.fetch.extract import extract_sources
from transforms.fetch.http import FetchPolicy
from transforms.registry import Source
from transforms.schemas import EXTRACT_RECORDS, SOURCE_STATUS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"
REAL_WAF = REALDATA / "waf" / "datagov-harvester" / "iso_2_waf"
POLICY = FetchPolicy(retries=0, read_timeout_s=1, connect_timeout_s=1, threads_per_task=4)


def source(source_id: str, url: str, kind: str = "waf", allow: bool = True, **extra) -> Source:
    schema = "dcatus1.1-federal" if kind == "datajson" else "iso19115"
    return Source(
        source_id, source_id, "Test Agency", url, kind, schema, allow_private_network=allow, **extra
    )


def listing(*names: str) -> dict:
    return {
        "body": "<html><body><pre>"
        + "".join(f'<a href="{n}">{n}</a>\n' for n in names)
        + "</pre></body></html>"
    }


ROUTES = {
    "/broken/data.json": {
        "body": "<html><head><title>Error</title></head><body>Service unavailable</body></html>"
    },
    "/truncated/data.json": {"body": '{"dataset": [{"identifier": "a"}, {"identifier": "b", "ti'},
    "/gone/data.json": {"status": 500, "body": "internal error"},
    "/slow/record.xml": {"delay": 3, "body": "<metadata/>"},
    "/partial/": listing("good.xml", "missing.xml", "flaky.xml"),
    "/partial/good.xml": {"body": (FIXTURES / "waf" / "coastal" / "tides.xml").read_bytes()},
    "/partial/flaky.xml": {"status": 503},
    "/many/": listing("kept.xml", *[f"lost-{n:02d}.xml" for n in range(60)]),
    "/many/kept.xml": {"body": "<metadata/>"},
}


@pytest.fixture(scope="module")
def first_run(spark):
    """One extract over every kind of source (one Spark job keeps the module fast), then a conditional re-run."""
    with serve_folder(FIXTURES, routes=ROUTES) as base:
        sources = [
            source("catalog", base + "docs/data.json", "datajson"),
            source("html", base + "broken/data.json", "datajson"),
            source("truncated", base + "truncated/data.json", "datajson"),
            source("gone", base + "gone/data.json", "datajson"),
            source("waf", base + "waf/"),
            source("partial", base + "partial/"),
            source("many", base + "many/"),
            source(
                "collection",
                base + "waf/coastal/",
                "waf-collection",
                collection_url=base + "docs/collection.xml",
            ),
            source("document", base + "waf/coastal/tides.xml", "iso-document"),
            source("slow", base + "slow/record.xml", "iso-document"),
            source("private", base + "waf/", allow=False),
        ]
        records, statuses = extract_sources(spark, sources, None, POLICY)
        found = (
            {row.source_id: row for row in statuses.collect()},
            records.collect(),
            records.schema,
            statuses.schema,
        )
        validators = records.select("source_id", "record_url", "etag", "last_modified").filter(
            "record_url is not null"
        )
        again, _ = extract_sources(
            spark, [s for s in sources if s.id in ("waf", "document")], validators, POLICY
        )
        yield base, *found, again.collect()


def rows_of(records, source_id):
    return sorted((row for row in records if row.source_id == source_id), key=lambda row: row.position)


def test_outputs_follow_the_stage_schemas(first_run):
    _base, _statuses, _records, record_schema, status_schema, _again = first_run
    assert record_schema == EXTRACT_RECORDS
    assert status_schema == SOURCE_STATUS


def test_datajson_datasets_become_canonical_records(first_run):
    _base, statuses, records, *_ = first_run
    rows = rows_of(records, "catalog")
    assert [(r.identifier, r.position, r.raw_format, r.fetch_status) for r in rows] == [
        ("fixture-001", 0, "json", "fetched"),
        (None, 1, "json", "fetched"),
        (None, 2, "json", "fetched"),
        ("fixture-004", 3, "json", "fetched"),
    ]
    assert (
        rows[0].raw == '{"identifier":" fixture-001 ","keyword":["food","safety"],"title":"Café Inspections"}'
    )
    assert (rows[2].raw, rows[2].error) == (None, "dataset #3 is a string, not a JSON object")
    catalog = statuses["catalog"]
    assert (catalog.status, catalog.extracted, catalog.errors) == ("complete", 4, 0)
    assert catalog.conforms_to == "https://project-open-data.cio.gov/v1.1/schema"
    assert catalog.described_by == "https://project-open-data.cio.gov/v1.1/schema/catalog.json"


def test_sources_that_cannot_be_read_fail_with_a_reason_and_no_records(first_run):
    base, statuses, records, *_ = first_run
    expected = {
        "html": "response is an HTML page, not JSON",
        "truncated": f"JSON ends early at byte {len(ROUTES['/truncated/data.json']['body'])}: the catalog is truncated",
        "gone": f"HTTP 500 from {base}gone/data.json",
        "slow": f"timed out after 1 s waiting for {base}slow/record.xml",
        "private": "the WAF listing could not be read: address 127.0.0.1 is loopback; "
        "set allow_private_network: true to harvest it",
    }
    for source_id, reason in expected.items():
        status = statuses[source_id]
        assert (status.status, status.reason, status.extracted) == ("failed", reason, 0), source_id
        assert rows_of(records, source_id) == []


def test_waf_files_are_decoded_in_their_own_encoding(first_run):
    base, statuses, records, *_ = first_run
    rows = {r.record_url.removeprefix(base + "waf/"): r for r in rows_of(records, "waf")}
    assert sorted(rows) == [
        "bom.xml",
        "coastal/deep/reefs.xml",
        "coastal/tides.xml",
        "inland/bad-bytes.xml",
        "inland/rivers.xml",
    ]
    assert all(
        r.identifier == r.record_url and r.raw_format == "xml" and r.fetch_status == "fetched"
        for r in rows.values()
    )
    # The transform stage reads a file's fileIdentifier while parsing it; extract does not parse twice.
    assert {r.file_identifier for r in rows.values()} == {None}
    assert "Rivers of the Café Basin" in rows["inland/rivers.xml"].raw
    assert "fixture-bom" in rows["bom.xml"].raw and not rows["bom.xml"].raw.startswith("\ufeff")
    offset = (FIXTURES / "waf" / "inland" / "bad-bytes.xml").read_bytes().index(b"\x92")
    assert rows["inland/bad-bytes.xml"].raw is None
    assert (
        rows["inland/bad-bytes.xml"].error
        == f"file is not valid UTF-8 (from the XML declaration): byte 0x92 at offset {offset}"
    )
    assert all(r.etag and r.last_modified for r in rows.values())
    assert (statuses["waf"].status, statuses["waf"].extracted, statuses["waf"].errors) == ("complete", 5, 0)


def test_a_partly_fetched_waf_keeps_what_came_back_and_lists_what_did_not(first_run):
    base, statuses, records, *_ = first_run
    rows = rows_of(records, "partial")
    assert [(r.record_url.removeprefix(base), r.fetch_status) for r in rows] == [
        ("partial/good.xml", "fetched"),
        ("partial/missing.xml", "error"),
        ("partial/flaky.xml", "error"),
    ]
    status = statuses["partial"]
    assert (status.status, status.extracted, status.errors) == ("complete", 1, 2)
    assert status.error_messages == [
        f"HTTP 404 from {base}partial/missing.xml",
        f"HTTP 503 from {base}partial/flaky.xml",
    ]


def test_error_lists_are_capped(first_run):
    base, statuses, *_ = first_run
    status = statuses["many"]
    assert (status.status, status.extracted, status.errors) == ("complete", 1, 60)
    assert len(status.error_messages) == 51
    assert status.error_messages[0] == f"HTTP 404 from {base}many/lost-00.xml"
    assert status.error_messages[-1] == "... and 10 more"


def test_collection_children_point_to_the_parent_record(first_run):
    base, statuses, records, *_ = first_run
    rows = rows_of(records, "collection")
    assert [(r.record_url.removeprefix(base), r.file_identifier, r.parent_identifier) for r in rows] == [
        ("docs/collection.xml", "fixture-collection", None),
        ("waf/coastal/tides.xml", None, "fixture-collection"),
        ("waf/coastal/deep/reefs.xml", None, "fixture-collection"),
    ]
    assert statuses["collection"].extracted == 3


def test_a_single_document_is_one_record(first_run):
    base, statuses, records, *_ = first_run
    [row] = rows_of(records, "document")
    assert (row.identifier, row.fetch_status) == (base + "waf/coastal/tides.xml", "fetched")
    assert statuses["document"].status == "complete"


def test_unchanged_files_are_not_downloaded_again(first_run):
    _base, _statuses, records, *_rest, again = first_run
    before = {(r.source_id, r.record_url): r for r in records if r.source_id in ("waf", "document")}
    assert len(again) == len(before) == 6
    for row in again:
        earlier = before[(row.source_id, row.record_url)]
        assert (row.fetch_status, row.raw, row.error) == ("not_modified", None, None)
        assert (row.identifier, row.etag, row.last_modified) == (
            earlier.identifier,
            earlier.etag,
            earlier.last_modified,
        )


def test_a_real_waf_with_a_file_that_is_not_utf8(spark):
    if not REAL_WAF.is_dir():
        pytest.skip("../shared/realdata is absent: the real iso_2_waf folder lives there")
    with serve_folder(REAL_WAF) as base:
        records, statuses = extract_sources(spark, [source("real", base)], None, POLICY)
        rows = {r.record_url.removeprefix(base): r for r in records.collect()}
    assert (statuses.first().status, len(rows)) == ("complete", 6)
    assert rows["decode_error.xml"].error.startswith(
        "file is not valid UTF-8 (from the XML declaration): byte 0x92"
    )
    assert all(r.raw for name, r in rows.items() if name != "decode_error.xml")
