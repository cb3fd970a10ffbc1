"""Web Accessible Folders: read directory listings (Apache, nginx, IIS) and crawl them for .xml files.

A listing is HTML written by the web server, read with lxml's HTML parser (no network, linear in
the page: a regular expression over anchors backtracked quadratically on unclosed tags). The three
servers differ in layout (Apache puts rows in a table with the date after the link, nginx pads a
<pre> with the date after the link, IIS puts the date before the link), so the page is flattened
into its links and the text between them, and a link's date is looked for on its own line.

A crawl is bounded: in depth, in folder listings and in files (``FetchPolicy``), and by the
source's deadline. Reaching a bound fails the source with the reason rather than truncating it.
A subfolder listing that cannot be read in full (an error, a redirect out of the WAF, a charset
that is not accepted, a link no URL can be made of) is a problem: the source is then ``partial``
and deletes nothing. Every link is resolved and normalised once (``transforms.safety.uri``) before
the scope test (:class:`WafScope`) and the fetch.
"""

import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from lxml import etree

from transforms.fetch.http import FetchPolicy, FetchResult, fetch, within_deadline
from transforms.isolation import bounded
from transforms.safety.uri import DEFAULT_PORTS, UnusableUrl, normalise_url, resolve
from transforms.text import ACCEPTED_NAMES, accepted_codec, content_type_charset

log = logging.getLogger(__name__)

_DATE_WINDOW = 200  # characters beside a link where its date is looked for
_LINE_STARTS = ("br", "tr")
_DATES = (
    (
        re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)"),
        ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"),
    ),
    (
        re.compile(r"(\d{1,2}-[A-Za-z]{3}-\d{4}) (\d{1,2}:\d{2}(?::\d{2})?)"),
        ("%d-%b-%Y %H:%M:%S", "%d-%b-%Y %H:%M"),
    ),
    (re.compile(r"(\d{1,2}/\d{1,2}/\d{4})\s+(\d{1,2}:\d{2}\s*[AP]M)", re.IGNORECASE), ("%m/%d/%Y %I:%M %p",)),
    (
        re.compile(r"[A-Za-z]+, ([A-Za-z]+ \d{1,2}, \d{4})\s+(\d{1,2}:\d{2}\s*[AP]M)", re.IGNORECASE),
        ("%B %d, %Y %I:%M %p",),
    ),
)
# No network, no comments or processing instructions; libxml2's depth and text limits stay on.
_HTML_PARSER = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=False)


@dataclass(frozen=True)
class ListingEntry:
    """One link of a listing: a file or a subfolder, with the modified date the listing shows."""

    url: str
    modified: str | None  # ISO 8601 without zone: listings show the server's local time
    is_folder: bool
    etag: str | None = None  # only a folder on disk knows it (see transforms.fetch.disk)


