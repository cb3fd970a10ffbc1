"""The first extract pass, per source: read a catalog, a WAF's listings or a single document.

Each function yields item dicts (see ``transforms.fetch.extract.ITEMS``): ``record`` rows, ``todo``
rows (WAF files the second pass fetches) and, last, exactly one ``status`` row. A source that
cannot be read yields its failed status and no records, so it deletes nothing downstream.

Two guards, and only two: :func:`source_items` per source (whatever a source raises, or its time
budget running out, fails that source alone with a short reason) and :func:`dataset_item` per
data.json dataset (whatever one dataset raises rejects that dataset alone).
"""

import hashlib
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import IO

from transforms.fetch import dcatus3_catalog, transport
from transforms.fetch.datajson import (
    CatalogError,
    CatalogInfo,
    dataset_identifier,
    dataset_record,
    inspect_catalog,
    iter_datasets,
)
from transforms.fetch.http import FetchPolicy
from transforms.fetch.xml_files import xml_record
from transforms.isolation import bounded, internal_error, isolated, require_utf8
from transforms.registry import DCATUS3, Source
from transforms.schemas import FetchStatus, SourceState

log = logging.getLogger(__name__)


class BudgetSpent(Exception):
    """The source's time budget ran out; the source fails and deletes nothing."""


def _status(source: Source, reason: str | None = None, state: SourceState | None = None, **fields) -> dict:
    return {
        "kind": "status",
        "source_id": source.id,
        "status": state or (SourceState.FAILED if reason else SourceState.COMPLETE),
        "reason": bounded(reason) if reason else None,
        **fields,
    }


def _check_budget(source: Source, deadline: float) -> None:
    if time.time() > deadline:
        raise BudgetSpent(f"the source's time budget of {source.time_budget_s:g} s ran out while reading it")


class BudgetedStream:
    """A seekable body whose every read first checks the source's time budget.

    The catalog passes read through it, so the budget holds inside the parse of one dataset too: a
    read is at most 64 KiB (or one string of a bounded size), and the work each read allows is linear
    in what it read (transforms.fetch.json_guard).
    """

    def __init__(self, raw: IO[bytes], source: Source, deadline: float):
        self.raw, self.source, self.deadline = raw, source, deadline

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the body; BudgetSpent once the budget has run out."""
        _check_budget(self.source, self.deadline)
        return self.raw.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move in the body, as ``io`` streams do."""
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        """Where in the body the next read starts."""
        return self.raw.tell()


def dataset_item(source: Source, index: int, value, info: CatalogInfo) -> dict:
    """The record item of one data.json dataset: the extract guard of one dataset."""
    row = {
        "kind": "record",
        "source_id": source.id,
        "position": index,
        "raw_format": "json",
        "fetch_status": FetchStatus.FETCHED,
    }

    def rejected(reason: str) -> dict:
        identifier = isolated("extract", lambda: dataset_identifier(value, info), lambda _: None)
        return {**row, "identifier": identifier, "raw": None, "error": reason, "warnings": []}

    return isolated("extract", lambda: require_utf8({**row, **dataset_record(index, value, info)}), rejected)


