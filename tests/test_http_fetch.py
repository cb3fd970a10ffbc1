"""Fetching politely and safely, against the local HTTP server on 127.0.0.1."""

import time

import pytest

import transforms.safety.address_guard as address_guard
from devtools.local_http import serve_folder
from transforms.fetch.http import USER_AGENT, FetchPolicy, fetch, fetch_to_spool

# Loopback is where the test server lives, so these policies allow private addresses.
FAST = FetchPolicy(
    allow_private_network=True, connect_timeout_s=2, read_timeout_s=2, retries=2, backoff_s=0.01
)


class Counter:
    """A scripted route that answers from a list (the last answer repeats) and records requests."""

    def __init__(self, *answers):
        self.answers, self.requests = list(answers), []

    def __call__(self, request):
        self.requests.append(dict(request.headers))
        return self.answers[min(len(self.requests), len(self.answers)) - 1]


@pytest.fixture
def site(tmp_path):
    (tmp_path / "record.xml").write_text("<metadata/>")
    return tmp_path


def test_a_file_comes_back_with_validators_and_the_project_user_agent(site):
    seen = Counter({"status": 200, "body": b"ok"})
    with serve_folder(site, routes={"/ua": seen}) as base:
        result = fetch(base + "record.xml", FAST)
        fetch(base + "ua", FAST)
    assert result.ok and result.body == b"<metadata/>" and result.status == 200
    assert result.etag and result.last_modified
    assert seen.requests[0]["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("glue-harvester/")


def test_conditional_requests_get_304_without_a_body(site):
    with serve_folder(site) as base:
        first = fetch(base + "record.xml", FAST)
        by_etag = fetch(base + "record.xml", FAST, etag=first.etag)
        by_date = fetch(base + "record.xml", FAST, last_modified=first.last_modified)
        listing_date = fetch(base + "record.xml", FAST, last_modified="2026-07-12T02:23:00")
    assert by_etag.not_modified and by_etag.body is None and by_etag.etag == first.etag
    assert by_date.not_modified
    assert listing_date.ok and listing_date.body == b"<metadata/>"  # not an HTTP date: no If-Modified-Since


def test_server_errors_are_retried_then_reported(site):
    broken = Counter({"status": 500, "body": "oops"})
    with serve_folder(site, routes={"/broken": broken}) as base:
        result = fetch(base + "broken", FAST)
    assert result.error == f"HTTP 500 from {base}broken"
    assert len(broken.requests) == 3  # the first attempt and two retries


def test_a_transient_error_recovers(site):
    flaky = Counter({"status": 503}, {"status": 200, "body": "fine"})
    with serve_folder(site, routes={"/flaky": flaky}) as base:
        result = fetch(base + "flaky", FAST)
    assert result.ok and result.body == b"fine"


def test_not_found_is_not_retried(site):
    with serve_folder(site) as base:
        started = time.monotonic()
        result = fetch(base + "missing.xml", FetchPolicy(allow_private_network=True, backoff_s=5))
    assert result.error == f"HTTP 404 from {base}missing.xml"
    assert time.monotonic() - started < 2


def test_429_waits_for_retry_after(site):
    busy = Counter({"status": 429, "headers": {"Retry-After": "1"}}, {"status": 200, "body": "served"})
    with serve_folder(site, routes={"/busy": busy}) as base:
        started = time.monotonic()
        result = fetch(base + "busy", FAST)
    assert result.ok and time.monotonic() - started >= 0.95


def test_retry_after_is_capped(site):
    busy = Counter({"status": 429, "headers": {"Retry-After": "3600"}}, {"status": 200, "body": "served"})
    with serve_folder(site, routes={"/busy": busy}) as base:
        started = time.monotonic()
        result = fetch(base + "busy", FetchPolicy(allow_private_network=True, max_retry_after_s=0.2))
    assert result.ok and time.monotonic() - started < 2


def test_a_slow_server_times_out(site):
    with serve_folder(site, routes={"/slow": {"delay": 3, "body": "late"}}) as base:
        policy = FetchPolicy(allow_private_network=True, read_timeout_s=0.3, retries=0)
        started = time.monotonic()
        result = fetch(base + "slow", policy)
    assert result.error == f"timed out after 0.3 s waiting for {base}slow"
    assert time.monotonic() - started < 2


def test_redirects_are_followed(site):
    with serve_folder(
        site, routes={"/moved": {"status": 301, "headers": {"Location": "/record.xml"}}}
    ) as base:
        result = fetch(base + "moved", FAST)
    assert result.ok and result.final_url == base + "record.xml" and result.url == base + "moved"


def test_redirect_loops_and_long_chains_stop(site):
    routes = {
        "/a": {"status": 302, "headers": {"Location": "/b"}},
        "/b": {"status": 302, "headers": {"Location": "/a"}},
    }
    routes.update({f"/hop{n}": {"status": 307, "headers": {"Location": f"/hop{n + 1}"}} for n in range(10)})
    with serve_folder(site, routes=routes) as base:
        loop = fetch(base + "a", FAST)
        chain = fetch(base + "hop0", FetchPolicy(allow_private_network=True, max_redirects=3))
    assert loop.error == f"redirect loop: {base}b redirects back to {base}a"
    assert chain.error == f"more than 3 redirects starting at {base}hop0"


def test_every_redirect_hop_is_checked(site, monkeypatch):
    # Treat the test server's loopback address as public so the first hop passes the guard.
    real_problem = address_guard.address_problem
    monkeypatch.setattr(
        address_guard, "address_problem", lambda a: None if a == "127.0.0.1" else real_problem(a)
    )
    steal = {"status": 302, "headers": {"Location": "http://169.254.169.254/latest/meta-data/"}}
    with serve_folder(site, routes={"/steal": steal}) as base:
        result = fetch(base + "steal", FetchPolicy(retries=0))
    assert result.error == (
        "address 169.254.169.254 is the cloud metadata service; it is never fetched, even with allow_private_network"
    )


def test_loopback_is_refused_without_the_flag(site):
    with serve_folder(site) as base:
        result = fetch(base + "record.xml", FetchPolicy())
    assert result.error == "address 127.0.0.1 is loopback; set allow_private_network: true to harvest it"


def test_oversized_bodies_are_cut_off(site):
    with serve_folder(site, routes={"/huge": {"body": b"x" * 200_000}}) as base:
        result = fetch(base + "huge", FetchPolicy(allow_private_network=True, max_body_bytes=100_000))
        spooled = fetch_to_spool(
            base + "huge", FetchPolicy(allow_private_network=True, max_catalog_bytes=100_000)
        )
    assert result.error == f"response from {base}huge is 200000 bytes; the limit is 100000 bytes"
    assert spooled.error == result.error and spooled.stream is None


def test_big_bodies_can_be_spooled(site):
    with serve_folder(site, routes={"/catalog": {"body": b"{" + b" " * 300_000 + b"}"}}) as base:
        result = fetch_to_spool(base + "catalog", FAST)
    with result.stream as stream:
        assert len(stream.read()) == 300_002 and result.body is None


def test_connection_refused_is_an_error_not_an_exception(site):
    with serve_folder(site) as base:
        dead = base
    result = fetch(dead + "record.xml", FetchPolicy(allow_private_network=True, retries=0))
    assert result.error.startswith(f"could not fetch {dead}record.xml")


def test_a_server_that_drips_its_answer_is_cut_off_at_the_total_deadline(site):
    # One byte every 50 ms: never silent for the read timeout, and the headers alone take 2 s.
    drip = {"drip": 0.05, "headers": {"Content-Type": "application/xml"}, "body": b"<metadata/>" * 10}
    policy = FetchPolicy(allow_private_network=True, read_timeout_s=2, total_timeout_s=0.5, retries=0)
    with serve_folder(site, routes={"/drip": drip}) as base:
        started = time.monotonic()
        result = fetch(base + "drip", policy)
        elapsed = time.monotonic() - started
    assert result.error == f"timed out after 0.5 s: {base}drip did not send its whole response in time"
    assert elapsed < 1.5


def test_retries_stop_at_the_total_deadline(site):
    busy = Counter({"status": 503, "headers": {"Retry-After": "1"}})
    policy = FetchPolicy(allow_private_network=True, total_timeout_s=0.5, retries=5)
    with serve_folder(site, routes={"/busy": busy}) as base:
        started = time.monotonic()
        result = fetch(base + "busy", policy)
    assert result.error == f"HTTP 503 from {base}busy"
    assert len(busy.requests) == 1 and time.monotonic() - started < 1
