"""Sources on the harvest machine's own disk (``file://`` URLs): the same results as an HTTP fetch.

A ``file://`` source reads a catalog or a folder of XML from disk, so a benchmark can measure
everything but the network and an operator can harvest a mirrored WAF. The answers have the
shape of :mod:`transforms.fetch.http`'s: a body, a 304 or an error message for the publisher.

The validator is ``"<size>-<mtime_ns>"`` in hex, handed back as the ETag, so a re-harvest of an
unchanged file answers "not modified" from one ``stat`` without reading it, as a web server's
304 does. Only registry entries with ``allow_private_network: true`` may use ``file://`` (see
``transforms.registry``): the machine's disk is as private as a network gets.
"""

import email.utils
import os
import time
from datetime import datetime
from pathlib import Path
from stat import S_ISLNK, S_ISREG
from urllib.parse import quote_from_bytes, unquote, urlsplit

from transforms.fetch.http import FetchPolicy, FetchResult
from transforms.fetch.waf_listing import ListingEntry, WafCrawl


def is_file_url(url: str) -> bool:
    """True for a ``file:`` URL."""
    return url[:5].lower() == "file:"


def file_path(url: str) -> Path:
    """The local path of a ``file://`` URL (percent-decoded; a host other than localhost is refused)."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(
            f"{url} names host {parts.netloc!r}; a file:// URL can only read this machine's disk"
        )
    return Path(unquote(parts.path))


def _etag(stat: os.stat_result) -> str:
    """The ETag of a file: it changes whenever the file's size or modification time does."""
    return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'


def _file_uri(path: str) -> str:
    """``Path(path).as_uri()`` of an absolute path, without a Path object: a crawl makes one per file."""
    if not path.startswith("/"):
        raise ValueError("relative path can't be expressed as a file URI")  # as pathlib says it
    return "file://" + quote_from_bytes(os.fsencode(path))


def _open(url: str, limit: int, etag: str | None):
    """(result, open file or None, its size): a 304 when ``etag`` still matches, an error, or an open file."""
    try:
        path = file_path(url)
        stat = path.stat()
    except (OSError, ValueError) as error:
        return (
            FetchResult(url=url, error=f"could not read {url}: {getattr(error, 'strerror', None) or error}"),
            None,
            0,
        )
    if not S_ISREG(stat.st_mode):  # from the one stat: this runs once per file of a WAF
        return FetchResult(url=url, error=f"could not read {url}: not a file"), None, 0
    new_etag = _etag(stat)
    last_modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
    result = FetchResult(url=url, final_url=url, etag=new_etag, last_modified=last_modified)
    if etag == new_etag:
        result.status = 304
        return result, None, 0
    if stat.st_size > limit:
        result.error = f"{url} is {stat.st_size} bytes; the limit is {limit} bytes"
        return result, None, 0
    try:
        handle = path.open("rb")
    except OSError as error:
        result.error = f"could not read {url}: {error.strerror or error}"
        return result, None, 0
    result.status = 200
    return result, handle, stat.st_size


def fetch_file(url: str, policy: FetchPolicy, etag: str | None = None) -> FetchResult:
    """Read a file into memory (up to policy.max_body_bytes); a 304 when ``etag`` is its current validator."""
    limit = policy.max_body_bytes
    result, handle, size = _open(url, limit, etag)
    if handle is not None:
        with handle:
            # A read of the stat's size and one byte more, not of the limit: a read of n bytes first
            # allocates n (the 20 MB limit for each 40 KB file of a WAF). The limit still counts what is
            # read, not the stat: a file that grew after it is read on, up to one byte past the limit.
            body = handle.read(size + 1)
            if len(body) > size:
                body += handle.read(limit + 1 - len(body))
        if len(body) > limit:
            result.status, result.error = (None, f"{url} is larger than the limit of {limit} bytes")
        else:
            result.body = body
    return result


def open_file(url: str, policy: FetchPolicy, etag: str | None = None) -> FetchResult:
    """A big file (a data.json catalog) as ``result.stream``, opened in place; the caller closes it."""
    result, handle, _size = _open(url, policy.max_catalog_bytes, etag)
    result.stream = handle
    return result


def crawl_folder(base_url: str, policy: FetchPolicy, deadline: float | None = None) -> WafCrawl:
    """Every .xml file under a local folder, in path order, as a WAF crawl would list them.

    Each entry carries the file's ETag, so extract can tell an unchanged file without opening it.

    Symbolic links are not followed, so a crawl never leaves the folder. As for a WAF, a folder
    that cannot be read or holds no .xml file is a failure, which deletes nothing downstream; a
    subfolder that cannot be read is a problem (the source deletes nothing); a folder deeper than
    ``policy.max_waf_depth``, more folders or files than the policy allows, or the ``deadline``
    passing, fails the crawl rather than truncating it.
    """
    crawl = WafCrawl()
    try:
        root = file_path(base_url)
    except ValueError as error:
        crawl.failure = str(error)
        return crawl
    if not root.is_dir():
        crawl.failure = f"the folder {root} could not be read: it does not exist or is not a folder"
        return crawl

    def walk_error(error: OSError) -> None:
        crawl.problems.append(f"folder {error.filename} could not be read: {error.strerror}")

    for listings, (folder, folders, files) in enumerate(os.walk(root, onerror=walk_error), start=1):
        depth = len(Path(folder).relative_to(root).parts)
        real = [name for name in folders if not os.path.islink(os.path.join(folder, name))]  # never walked
        crawl.failure = _past_bound(folder, real, depth, listings, policy, deadline)
        if crawl.failure:
            return crawl
        folders.sort()
        for name in sorted(files):
            if not name.lower().endswith(".xml"):
                continue
            # Plain strings, not Path objects: os.walk's folder is already the root's normal form.
            path = os.path.join(folder, name)
            stat = os.lstat(path)  # one system call per file: symlink test, date and ETag
            if not S_ISLNK(stat.st_mode):
                modified = datetime.fromtimestamp(stat.st_mtime).isoformat(timespec="seconds")
                crawl.files.append(ListingEntry(_file_uri(path), modified, False, etag=_etag(stat)))
        if len(crawl.files) > policy.max_waf_files:
            crawl.failure = f"the folder holds more than {policy.max_waf_files:,} .xml files (max_waf_files)"
            return crawl
    if not crawl.files:
        crawl.failure = f"found no .xml files in the folder {root} or its subfolders"
    return crawl


def _past_bound(
    folder: str, subfolders: list[str], depth: int, listings: int, policy: FetchPolicy, deadline: float | None
) -> str | None:
    """Why the crawl cannot go on at this folder (a bound reached), else None."""
    if deadline is not None and time.time() > deadline:
        return f"the source's time budget ran out while reading its folders ({listings - 1} read)"
    if subfolders and depth >= policy.max_waf_depth:
        return (
            f"the folder {Path(folder, sorted(subfolders)[0])} is more than {policy.max_waf_depth} levels "
            "below the source's folder (max_waf_depth); the crawl would be incomplete"
        )
    if listings > policy.max_waf_listings:
        return f"the source has more than {policy.max_waf_listings:,} folders (max_waf_listings)"
    return None
