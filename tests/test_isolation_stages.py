"""Fault isolation on Spark, case by case (issue 13): each of these once failed a whole job or source,
or deleted what a partial crawl could not see. Now each bad record is its own reject, each bad
source its own failure, and the rest of the run goes on."""

import json
import re
from dataclasses import replace

import pytest

from devtools.local_http import serve_folder
from tests.conftest import REALDATA
from tests.rows import row, valid_dataset
from transforms.crosswalk.transform import transform_changes
from transforms.fetch.extract import extract_sources
from transforms.fetch.http import FetchPolicy
from transforms.gate.validate import check_schemas
from transforms.registry import Source
from transforms.schemas import CHANGES, EXTRACT_RECORDS, TRANSFORMED

POLICY = FetchPolicy(retries=0, read_timeout_s=2, connect_timeout_s=1, threads_per_task=4)
FGDC = "<metadata><idinfo><citation><citeinfo><title>{}</title></citeinfo></citation></idinfo></metadata>"
VALID = valid_dataset(identifier="w-1")


def source(source_id: str, url: str, kind: str = "waf", **extra) -> Source:
    schema = "dcatus1.1-non-federal" if kind == "datajson" else "iso19115"
    return Source(source_id, source_id, "Agency", url, kind, schema, allow_private_network=True, **extra)


def listing(*names: str, charset: str | None = None) -> dict:
    body = "<html><body><pre>" + "".join(f'<a href="{n}">{n}</a>\n' for n in names) + "</pre></body></html>"
    return {"headers": {"Content-Type": f"text/html; charset={charset or 'utf-8'}"}, "body": body}


def catalog(*datasets: str) -> dict:
    return {"body": '{"dataset": [' + ", ".join(datasets) + "]}"}


def deep_chain(levels: int) -> str:
    """A publisher.subOrganizationOf chain, written by hand (the json module cannot write what it cannot read)."""
    return '{"name": "o", "subOrganizationOf": ' * levels + '{"name": "top"}' + "}" * levels


UTF7_SURROGATE = "+2AA-"  # UTF-7 for a lone surrogate (U+D800), which no Arrow column can hold
ROUTES = {
    "/xml/": listing("declared.xml", "charset.xml", "good.xml"),
    "/xml/declared.xml": {"body": '<?xml version="1.0" encoding="utf-7"?>' + FGDC.format(UTF7_SURROGATE)},
    "/xml/charset.xml": {
        "headers": {"Content-Type": "application/xml; charset=utf-7"},
        "body": FGDC.format(UTF7_SURROGATE),
    },
    "/xml/good.xml": {"body": FGDC.format("Good")},
    "/utf7-listing/": listing("a.xml", f"b{UTF7_SURROGATE}.xml", charset="utf-7"),
    "/partial/": listing("a.xml", "broken/"),
    "/partial/a.xml": {"body": FGDC.format("A")},
    "/partial/broken/": {"status": 500},
    "/surrogate/data.json": catalog('{"identifier": "s", "description": "the agency\\udc92s data"}'),
    "/bigint/data.json": catalog('{"identifier": "n", "size": 123456789012345678901234567890}'),
    "/deep/data.json": catalog(
        '{"identifier": "ok"}', f'{{"identifier": "deep", "publisher": {deep_chain(40)}}}'
    ),
    "/slow-files/": listing(*[f"f{n}.xml" for n in range(4)]),
    **{f"/slow-files/f{n}.xml": {"delay": 1.0, "body": FGDC.format(n)} for n in range(4)},
    "/slow-listing/": {"delay": 2, **listing("a.xml")},
}


@pytest.fixture(scope="module")
def hostile(spark, tmp_path_factory):
    """One extract over every hostile source and a good one beside them; on main it failed as a whole."""
    with serve_folder(tmp_path_factory.mktemp("www"), routes=ROUTES) as base:
        sources = [
            source("xml", base + "xml/"),
            source("utf7-listing", base + "utf7-listing/"),
            source("partial", base + "partial/"),
            source("surrogate", base + "surrogate/data.json", "datajson"),
            source("bigint", base + "bigint/data.json", "datajson"),
            source("deep", base + "deep/data.json", "datajson"),
            source("slow-files", base + "slow-files/", time_budget_s=2.0),
            source("slow-listing", base + "slow-listing/", time_budget_s=0.5),
        ]
        records, statuses = extract_sources(spark, sources, None, replace(POLICY, threads_per_task=1))
        yield base, {s.source_id: s for s in statuses.collect()}, records.collect()