def datajson_items(
    source: Source, policy: FetchPolicy, deadline: float, carried_sha256: str | None = None
) -> Iterator[dict]:
    """A data.json source: the catalog streamed from a spooled body, one record per dataset entry
    (per Dataset, DataService, CatalogRecord and DatasetSeries of a DCAT-US 3.0 catalog).

    ``carried_sha256``: the document the last run read, whose verdicts this run may carry
    (transforms.repeat_run); a body with that sha256 yields only its ``carried`` status.
    """
    result = transport.open_catalog(source.url, policy, deadline)
    if not result.ok:
        yield _status(source, result.error or f"HTTP {result.status} from {source.url}")
        return
    version3 = source.schema == DCATUS3
    with result.stream as body:
        sha256 = stream_sha256(body)  # what a later run compares (transforms.repeat_run)
        if sha256 == carried_sha256:
            yield _status(source, state=SourceState.CARRIED, document_sha256=sha256)
            return
        stream = BudgetedStream(body, source, deadline)
        try:
            info = inspect_catalog(stream, require_dataset=not version3)
            if version3:  # each entry is guarded in dcatus3_catalog, as dataset_item guards a 1.1 dataset
                records, walk = dcatus3_catalog.catalog_records(stream, info)
                info.conforms_to = dcatus3_catalog.conforms_to(walk)
        except CatalogError as error:
            yield _status(source, str(error))
            return
        if version3:
            for record in records:
                _check_budget(source, deadline)
                yield {"kind": "record", "source_id": source.id, "raw_format": "json", **record}
        else:
            for index, value in iter_datasets(stream, info):
                _check_budget(source, deadline)
                yield dataset_item(source, index, value, info)
    yield _status(
        source, conforms_to=info.conforms_to, described_by=info.described_by, document_sha256=sha256
    )


def stream_sha256(stream) -> str:
    """sha256 of a seekable body, read in blocks; the stream is rewound for its reader."""
    digest = hashlib.sha256()
    stream.seek(0)
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def _check_deadline(source: Source, deadline: float | None) -> float:
    """The earlier of the caller's deadline and the end of the source's own time budget from now."""
    budget_end = time.time() + source.time_budget_s
    return budget_end if deadline is None else min(deadline, budget_end)


def document_sha256(
    source: Source, policy: FetchPolicy | None = None, deadline: float | None = None
) -> str | None:
    """sha256 of a data.json source's document fetched as extract fetches it; None when it cannot be read
    (by ``deadline``, ``time.time()``, if given)."""
    policy = transport.policy_for(policy or FetchPolicy(), source)
    try:
        result = transport.open_catalog(source.url, policy, _check_deadline(source, deadline))
        if not result.ok:
            return None
        with result.stream as stream:
            return stream_sha256(stream)
    except Exception as error:  # noqa: BLE001 - a source that cannot be read is simply not a repeat
        log.info("data.json of %s not hashed: %s", source.id, bounded(repr(error)))
        return None


def waf_unchanged(
    source: Source, files: list[list], policy: FetchPolicy | None = None, deadline: float | None = None
) -> bool:
    """Whether a WAF still lists exactly ``files`` ([url, etag, last_modified] in listing order, what
    the last run fetched) and each still answers "not modified", read as extract reads them.

    A file is unchanged when the listing shows its ETag (a folder on disk) or a conditional request
    with its validators gets a 304; at most ``connections_per_host`` requests are in flight. False at
    the first difference, a listing that could not be read in full, or anything that cannot be read
    (by ``deadline``, ``time.time()``, if given).
    """
    policy = transport.policy_for(policy or FetchPolicy(), source)
    # The crawl runs on the driver: a listing grown past the files recorded is a change already, so it
    # stops there (a WAF that suddenly lists 500,000 files is not walked whole before Spark starts).
    policy = replace(policy, max_waf_files=min(policy.max_waf_files, len(files)))
    deadline = _check_deadline(source, deadline)

    def unchanged(entry, validators: list) -> bool:
        _url, etag, last_modified = validators
        if entry.etag is not None and entry.etag == etag:
            return True
        return transport.read_document(entry.url, policy, etag, last_modified, deadline).not_modified

    try:
        crawl = transport.crawl(source.url, policy, deadline)
        if crawl.failure or crawl.problems or [entry.url for entry in crawl.files] != [f[0] for f in files]:
            return False
        with ThreadPoolExecutor(policy.connections_per_host, thread_name_prefix="unchanged") as pool:
            for same in pool.map(unchanged, crawl.files, files):
                if not same:
                    pool.shutdown(cancel_futures=True)
                    return False
        return True
    except Exception as error:  # noqa: BLE001 - a WAF that cannot be checked is simply read again
        log.info("WAF of %s not checked: %s", source.id, bounded(repr(error)))
        return False


