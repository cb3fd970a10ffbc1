"""Reading WAF directory listings (Apache, nginx, IIS) and crawling their folders."""

from dataclasses import replace

import pytest

from devtools.local_http import serve_folder
from tests.conftest import REALDATA
from transforms.fetch.http import FetchPolicy
from transforms.fetch.waf_listing import crawl_waf, parse_listing, parse_listing_date

EXAMPLES = REALDATA / "waf" / "datagov-harvester" / "waf-html-examples"
LOCAL = FetchPolicy(allow_private_network=True, retries=0, read_timeout_s=2)


def real_page(name: str) -> str:
    if not EXAMPLES.is_dir():
        pytest.skip("../shared/realdata is absent: the real WAF listing pages live there")
    return (EXAMPLES / name).read_text("utf-8")


def listed(page: str, url: str) -> list[tuple]:
    return [(entry.url, entry.modified, entry.is_folder) for entry in parse_listing(page, url).entries]


def test_apache_listing_keeps_xml_files_and_their_dates():
    base = "https://data.noaa.gov/waf/NOAA/nmfs/garfo/iso/xml/"
    assert listed(real_page("apache-noaa-waf.html"), base) == [
        (base + "1463.xml", "2026-07-12T02:23:00", False),
        (base + "1503.xml", "2026-07-12T02:23:00", False),
    ]


def test_nginx_listing_skips_other_formats_and_the_parent():
    base = "https://dggs.alaska.gov/webpubs/metadata/"
    assert listed(real_page("nginx-dggs-waf.html"), base) == [
        (base + "AOF125.xml", "2025-10-02T11:47:00", False),
        (base + "AOF134.xml", "2026-07-30T16:01:00", False),
    ]


def test_iis_listing_reads_the_date_before_each_link():
    base = "https://edg.epa.gov/WAFer_harvest/ISO/"
    assert listed(real_page("ms-iis-waf.html"), base) == [
        (
            base + "enviroatlas-metadata-waf_ACS_Demographics_by_Tract_2008_2012_EA.xml",
            "2021-06-17T12:20:00",
            False,
        ),
        (base + "enviroatlas-metadata-waf_Ag_On_Slopes.xml", "2025-07-23T17:33:00", False),
    ]


def test_iis_long_date_listing():
    base = "https://transtats.bts.gov/NTADmetadata/"
    assert listed(real_page("bts-waf.html"), base) == [
        (base + "USDOT_BTS_NTAD_119th_Congressional_Districts.xml", "2026-07-31T16:53:00", False),
        (base + "USDOT_BTS_NTAD_1991_FAP.xml", "2026-07-15T16:23:00", False),
    ]


def test_sort_links_fragments_and_links_outside_the_folder_are_dropped():
    page = """<a href="?C=N;O=D">Name</a> <a href="../">Parent</a> <a href="#top">top</a>
    <a href="/elsewhere/x.xml">x</a> <a href="https://other.example/waf/y.xml">y</a>
    <a href='sub/'>sub/</a> <a href=Z.XML>Z.XML</a> <a href="z.xml?download=1">z</a> <a href="sub/">again</a>"""
    base = "https://example.gov/waf/"
    assert listed(page, base) == [(base + "sub/", None, True), (base + "Z.XML", None, False)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-12 02:23  35K", "2026-07-12T02:23:00"),
        ("02-Oct-2025 11:47     45K", "2025-10-02T11:47:00"),
        (" 6/17/2021 12:20 PM        39985 ", "2021-06-17T12:20:00"),
        ("Friday, July 31, 2026  4:53 AM  27383", "2026-07-31T04:53:00"),
        ("  -  ", None),
    ],
)
def test_listing_dates(text, expected):
    assert parse_listing_date(text) == expected


def folder_page(*links: str) -> dict:
    return {
        "body": "<html><body><pre>"
        + "\n".join(f'<a href="{link}">{link}</a>' for link in links)
        + "</pre></body></html>"
    }


def test_crawl_follows_subfolders_once_and_stays_under_the_base(tmp_path):
    routes = {
        "/waf/": folder_page("../", "a.xml", "sub/", "/outside/", "sub/"),
        "/waf/sub/": folder_page("../", "b.xml", "loop/", "/waf/"),
        "/waf/sub/loop/": folder_page("../../sub/", "c.xml", "../loop/"),
        "/outside/": folder_page("evil.xml"),
    }
    with serve_folder(tmp_path, routes=routes) as base:
        crawl = crawl_waf(base + "waf/", LOCAL)
    assert [entry.url for entry in crawl.files] == [
        base + "waf/a.xml",
        base + "waf/sub/b.xml",
        base + "waf/sub/loop/c.xml",
    ]
    assert crawl.problems == [] and crawl.failure is None