@dataclass
class WafCrawl:
    """What a crawl found: the .xml files in listing order, listings that failed, or a fatal failure."""

    files: list[ListingEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failure: str | None = None


def parse_listing_date(text: str) -> str | None:
    """The first Apache/nginx/IIS-style date and time in `text`, as ISO 8601; None when there is none."""
    for pattern, formats in _DATES:
        found = pattern.search(text)
        if not found:
            continue
        stamp = f"{found.group(1)} {' '.join(found.group(2).split())}"
        for form in formats:
            try:
                return datetime.strptime(stamp, form).isoformat()
            except ValueError:
                continue
    return None


@dataclass(frozen=True)
class WafScope:
    """Where a WAF's crawl may go: one origin (scheme, host and port) and one folder below it.

    The folder of a source URL ``…/waf/`` is ``/waf/``; of ``…/waf/index.html`` (a last segment with
    a dot names a page) ``/waf/``, the folder its relative links resolve against (RFC 3986 section
    5.2.3, as data.gov's harvester resolves them with ``urljoin``); of ``…/waf`` ``/waf/``: a folder
    named without its slash, which Apache, nginx and IIS redirect to the slash form (resolving
    against the URL as written would take its parent, the whole host for ``https://host/waf``).
    """

    origin: str  # "https://host" or "http://host:8080", normalised
    folder: str  # a normalised path ending in "/"

    @classmethod
    def of(cls, source_url: str) -> "WafScope":
        """The scope of a WAF whose listing is at ``source_url``; UnusableUrl when it is no http(s) URL."""
        parts = urlsplit(normalise_url(source_url))
        if parts.scheme not in DEFAULT_PORTS:
            raise UnusableUrl("only http and https WAFs are crawled")
        path = parts.path
        if not path.endswith("/"):
            last = path.rsplit("/", 1)[1]
            path = path.removesuffix(last) if "." in last else path + "/"
        return cls(f"{parts.scheme}://{parts.netloc}", path)

    @property
    def url(self) -> str:
        """The folder's own URL."""
        return self.origin + self.folder

    def contains(self, url: str) -> bool:
        """Whether a normalised URL is the folder or below it, with a path every server reads alike."""
        parts = urlsplit(url)
        return (
            f"{parts.scheme}://{parts.netloc}" == self.origin
            and parts.path.startswith(self.folder)
            and not _read_differently(parts.path)
        )


def _read_differently(path: str) -> bool:
    """Whether some web server would read a normalised path as another folder: an encoded slash or
    backslash (nginx decodes ``%2F`` before it resolves ``..``; IIS reads ``\\`` as ``/``), or a dot
    segment with parameters (Tomcat reads ``..;x`` as ``..``)."""
    return (
        "%2F" in path
        or "%5C" in path
        or any(segment.split(";", 1)[0] in (".", "..") for segment in path.split("/"))
    )


def _links_and_gaps(page: str) -> tuple[list[str], list[str]]:
    """The page's link targets in document order, and the text around them: ``gaps[i]`` is the text
    before link i, ``gaps[-1]`` the text after the last; line breaks (``<br>``, table rows) as newlines."""
    root = etree.fromstring(page, _HTML_PARSER) if page.strip() else None
    links: list[str] = []
    gaps: list[str] = []
    current: list[str] = []
    inside = 0  # open <a href> elements: their own text (the file name) is not the text beside them
    for event, element in etree.iterwalk(root, events=("start", "end")) if root is not None else ():
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        is_link = tag == "a" and element.get("href") is not None
        if event == "start":
            if tag in _LINE_STARTS:
                current.append("\n")
            if is_link:
                gaps.append("".join(current))
                current, inside = [], inside + 1
                links.append(element.get("href"))
            elif element.text and not inside:
                current.append(element.text)
        else:
            inside -= is_link
            if tag == "tr":
                current.append("\n")
            if element.tail and not inside:
                current.append(element.tail)
    gaps.append("".join(current))
    return links, gaps


def _date_beside(after: str, before: str) -> str | None:
    """The date on a link's line: after the link (Apache, nginx), else before it (IIS)."""
    same_line_after = " ".join(after.split("\n", 1)[0][:_DATE_WINDOW].split())
    same_line_before = " ".join(before.rsplit("\n", 1)[-1][-_DATE_WINDOW:].split())
    return parse_listing_date(same_line_after) or parse_listing_date(same_line_before)


@dataclass(frozen=True)
class ListingPage:
    """What one listing page links to in the WAF, and the links no URL could be made of."""

    entries: list[ListingEntry]
    unusable: int = 0  # links no URL could be made of (counted: a hostile page may hold millions)
    first_unusable: str | None = None  # the first of them and why, for the publisher


def parse_listing(page: str, page_url: str, scope: WafScope | None = None) -> ListingPage:
    """The .xml files and subfolders a listing page links to, under `scope` (default: the page's folder).

    Every link is resolved and normalised once (``transforms.safety.uri.resolve``); sort links (``?C=N;O=D``),
    parent links, fragments, links with a query and links that leave the scope are dropped. A link
    no URL can be made of might name a file, so it is reported rather than dropped.
    """
    scope = scope or WafScope.of(page_url)
    links, gaps = _links_and_gaps(page)
    entries, unusable, first_unusable, seen = [], 0, None, set()
    for index, link in enumerate(links):
        href = link.strip()
        if not href or href.startswith(("#", "?", "mailto:", "javascript:")):
            continue
        try:
            url = resolve(page_url, href)
        except UnusableUrl as error:
            unusable += 1
            first_unusable = first_unusable or f"{bounded(repr(href), 200)} ({error})"
            continue
        parts = urlsplit(url)
        if parts.query or not scope.contains(url) or url == scope.url or url in seen:
            continue
        is_folder = parts.path.endswith("/")
        if not is_folder and not parts.path.lower().endswith(".xml"):
            continue
        seen.add(url)
        modified = _date_beside(gaps[index + 1], gaps[index])
        entries.append(ListingEntry(url=url, modified=modified, is_folder=is_folder))
    return ListingPage(entries, unusable, first_unusable)


def _page_text(result: FetchResult) -> str:
    """The listing's text in its HTTP charset (UTF-8 when none); ValueError for a charset not accepted."""
    body = result.body or b""
    charset = content_type_charset(result.content_type)
    codec = accepted_codec(charset) if charset else "utf-8"
    if codec is None:
        raise ValueError(f"its charset {bounded(charset or '', 40)!r} is not {ACCEPTED_NAMES}")
    return body.decode(codec, errors="replace")


def _read_listing(
    url: str, scope: WafScope, policy: FetchPolicy, fetch_page
) -> tuple[ListingPage, str | None]:
    """(the page's links, None), or (no links, why the listing could not be read)."""
    result = fetch_page(url, policy)
    if not result.ok:
        return ListingPage([]), result.error or f"HTTP {result.status}"
    page_url = result.final_url or url
    if not scope.contains(page_url):
        return ListingPage([]), f"it redirects to {bounded(page_url, 200)}, outside the WAF"
    try:
        return parse_listing(_page_text(result), page_url, scope), None
    except (ValueError, etree.LxmlError) as error:
        return ListingPage([]), bounded(str(error))


def crawl_waf(
    base_url: str,
    policy: FetchPolicy,
    fetch_page: Callable[[str, FetchPolicy], FetchResult] = fetch,
    deadline: float | None = None,
) -> WafCrawl:
    """Walk a WAF's listings breadth first (each folder once, never above the base), within the
    policy's bounds and the ``deadline`` (``time.time()``); a bound reached fails the crawl.

    The base listing failing, or no .xml file anywhere, is a failure too (a WAF that lists nothing
    is far more often a broken server than an emptied folder, and a failure deletes nothing).
    """
    crawl = WafCrawl()
    try:
        scope, base = WafScope.of(base_url), normalise_url(base_url)
    except UnusableUrl as error:
        crawl.failure = f"the WAF's URL {bounded(base_url, 200)} is not usable: {error}"
        return crawl
    queue, visited, listed_files = deque([(base, 0)]), {base, scope.url}, set()
    listings, folders = 0, 1  # listings read; folders found (each is read once), the base included
    while queue:
        url, depth = queue.popleft()
        if deadline is not None and time.time() > deadline:
            crawl.failure = f"the source's time budget ran out while reading its listings ({listings} read)"
            return crawl
        listings += 1
        page, problem = _read_listing(url, scope, within_deadline(policy, deadline), fetch_page)
        if problem and url == base:
            crawl.failure = f"the WAF listing could not be read: {problem}"
            return crawl
        if problem:
            crawl.problems.append(f"folder listing {url} could not be read: {problem}")
        if page.unusable:
            crawl.problems.append(
                f"folder listing {url} could not be read in full: {page.unusable} link(s) are not "
                f"usable URLs (first: {page.first_unusable})"
            )
        for entry in page.entries:
            if entry.is_folder and entry.url not in visited:
                crawl.failure = _past_bound(entry.url, depth + 1, folders, policy)
                folders += 1
                visited.add(entry.url)
                queue.append((entry.url, depth + 1))
            elif not entry.is_folder and entry.url not in listed_files:
                listed_files.add(entry.url)
                crawl.files.append(entry)
                if len(crawl.files) > policy.max_waf_files:
                    crawl.failure = f"the WAF lists more than {policy.max_waf_files:,} files (max_waf_files)"
            if crawl.failure:
                return crawl
    if not crawl.files:
        crawl.failure = f"found no .xml files in the listing at {base_url} or its subfolders"
    log.debug("crawled %s: %d listings, %d files", base_url, listings, len(crawl.files))
    return crawl


def _past_bound(folder_url: str, depth: int, folders: int, policy: FetchPolicy) -> str | None:
    """Why a newly found folder cannot be crawled (too deep, too many listings), else None."""
    if depth > policy.max_waf_depth:
        return (
            f"the folder {bounded(folder_url, 200)} is more than {policy.max_waf_depth} levels below the WAF "
            "(max_waf_depth); the crawl would be incomplete"
        )
    if folders >= policy.max_waf_listings:
        return f"the WAF has more than {policy.max_waf_listings:,} folder listings (max_waf_listings)"
    return None