def records_of(records, source_id: str) -> dict:
    return {(r.identifier or "").rsplit("/", 1)[-1]: r for r in records if r.source_id == source_id}


def test_a_utf7_declaration_or_charset_rejects_that_file_only(hostile):
    _base, statuses, records = hostile
    files = records_of(records, "xml")
    assert files["good.xml"].raw == FGDC.format("Good")
    accepted = "use UTF-8, UTF-16, UTF-32, ISO-8859-1, Windows-1252 or ASCII"
    assert (
        files["declared.xml"].error
        == f"character encoding 'utf-7' (from the XML declaration) is not accepted; {accepted}"
    )
    assert (
        files["charset.xml"].error
        == f"character encoding 'utf-7' (from the HTTP Content-Type) is not accepted; {accepted}"
    )
    assert (statuses["xml"].status, statuses["xml"].extracted) == ("complete", 3)


def test_a_listing_served_as_utf7_fails_its_source_with_the_reason(hostile):
    _base, statuses, _records = hostile
    assert (statuses["utf7-listing"].status, statuses["utf7-listing"].reason) == (
        "failed",
        "the WAF listing could not be read: its charset 'utf-7' is not "
        "UTF-8, UTF-16, UTF-32, ISO-8859-1, Windows-1252 or ASCII",
    )


def test_a_subfolder_that_cannot_be_listed_makes_the_source_partial(hostile):
    base, statuses, records = hostile
    status = statuses["partial"]
    problem = f"folder listing {base}partial/broken/ could not be read: HTTP 500 from {base}partial/broken/"
    assert (status.status, status.extracted, status.error_messages) == ("partial", 1, [problem])
    assert (
        status.reason
        == f"1 folder listing(s) could not be read in full, so nothing is deleted this run (first: {problem})"
    )
    assert list(records_of(records, "partial")) == ["a.xml"]


def test_a_lone_surrogate_escape_is_repaired_with_a_warning_not_a_failed_source(hostile):
    _base, statuses, records = hostile
    record = records_of(records, "surrogate")["s"]
    assert statuses["surrogate"].status == "complete"
    assert json.loads(record.raw)["description"] == "the agency\u2019s data"
    assert record.warnings == [
        "extract: description had 1 invalid \\u escape(s) (a lone surrogate); replaced with '\u2019'"
    ]


def test_an_integer_beyond_64_bits_keeps_its_value(hostile):
    _base, statuses, records = hostile
    assert statuses["bigint"].status == "complete"
    assert json.loads(records_of(records, "bigint")["n"].raw)["size"] == 123456789012345678901234567890


def test_a_dataset_nested_too_deep_is_rejected_alone(hostile):
    _base, statuses, records = hostile
    rows = sorted((r.position, r.identifier, r.error) for r in records if r.source_id == "deep")
    assert rows == [(0, "ok", None), (1, "deep", "dataset #2 is nested deeper than 32 levels")]
    assert statuses["deep"].status == "complete"


def test_a_source_past_its_time_budget_fails_and_keeps_nothing(hostile):
    base, statuses, records = hostile
    files, listing_page = statuses["slow-files"], statuses["slow-listing"]
    assert (files.status, files.reason) == (
        "failed",
        "the source's time budget of 2 s ran out while fetching its files",
    )
    # The listing's fetch gets what is left of the budget (a little under 0.5 s on a busy machine).
    assert listing_page.status == "failed"
    assert re.fullmatch(
        rf"the WAF listing could not be read: timed out after 0\.[0-9]+ s: {base}slow-listing/ "
        "did not send its whole response in time|the source's time budget ran out while reading its listings .*",
        listing_page.reason,
    )
    assert not records_of(records, "slow-files") and not records_of(records, "slow-listing")