def _partial_reason(problems: list[str]) -> str:
    return (
        f"{len(problems)} folder listing(s) could not be read in full, so nothing is deleted this run "
        f"(first: {problems[0]})"
    )


def waf_items(source: Source, policy: FetchPolicy, deadline: float) -> Iterator[dict]:
    """A WAF (or WAF collection): crawl the listings, yield a todo per .xml file (and the parent record).

    A listing that could not be read in full makes the source ``partial``: what was listed is
    harvested, and nothing is deleted (an unread folder looks just like a deleted one).
    """
    crawl = transport.crawl(source.url, policy, deadline)
    problems = [bounded(problem) for problem in crawl.problems]
    if crawl.failure:
        yield _status(source, crawl.failure, problems=problems)
        return
    parent_identifier, position = None, 0
    if source.type == "waf-collection":
        # Fetched unconditionally: its fileIdentifier is what every child points to.
        todo = {"source_id": source.id, "record_url": source.collection_url, "position": 0}
        parent = xml_record(
            todo,
            transport.read_document(source.collection_url, policy, deadline=deadline),
            read_identifier=True,
        )
        if parent["fetch_status"] == FetchStatus.ERROR:
            yield _status(
                source, f"the collection record could not be fetched: {parent['error']}", problems=problems
            )
            return
        parent_identifier, position = parent["file_identifier"] or source.collection_url, 1
        yield {"kind": "record", **require_utf8(parent)}
    for offset, entry in enumerate(crawl.files):
        yield {
            "kind": "todo",
            "source_id": source.id,
            "record_url": entry.url,
            "parent_identifier": parent_identifier,
            "position": position + offset,
            "listed_modified": entry.modified,
            "listed_etag": entry.etag,
            "deadline": deadline,
        }
    if problems:
        yield _status(
            source,
            _partial_reason(problems),
            SourceState.PARTIAL,
            problems=problems,
            todo_count=len(crawl.files),
        )
    else:
        yield _status(source, problems=problems, todo_count=len(crawl.files))


def document_items(source: Source, policy: FetchPolicy, validators: dict, deadline: float) -> Iterator[dict]:
    """A single ISO document: one record, conditional on the validators the catalog holds for it."""
    etag, last_modified = validators.get((source.id, source.url), (None, None))
    todo = {
        "source_id": source.id,
        "record_url": source.url,
        "position": 0,
        "etag": etag,
        "last_modified": last_modified,
    }
    row = xml_record(todo, transport.read_document(source.url, policy, etag, last_modified, deadline))
    if row["fetch_status"] == FetchStatus.ERROR:
        yield _status(source, row["error"])
        return
    yield {"kind": "record", **require_utf8(row)}
    yield _status(source)


def source_items(
    source: Source, policy: FetchPolicy, document_validators: dict, carried: dict[str, str] | None = None
) -> Iterator[dict]:
    """Every item of one source: the extract guard of one source.

    ``carried``: source id -> sha256 of the data.json whose verdicts the run may carry.

    Whatever reading the source raises, or its time budget running out, becomes the source's
    failed status with a short reason (never the publisher's text), never a task failure.
    """
    started = time.monotonic()
    deadline = time.time() + source.time_budget_s
    policy = transport.policy_for(policy, source)
    try:
        if source.type == "datajson":
            items = datajson_items(source, policy, deadline, (carried or {}).get(source.id))
        elif source.type == "iso-document":
            items = document_items(source, policy, document_validators, deadline)
        else:
            items = waf_items(source, policy, deadline)
        for item in items:
            if item["kind"] == "status":
                item["seconds"] = time.monotonic() - started
            yield item
    except BudgetSpent as spent:
        yield _status(source, str(spent), seconds=time.monotonic() - started)
    except Exception as error:  # the source's one guard: one source must never fail the others in its task
        log.warning("extract %s failed: %s", source.id, bounded(repr(error)))
        log.debug("extract %s: traceback", source.id, exc_info=True)
        reason = internal_error("extract", error, "internal error while reading the source")
        yield _status(source, reason, seconds=time.monotonic() - started)
