"""WAF names in any script, and links no URL can be made of, over real HTTP on 127.0.0.1.

A listing's link is made a URI once (``transforms.safety.uri``): a folder or file named in any
script is percent-encoded as UTF-8 and harvested; a link no request can carry is a listing problem,
so the source is partial (it deletes nothing) instead of failed.
"""

import re
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from devtools.local_http import serve_folder
from tests.test_waf_listing import folder_page
from transforms.fetch.http import FetchPolicy, fetch
from transforms.fetch.source_pass import source_items
from transforms.fetch.xml_files import fetch_xml_records
from transforms.registry import Source
from transforms.safety.uri import UnusableUrl, normalise_url, resolve
from transforms.schemas import FetchStatus, SourceState

POLICY = FetchPolicy(allow_private_network=True, retries=0, read_timeout_s=2, threads_per_task=2)
RECORD = "<metadata><title>Données côtières</title></metadata>"


def waf_source(url: str) -> Source:
    return Source("names", "names", "Test Agency", url, "waf", "iso19115", allow_private_network=True)


def harvest(url: str) -> tuple[dict, list[dict]]:
    """The source's status and its fetched file rows, as extract reads them (without Spark)."""
    items = list(source_items(waf_source(url), POLICY, {}))
    todos = [item for item in items if item["kind"] == "todo"]
    return items[-1], list(fetch_xml_records(todos, POLICY, [waf_source(url)]))


def test_a_folder_and_a_file_named_in_another_script_are_harvested(tmp_path):
    (tmp_path / "waf" / "données").mkdir(parents=True)
    (tmp_path / "waf" / "données" / "café.xml").write_text(RECORD, "utf-8")
    (tmp_path / "waf" / "a.xml").write_text(RECORD, "utf-8")
    routes = {"/waf/": folder_page("a.xml", "données/", "données/café.xml")}
    with serve_folder(tmp_path, routes=routes) as base:
        status, rows = harvest(base + "waf/")
    assert (status["status"], status["reason"], status.get("problems")) == (SourceState.COMPLETE, None, [])
    assert sorted((row["record_url"], row["fetch_status"], row["raw"]) for row in rows) == [
        (base + "waf/a.xml", FetchStatus.FETCHED, RECORD),
        (base + "waf/donn%C3%A9es/caf%C3%A9.xml", FetchStatus.FETCHED, RECORD),
    ]


def test_a_link_no_url_can_be_made_of_makes_the_source_partial_not_failed(tmp_path):
    (tmp_path / "waf").mkdir()
    (tmp_path / "waf" / "a.xml").write_text(RECORD, "utf-8")
    bad_port = "http://127.0.0.1:99999/waf/b.xml"
    routes = {"/waf/": folder_page("a.xml", bad_port, "http://[x/c.xml", "https://a..b/waf/d.xml")}
    with serve_folder(tmp_path, routes=routes) as base:
        status, rows = harvest(base + "waf/")
    assert status["status"] == SourceState.PARTIAL
    assert status["problems"] == [
        f"folder listing {base}waf/ could not be read in full: 3 link(s) are not usable URLs "
        f"(first: '{bad_port}' (Port out of range 0-65535))"
    ]
    assert [(row["record_url"], row["fetch_status"]) for row in rows] == [
        (base + "waf/a.xml", FetchStatus.FETCHED)
    ]


def test_a_url_or_a_redirect_in_another_script_is_fetched(tmp_path):
    (tmp_path / "données").mkdir()
    (tmp_path / "données" / "café.xml").write_text(RECORD, "utf-8")
    utf8_location = "/données/café.xml".encode().decode("latin-1")  # the bytes a server sends
    routes = {"/moved.xml": {"status": 301, "headers": {"Location": utf8_location}}}
    with serve_folder(tmp_path, routes=routes) as base:
        direct = fetch(base + "données/café.xml", POLICY)
        redirected = fetch(base + "moved.xml", POLICY)
    assert (direct.ok, direct.body) == (True, RECORD.encode())
    assert (redirected.final_url, redirected.body) == (base + "donn%C3%A9es/caf%C3%A9.xml", RECORD.encode())


def test_a_url_no_request_can_carry_is_a_fetch_error_not_an_exception():
    result = fetch("http://127.0.0.1:99999/waf/b.xml", POLICY)
    assert result.error == "http://127.0.0.1:99999/waf/b.xml is not a usable URL: Port out of range 0-65535"


@given(name=st.text())
def test_every_name_a_listing_holds_becomes_a_url_a_request_line_can_carry_or_a_reported_problem(name):
    try:
        url = resolve("http://127.0.0.1:8000/waf/", name)
    except UnusableUrl:
        return  # reported as a listing problem: see above
    if urlsplit(url).scheme in ("http", "https"):  # other schemes are never fetched
        assert re.fullmatch(r"[!-~]+", url), url  # printable ASCII without spaces: what http.client sends
        assert normalise_url(url) == url