def test_a_source_out_of_time_is_cut_from_records_already_written(spark, tmp_path):
    """The extract job's write fetches the files; a source whose budget ran out meanwhile is written again
    without its rows, over the same table, and the sources beside it keep theirs."""
    table, www = str(tmp_path / "records"), tmp_path / "www"
    www.mkdir()

    def write(records):
        records.write.mode("overwrite").parquet(table)
        return spark.read.schema(EXTRACT_RECORDS).parquet(table)

    with serve_folder(tmp_path / "www", routes=ROUTES) as base:
        sources = [
            source("xml", base + "xml/"),
            source("slow-files", base + "slow-files/", time_budget_s=2.0),
        ]
        _, statuses = extract_sources(spark, sources, None, replace(POLICY, threads_per_task=1), write=write)
        states = {row.source_id: (row.status, row.extracted) for row in statuses.collect()}
    written = spark.read.schema(EXTRACT_RECORDS).parquet(table).collect()
    assert states == {"xml": ("complete", 3), "slow-files": ("failed", 0)}
    assert sorted(row.identifier.rsplit("/", 1)[-1] for row in written) == [
        "charset.xml",
        "declared.xml",
        "good.xml",
    ]


def test_one_record_that_breaks_a_fixup_or_recursion_is_a_transform_reject(spark):
    rows = [
        row(CHANGES, source_id="a", identifier=name, action="create", raw_format="json", raw=raw)
        for name, raw in (
            ("number", json.dumps({**VALID, "distribution": 5})),
            (
                "deep",
                json.dumps(VALID).replace('"publisher": {', f'"publisher": {deep_chain(3000)[:-1]},', 1),
            ),
            ("good", json.dumps(VALID)),
        )
    ]
    out = {r.identifier: r for r in transform_changes(spark.createDataFrame(rows, CHANGES), []).collect()}
    assert (out["number"].action, out["number"].reasons) == (
        "reject",
        ["transform: internal error (TypeError)"],
    )
    assert out["deep"].action == "reject" and out["deep"].reasons[0].startswith("transform: ")
    assert (out["good"].action, out["good"].title) == ("create", "Water quality")


def test_one_record_the_schema_check_recurses_out_on_is_a_validate_reject(spark):
    deep = json.dumps({**VALID, "modified": 5}).replace(
        '"publisher": {"name": "Agency"}', f'"publisher": {deep_chain(400)}'
    )
    rows = [
        row(TRANSFORMED, source_id="a", identifier=name, action="create", dcat_json=text)
        for name, text in (("deep", deep), ("good", json.dumps(VALID)))
    ]
    checked = {r.identifier: r for r in check_schemas(spark.createDataFrame(rows, TRANSFORMED), []).collect()}
    assert checked["deep"].schema_errors == ["validate: internal error (RecursionError)"]
    assert checked["good"].schema_errors == []


def test_a_real_catalog_with_a_lone_surrogate_publishes_all_its_datasets(spark, tmp_path):
    """A real federal catalog, with the defect a real agency catalog had: a description holding \\udc92."""
    path = REALDATA / "datajson" / "agency-normalized-2025-02" / "gsa.data.json"
    if not path.is_file():
        pytest.skip("../shared/realdata is absent: the real data.json catalogs live there")
    document = json.loads(path.read_text("utf-8"))
    damaged = next(d for d in document["dataset"] if "'s " in d.get("description", ""))
    damaged["description"] = damaged["description"].replace("'s ", "\udc92s ", 1)
    (tmp_path / "data.json").write_text(json.dumps(document), "ascii")  # ensure_ascii writes "\udc92"
    assert "\\udc92" in (tmp_path / "data.json").read_text("ascii")
    with serve_folder(tmp_path) as base:
        records, statuses = extract_sources(
            spark, [source("gsa", base + "data.json", "datajson")], None, POLICY
        )
        rows = records.collect()
    assert statuses.first().status == "complete"
    assert len(rows) == len(document["dataset"]) == 339
    assert all(r.raw and not r.error for r in rows)
    [warned] = [r for r in rows if r.warnings]
    assert warned.identifier == damaged["identifier"]
    assert "\u2019s " in json.loads(warned.raw)["description"]
