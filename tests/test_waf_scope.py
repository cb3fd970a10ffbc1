"""A WAF's crawl stays in its folder: same scheme, host and port, and a path below the source's folder
as every web server reads it."""

import html
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.local_http import serve_folder
from tests.test_waf_listing import LOCAL, folder_page
from transforms.fetch.waf_listing import WafScope, crawl_waf, parse_listing

# Source hosts and their one ASCII form (IDNA A-labels in lower case), written out here.
HOSTS = {
    "data.example.gov": "data.example.gov",
    "h": "h",
    "127.0.0.1": "127.0.0.1",
    "données.example": "xn--donnes-eva.example",
}
FOLDER_NAMES = ["waf", "iso", "Données", "a b", "x-1"]
SEGMENTS = [
    "..", ".", "%2e", "%2E%2e", ".%2e", "", "sub", "Données", "donn%C3%A9es", "%2F", "a\\b", "..\\", "..;x", ".;",
    "..%2F", "%2e%2e%2f", "x.xml",
]  # fmt: skip
ENDINGS = ["", "/", "x.xml", "/x.xml", "/X.XML?q=1", "x.xml#f"]


def server_segments(path: str) -> list[str]:
    """How the least careful common server reads a URL path: every percent-encoding decoded (nginx
    decodes %2F), a backslash as a slash (IIS), path parameters dropped (Tomcat), ``//`` merged, then
    ``.`` and ``..`` resolved: the folders and file it names, in order."""
    text = unquote(path, errors="replace").replace("\\", "/")
    segments: list[str] = []
    for segment in (part.split(";", 1)[0] for part in text.split("/")):
        if segment == "..":
            segments = segments[:-1]
        elif segment not in ("", "."):
            segments.append(segment)
    return segments


@st.composite
def waf_and_link(draw):
    """(source URL, its scheme, host, port and folder segments as written here, a page URL, a link)."""
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(st.sampled_from(sorted(HOSTS)))
    port = draw(st.sampled_from([None, 8080]))
    default = {"http": 80, "https": 443}[scheme]
    folder = draw(st.lists(st.sampled_from(FOLDER_NAMES), max_size=3))
    written_host = draw(st.sampled_from([host, host.upper()]))
    authority = written_host + (f":{port}" if port else draw(st.sampled_from(["", f":{default}"])))
    tail = draw(st.sampled_from(["/", "/index.html"] + ([""] if folder else [])))
    source = (
        f"{draw(st.sampled_from([scheme, scheme.upper()]))}://{authority}/{'/'.join(folder)}".rstrip("/")
        + tail
    )
    link_hosts = [
        authority, written_host.swapcase(), f"{host}:{default}", f"{host}:8081", "evil.gov", f"{host}.evil.gov",
        f"user@{authority}", f"{authority}@evil.gov", f"{host}:{default}@evil.gov", f"{host}evil",
    ]  # fmt: skip
    link_host = draw(st.sampled_from(link_hosts))
    into_folder = "/".join(folder) + "/" if folder else ""
    prefix = draw(
        st.sampled_from(
            [
                "",  # relative to the page
                "",
                "/",
                f"/{into_folder}",
                f"//{link_host}/{into_folder}",
                f"{draw(st.sampled_from(['http', 'https', 'HTTP']))}://{link_host}/{into_folder}",
            ]
        )
    )
    path = "/".join(draw(st.lists(st.sampled_from(SEGMENTS), max_size=4)))
    link = prefix + path + draw(st.sampled_from(ENDINGS))
    page_url = WafScope.of(source).url + draw(st.sampled_from(["", "sub/"]))
    return source, (scheme, HOSTS[host], port or default, folder), page_url, link


