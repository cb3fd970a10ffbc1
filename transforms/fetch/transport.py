"""The one place that decides how a URL is read: from the harvest machine's disk or over HTTP.

Every read in extract goes through these functions, so the file-or-HTTP choice, and the rule
that only a source with ``allow_private_network: true`` may read the disk (``file://``), are
taken here once.
"""

from dataclasses import replace
from functools import lru_cache

from transforms.fetch import disk
from transforms.fetch.http import FetchPolicy, FetchResult, fetch, fetch_to_spool, within_deadline
from transforms.fetch.waf_listing import WafCrawl, crawl_waf
from transforms.registry import Source


@lru_cache(maxsize=8)
def _with_private(policy: FetchPolicy, allowed: bool) -> FetchPolicy:
    return replace(policy, allow_private_network=allowed)


def policy_for(policy: FetchPolicy, source: Source) -> FetchPolicy:
    """The run's fetch policy with the source's own private-network permission."""
    return _with_private(policy, source.allow_private_network)


def is_on_disk(url: str) -> bool:
    """True for a ``file:`` URL: read from this machine's disk, with no network to wait on."""
    return disk.is_file_url(url)


def refusal(url: str, policy: FetchPolicy) -> str | None:
    """Why ``url`` may not be read under ``policy`` (a disk URL without the private permission), else None."""
    if is_on_disk(url) and not policy.allow_private_network:
        return f"{url} is on the harvest machine's disk; only a source with allow_private_network: true may read file:// URLs"
    return None


def read_document(
    url: str,
    policy: FetchPolicy,
    etag: str | None = None,
    last_modified: str | None = None,
    deadline: float | None = None,
) -> FetchResult:
    """One document (an XML record) in memory; a 304 when the validators still match.

    ``deadline`` (``time.time()``, the source's time budget) cuts the fetch's own total timeout.
    """
    refused = refusal(url, policy)
    if refused:
        return FetchResult(url=url, error=refused)
    if is_on_disk(url):
        return disk.fetch_file(url, policy, etag)
    return fetch(url, within_deadline(policy, deadline), etag, last_modified)


def open_catalog(url: str, policy: FetchPolicy, deadline: float | None = None) -> FetchResult:
    """A big document (a data.json catalog) as ``result.stream``; the caller closes it."""
    refused = refusal(url, policy)
    if refused:
        return FetchResult(url=url, error=refused)
    return (
        disk.open_file(url, policy)
        if is_on_disk(url)
        else fetch_to_spool(url, within_deadline(policy, deadline))
    )


def crawl(url: str, policy: FetchPolicy, deadline: float | None = None) -> WafCrawl:
    """Every .xml file a WAF (or a folder on disk) lists, within the policy's bounds and the deadline."""
    refused = refusal(url, policy)
    if refused:
        return WafCrawl(failure=refused)
    if is_on_disk(url):
        return disk.crawl_folder(url, policy, deadline)
    return crawl_waf(url, policy, deadline=deadline)
