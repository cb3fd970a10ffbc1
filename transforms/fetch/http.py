"""Polite, bounded HTTP GETs for harvesting: timeouts, retries, redirects, size caps, conditional requests.

Built on ``http.client`` rather than requests so that the connection goes to the exact address
``address_guard`` checked (no second DNS lookup, no proxy from the environment), on every hop
of a redirect chain. Failures never raise: a :class:`FetchResult` carries an ``error`` written
for the publisher (``HTTP 500 from https://...``, ``timed out after 30 s ...``).

Time is bounded twice: ``read_timeout_s`` is the longest silence between two reads, and
``total_timeout_s`` is a deadline for the whole fetch (every attempt, redirect, connect, the
response headers and the body). The socket enforces both: before each read its timeout shrinks
to what is left of the deadline, so a server that drips a byte at a time cannot hold a fetch.
"""

import email.utils
import http.client
import io
import logging
import ssl
import tempfile
import time
from dataclasses import dataclass, replace
from typing import IO
from urllib.parse import urlsplit

from transforms.fetch.deadline_socket import connect_bounded, tls_context_bounded
from transforms.isolation import bounded
from transforms.safety.address_guard import PRIVATE_NETWORK_HINT, AddressRefused, Target, resolve_checked
from transforms.safety.uri import UnusableUrl, header_text, resolve

log = logging.getLogger(__name__)

USER_AGENT = "glue-harvester/0.1 (+https://github.com/glue-harvester/glue-harvester)"
REDIRECTS = (301, 302, 303, 307, 308)
RETRYABLE = (429, 500, 502, 503, 504)
CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # bigger catalogs spill to a temp file instead of memory


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how far a harvest fetches; one per source (allow_private_network differs)."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0  # longest silence between two reads
    total_timeout_s: float = 300.0  # one whole fetch (retries, redirects, headers, body): drippers stop here
    retries: int = 3  # extra attempts after a 429, a 5xx or a network error
    backoff_s: float = 1.0  # first retry delay, doubled each attempt
    max_retry_after_s: float = 60.0  # a longer Retry-After is cut to this
    max_redirects: int = 5
    max_body_bytes: int = 20 * 1024 * 1024  # an XML record or a listing page
    max_catalog_bytes: int = 1024 * 1024 * 1024  # a data.json catalog (spooled to disk)
    user_agent: str = USER_AGENT
    allow_private_network: bool = False
    private_network_hint: str = PRIVATE_NETWORK_HINT  # how to allow one, in the words of who fetches
    threads_per_task: int = 16  # fetch threads in one Spark task
    connections_per_host: int = 8  # concurrent requests to one host from one task
    tasks_per_host: int = 4  # Spark tasks one host's files are spread over
    max_waf_depth: int = 8  # folder levels below a WAF's base; a deeper folder fails the source
    max_waf_listings: int = 5000  # folder listings of one WAF; more fails the source
    max_waf_files: int = 500_000  # .xml files of one WAF; more fails the source


def within_deadline(policy: FetchPolicy, deadline: float | None) -> FetchPolicy:
    """``policy`` with its total timeout cut to what is left before ``deadline`` (``time.time()``), if any."""
    if deadline is None:
        return policy
    left = max(0.001, deadline - time.time())
    return policy if left >= policy.total_timeout_s else replace(policy, total_timeout_s=left)


@dataclass
class FetchResult:
    """The outcome of one GET: a body (or a spooled stream), a 304, or an error message."""

    url: str
    final_url: str | None = None
    status: int | None = None
    body: bytes | None = None
    stream: IO[bytes] | None = None  # fetch_to_spool only; the caller closes it
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional request."""
        return self.error is None and self.status == 304

    @property
    def ok(self) -> bool:
        """True when a body came back."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