def test_a_folder_deeper_than_the_limit_fails_the_crawl_instead_of_truncating_it(tmp_path):
    routes = {
        "/waf/": folder_page("a.xml", "d1/"),
        "/waf/d1/": folder_page("b.xml", "d2/"),
        "/waf/d1/d2/": folder_page("c.xml"),
    }
    with serve_folder(tmp_path, routes=routes) as base:
        crawl = crawl_waf(base + "waf/", replace(LOCAL, max_waf_depth=1))
        deep_enough = crawl_waf(base + "waf/", replace(LOCAL, max_waf_depth=2))
    assert crawl.failure == (
        f"the folder {base}waf/d1/d2/ is more than 1 levels below the WAF (max_waf_depth); "
        "the crawl would be incomplete"
    )
    assert [entry.url.rsplit("/", 1)[1] for entry in deep_enough.files] == ["a.xml", "b.xml", "c.xml"]


def test_listing_and_file_caps_fail_the_crawl(tmp_path):
    routes = {
        "/waf/": folder_page("a.xml", "b.xml", "one/", "two/"),
        "/waf/one/": folder_page("c.xml"),
        "/waf/two/": folder_page("d.xml"),
    }
    with serve_folder(tmp_path, routes=routes) as base:
        listings = crawl_waf(base + "waf/", replace(LOCAL, max_waf_listings=2))
        files = crawl_waf(base + "waf/", replace(LOCAL, max_waf_files=3))
        enough = crawl_waf(base + "waf/", replace(LOCAL, max_waf_listings=3, max_waf_files=4))
    assert listings.failure == "the WAF has more than 2 folder listings (max_waf_listings)"
    assert files.failure == "the WAF lists more than 3 files (max_waf_files)"
    assert enough.failure is None and len(enough.files) == 4


def test_a_subfolder_that_cannot_be_read_in_full_is_a_problem_that_names_it(tmp_path):
    routes = {
        "/waf/": folder_page("a.xml", "broken/", "moved/", "utf7/"),
        "/waf/broken/": {"status": 500},
        "/waf/moved/": {"status": 302, "headers": {"Location": "/elsewhere/"}},
        "/elsewhere/": folder_page("e.xml"),
        "/waf/utf7/": {
            "headers": {"Content-Type": "text/html; charset=utf-7"},
            "body": folder_page("u.xml")["body"],
        },
    }
    with serve_folder(tmp_path, routes=routes) as base:
        crawl = crawl_waf(base + "waf/", LOCAL)
    assert [entry.url for entry in crawl.files] == [base + "waf/a.xml"]
    assert crawl.problems == [
        f"folder listing {base}waf/broken/ could not be read: HTTP 500 from {base}waf/broken/",
        f"folder listing {base}waf/moved/ could not be read: it redirects to {base}elsewhere/, outside the WAF",
        f"folder listing {base}waf/utf7/ could not be read: its charset 'utf-7' is not "
        "UTF-8, UTF-16, UTF-32, ISO-8859-1, Windows-1252 or ASCII",
    ]
    assert crawl.failure is None  # the source becomes partial: see test_extract_stage


def test_a_failed_base_listing_or_an_empty_waf_fails(tmp_path):
    routes = {"/down/": {"status": 503}, "/empty/": folder_page("../", "readme.txt")}
    with serve_folder(tmp_path, routes=routes) as base:
        down = crawl_waf(base + "down/", LOCAL)
        empty = crawl_waf(base + "empty/", LOCAL)
    assert down.failure == f"the WAF listing could not be read: HTTP 503 from {base}down/"
    assert empty.failure == f"found no .xml files in the listing at {base}empty/ or its subfolders"


def test_crawl_of_a_real_iis_listing_with_absolute_links(tmp_path):
    routes = {"/WAFer_harvest/ISO/": {"body": real_page("ms-iis-waf.html")}}
    with serve_folder(tmp_path, routes=routes) as base:
        crawl = crawl_waf(base + "WAFer_harvest/ISO/", LOCAL)
    assert [entry.url.rsplit("/", 1)[1] for entry in crawl.files] == [
        "enviroatlas-metadata-waf_ACS_Demographics_by_Tract_2008_2012_EA.xml",
        "enviroatlas-metadata-waf_Ag_On_Slopes.xml",
    ]


def test_crawl_of_the_local_servers_own_listings(tmp_path):
    (tmp_path / "waf" / "nested" / "deeper").mkdir(parents=True)
    for name in ("waf/one.xml", "waf/nested/two.xml", "waf/nested/deeper/three.xml", "waf/notes.txt"):
        (tmp_path / name).write_text("<x/>")
    with serve_folder(tmp_path) as base:
        crawl = crawl_waf(base + "waf", LOCAL)  # no trailing slash: the server redirects
    assert sorted(entry.url.removeprefix(base) for entry in crawl.files) == [
        "waf/nested/deeper/three.xml",
        "waf/nested/two.xml",
        "waf/one.xml",
    ]
    assert all(entry.modified for entry in crawl.files)
