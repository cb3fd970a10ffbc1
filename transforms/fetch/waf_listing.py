"""Web Accessible Folders: read directory listings (Apache, nginx, IIS) and crawl them for .xml files.

A listing is plain HTML written by the web server, so it is read with a tolerant regular
expression over anchors rather than an HTML parser: the three servers differ in layout
(Apache puts rows in a table with the date after the link, nginx pads a <pre> with the date
after the link, IIS puts the date before the link), and the date is found on the same line.
"""

import html
import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urldefrag, urljoin, urlsplit

from transforms.fetch.http import FetchPolicy, FetchResult, fetch

log = logging.getLogger(__name__)

_ANCHOR = re.compile(
    r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>.*?</a\s*>""", re.IGNORECASE | re.DOTALL
)
_LINE_BREAK = re.compile(r"<br\s*/?>|\n|</tr\s*>|<tr\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
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


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def _scope(base_url: str) -> str:
    """The URL prefix a crawl stays under: the base folder (a trailing file name like index.html dropped)."""
    url = urldefrag(base_url)[0].split("?", 1)[0]
    if url.endswith("/"):
        return url
    last = url.rsplit("/", 1)[-1]
    return url.rsplit("/", 1)[0] + "/" if "." in last else url + "/"


def parse_listing(page: str, page_url: str, scope: str | None = None) -> list[ListingEntry]:
    """The .xml files and subfolders a listing page links to, under `scope` (default: the page's folder).

    Sort links (``?C=N;O=D``), parent links, fragments and links that leave the scope are dropped.
    """
    scope = scope or _scope(page_url)
    anchors = list(_ANCHOR.finditer(page))
    entries, seen = [], set()
    for index, anchor in enumerate(anchors):
        href = html.unescape(next(group for group in anchor.groups() if group is not None)).strip()
        if not href or href.startswith(("#", "?", "mailto:", "javascript:")):
            continue
        url = urldefrag(urljoin(page_url, href))[0]
        parts = urlsplit(url)
        if parts.query or not url.startswith(scope) or url == scope or url in seen:
            continue
        is_folder = parts.path.endswith("/")
        if not is_folder and not parts.path.lower().endswith(".xml"):
            continue
        seen.add(url)
        after_end = anchors[index + 1].start() if index + 1 < len(anchors) else len(page)
        before_start = anchors[index - 1].end() if index else 0
        same_line_after = _LINE_BREAK.split(page[anchor.end() : after_end], maxsplit=1)[0]
        same_line_before = _LINE_BREAK.split(page[before_start : anchor.start()])[-1]
        modified = parse_listing_date(_plain(same_line_after)) or parse_listing_date(_plain(same_line_before))
        entries.append(ListingEntry(url=url, modified=modified, is_folder=is_folder))
    return entries


def _page_text(result: FetchResult) -> str:
    body = result.body or b""
    charset = re.search(r"charset=([\w.-]+)", result.content_type or "", re.IGNORECASE)
    try:
        return body.decode(charset.group(1) if charset else "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def crawl_waf(
    base_url: str,
    policy: FetchPolicy,
    max_depth: int = 8,
    max_listings: int = 5000,
    fetch_page: Callable[[str, FetchPolicy], FetchResult] = fetch,
) -> WafCrawl:
    """Walk a WAF's listings breadth first (bounded depth, each folder once, never above the base).

    The base listing failing, or no .xml file anywhere, is a failure (a WAF that lists nothing is
    far more often a broken server than an emptied folder, and a failure deletes nothing).
    """
    crawl, scope = WafCrawl(), _scope(base_url)
    queue, visited, listed_files = deque([(base_url, 0)]), {base_url, scope}, set()
    listings = 0
    while queue:
        url, depth = queue.popleft()
        if listings >= max_listings:
            crawl.problems.append(f"stopped after {max_listings} folder listings; {len(queue) + 1} not read")
            break
        listings += 1
        result = fetch_page(url, policy)
        if not result.ok:
            if url == base_url:
                crawl.failure = (
                    f"the WAF listing could not be read: {result.error or f'HTTP {result.status}'}"
                )
                return crawl
            crawl.problems.append(
                f"folder listing could not be read: {result.error or f'HTTP {result.status}'}"
            )
            continue
        page_url = result.final_url or url
        for entry in parse_listing(_page_text(result), page_url, scope):
            if entry.is_folder:
                if entry.url not in visited and depth < max_depth:
                    visited.add(entry.url)
                    queue.append((entry.url, depth + 1))
            elif entry.url not in listed_files:
                listed_files.add(entry.url)
                crawl.files.append(entry)
    if not crawl.files:
        crawl.failure = f"found no .xml files in the listing at {base_url} or its subfolders"
    log.debug("crawled %s: %d listings, %d files", base_url, listings, len(crawl.files))
    return crawl