@settings(max_examples=500)
@given(waf_and_link())
def test_every_link_a_waf_accepts_is_on_its_origin_and_below_its_folder_for_every_server(case):
    source, (scheme, host, port, folder), page_url, link = case
    page = parse_listing(f'<a href="{html.escape(link)}">x</a>', page_url, WafScope.of(source))
    for entry in page.entries:
        parts = urlsplit(entry.url)
        assert (parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}[scheme]) == (
            scheme,
            host,
            port,
        )
        assert not parts.query and not parts.fragment
        segments = server_segments(parts.path)
        assert segments[: len(folder)] == folder, (entry.url, folder)
        assert len(segments) > len(folder), entry.url  # the folder itself is not an entry


@pytest.mark.parametrize(
    ("source", "link", "expected"),
    [
        ("https://h/waf/", "x.xml", "https://h/waf/x.xml"),
        ("https://h/waf", "waf/x.xml", "https://h/waf/x.xml"),  # a page at /waf resolves links against /
        ("https://h/waf/index.html", "sub/", "https://h/waf/sub/"),
        ("https://h/waf/", "./sub/../y.xml", "https://h/waf/y.xml"),
        ("https://h:443/waf/", "HTTPS://H/waf/%7e%41.XML", "https://h/waf/~A.XML"),
        ("https://h/waf/", "https://user@h:443/waf//z.xml#top", "https://h/waf/z.xml"),
        ("https://h/waf/", "données/é.xml", "https://h/waf/donn%C3%A9es/%C3%A9.xml"),
        (
            "https://données.example/waf/",
            "https://DONNÉES.example/waf/x.xml",
            "https://xn--donnes-eva.example/waf/x.xml",
        ),
    ],
)
def test_links_inside_the_folder_are_kept_in_their_one_normal_form(source, link, expected):
    page_url = source if source.endswith("/") else source.rsplit("/", 1)[0] + "/"
    assert [
        entry.url for entry in parse_listing(f'<a href="{link}">x</a>', page_url, WafScope.of(source)).entries
    ] == [expected]


@pytest.mark.parametrize(
    ("source", "link"),
    [
        ("https://data.example.gov", "https://other.example.gov/x.xml"),  # was "https://": any host
        ("https://data.example.gov/index.html", "https://data.example.gov.evil/x.xml"),
        ("https://h/waf", "https://h/wafer/x.xml"),
        ("https://h/waf/", "https://h/waf/../private/x.xml"),
        ("https://h/waf/", "%2e%2e/private/x.xml"),
        ("https://h/waf/", "..%2Fprivate/x.xml"),
        ("https://h/waf/", "..;/private/x.xml"),
        ("https://h/waf/", "sub//../../private/x.xml"),
        ("https://h/waf/", "http://h/waf/x.xml"),
        ("https://h/waf/", "https://h:8443/waf/x.xml"),
        ("https://h/waf/", "https://h@evil.gov/waf/x.xml"),
    ],
)
def test_links_that_leave_the_folder_are_dropped(source, link):
    page_url = WafScope.of(source).url
    assert parse_listing(f'<a href="{link}">x</a>', page_url, WafScope.of(source)).entries == []


def test_a_waf_keeps_to_its_host_and_folder_over_http(tmp_path):
    def root_listing(handler) -> dict:
        port = handler.server.server_address[1]
        return folder_page("a.xml", f"http://localhost:{port}/elsewhere.xml")

    def waf_page(handler) -> dict:
        port = handler.server.server_address[1]
        return folder_page(
            "c.xml",
            f"http://127.0.0.1:{port}/waf/../private/x.xml",
            "%2e%2e/private/y.xml",
            "..%2Fprivate/z.xml",
        )

    with serve_folder(tmp_path, routes={"/": root_listing, "/waf/index.html": waf_page}) as base:
        host_only = crawl_waf(base.rstrip("/"), LOCAL)  # http://127.0.0.1:port: no path, dots in the host
        page_in_folder = crawl_waf(base + "waf/index.html", LOCAL)
    assert [entry.url for entry in host_only.files] == [base + "a.xml"]
    assert [entry.url for entry in page_in_folder.files] == [base + "waf/c.xml"]