class _Failure(Exception):
    def __init__(self, message: str, retryable: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _connection(target: Target, policy: FetchPolicy, deadline: float) -> http.client.HTTPConnection:
    """A connection to the checked address, with TLS verified against the host name, bounded by ``deadline``."""

    def connect_checked(_address, _timeout, source_address=None):
        return connect_bounded((target.address, target.port), policy, deadline, source_address)

    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(
            target.host, target.port, context=tls_context_bounded(deadline, policy.read_timeout_s)
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port)
    connection._create_connection = connect_checked  # type: ignore[attr-defined]  # the one hook http.client offers
    return connection


def _read_body(response, url: str, limit: int, sink: IO[bytes]) -> None:
    """The body into ``sink``, counted on the bytes actually read (a Content-Length may lie or be absent)."""
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _Failure(f"response from {url} is {int(declared)} bytes; the limit is {limit} bytes")
    size = 0
    while chunk := response.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise _Failure(f"response from {url} is larger than the limit of {limit} bytes")
        sink.write(chunk)


def _request(url: str, headers: dict, policy: FetchPolicy, limit: int, sink: IO[bytes], deadline: float):
    """One GET of one URL (no redirects followed): (status, response headers)."""
    try:
        target = resolve_checked(url, policy.allow_private_network, policy.private_network_hint)
    except AddressRefused as refused:
        raise _Failure(str(refused)) from None
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _connection(target, policy, deadline)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        status = response.status
        if 200 <= status < 300:
            _read_body(response, url, limit, sink)
        if status in RETRYABLE:
            raise _Failure(
                f"HTTP {status} from {url}", True, _retry_after_seconds(response.getheader("Retry-After"))
            )
        return status, response.headers
    except TimeoutError:
        if time.monotonic() >= deadline - 0.01:
            raise _Failure(
                f"timed out after {policy.total_timeout_s:.3g} s: {url} did not send its whole response in time"
            ) from None
        raise _Failure(
            f"timed out after {policy.read_timeout_s:g} s waiting for {url}", retryable=True
        ) from None
    except ssl.SSLError as error:
        raise _Failure(f"TLS error from {url}: {error.reason or error}") from None
    except http.client.IncompleteRead as error:
        raise _Failure(
            f"{url} closed the connection after {len(error.partial)} bytes", retryable=True
        ) from None
    except (OSError, http.client.HTTPException) as error:
        raise _Failure(f"could not fetch {url}: {error or type(error).__name__}", retryable=True) from None
    finally:
        connection.close()


def _sendable(reference: str, base: str = "") -> str:
    """The URI a request line can carry (a name in any script percent-encoded) for a URL, or for a
    redirect's Location read at ``base``; _Failure when none can be made of it."""
    try:
        return resolve(base, reference)
    except UnusableUrl as error:
        raise _Failure(f"{bounded(reference, 200)} is not a usable URL: {error}") from None


def _follow(
    url: str, headers: dict, policy: FetchPolicy, limit: int, sink: IO[bytes], deadline: float
) -> FetchResult:
    """GET with redirects followed, each hop checked again; raise _Failure."""
    current = _sendable(url)
    seen = {current}
    for _hop in range(policy.max_redirects + 1):
        status, response_headers = _request(current, headers, policy, limit, sink, deadline)
        if status in REDIRECTS:
            location = response_headers.get("Location")
            if not location:
                raise _Failure(f"HTTP {status} from {current} without a Location header")
            following = _sendable(header_text(location.strip()), current)
            if following in seen:
                raise _Failure(f"redirect loop: {current} redirects back to {following}")
            seen.add(following)
            current = following
            continue
        if status != 304 and not 200 <= status < 300:
            raise _Failure(f"HTTP {status} from {current}")
        return FetchResult(
            url=url,
            final_url=current,
            status=status,
            content_type=response_headers.get("Content-Type"),
            etag=response_headers.get("ETag"),
            last_modified=response_headers.get("Last-Modified"),
        )
    raise _Failure(f"more than {policy.max_redirects} redirects starting at {url}")


def _request_headers(policy: FetchPolicy, etag: str | None, last_modified: str | None) -> dict:
    headers = {"User-Agent": policy.user_agent, "Accept": "*/*"}
    if etag:
        headers["If-None-Match"] = etag
    # Only a real HTTP date; a date read from a listing page is no validator the server knows.
    if last_modified and email.utils.parsedate_tz(last_modified):
        headers["If-Modified-Since"] = last_modified
    return headers


def _fetch_into(url, policy, etag, last_modified, limit, new_sink) -> tuple[FetchResult, IO[bytes] | None]:
    headers = _request_headers(policy, etag, last_modified)
    deadline = time.monotonic() + policy.total_timeout_s  # the whole fetch: every attempt and its waits
    attempt = 0
    while True:
        sink = new_sink()
        try:
            return _follow(url, headers, policy, limit, sink, deadline), sink
        except _Failure as failure:
            sink.close()
            delay = policy.backoff_s * 2**attempt
            if failure.retry_after is not None:
                delay = failure.retry_after
            delay = min(delay, policy.max_retry_after_s)
            if not failure.retryable or attempt >= policy.retries or time.monotonic() + delay >= deadline:
                return FetchResult(url=url, error=str(failure)), None
            log.info("retrying %s in %.1f s: %s", url, delay, failure)
            time.sleep(delay)
            attempt += 1


def fetch(
    url: str, policy: FetchPolicy, etag: str | None = None, last_modified: str | None = None
) -> FetchResult:
    """GET a URL into memory (up to policy.max_body_bytes); conditional when validators are given."""
    result, sink = _fetch_into(url, policy, etag, last_modified, policy.max_body_bytes, io.BytesIO)
    if sink is not None:
        result.body = sink.getvalue() if result.ok else None  # type: ignore[attr-defined]  # a BytesIO
        sink.close()
    return result


def fetch_to_spool(
    url: str, policy: FetchPolicy, etag: str | None = None, last_modified: str | None = None
) -> FetchResult:
    """GET a big body (a data.json catalog) into a spooled temp file; result.stream is rewound, caller closes."""

    def new_spool():
        return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)

    result, sink = _fetch_into(url, policy, etag, last_modified, policy.max_catalog_bytes, new_spool)
    if sink is not None:
        if result.ok:
            sink.seek(0)
            result.stream = sink
        else:
            sink.close()
    return result
