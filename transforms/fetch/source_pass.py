"""The first extract pass, per source: read a catalog, a WAF's listings or a single document.

Each function yields item dicts (see ``transforms.fetch.extract.ITEMS``): ``record`` rows, ``todo``
rows (WAF files the second pass fetches) and, last, exactly one ``status`` row. A source that
cannot be read yields its failed status and no records, so it deletes nothing downstream.
"""

import logging
import time
from collections.abc import Iterator

from transforms.fetch import dcatus3_catalog, transport
from transforms.fetch.datajson import CatalogError, dataset_record, inspect_catalog, iter_datasets
from transforms.fetch.http import FetchPolicy
from transforms.fetch.xml_files import xml_record
from transforms.registry import DCATUS3, Source

log = logging.getLogger(__name__)


def _status(source: Source, reason: str | None = None, **fields) -> dict:
    return {
        "kind": "status",
        "source_id": source.id,
        "status": "failed" if reason else "complete",
        "reason": reason,
        **fields,
    }


def datajson_items(source: Source, policy: FetchPolicy) -> Iterator[dict]:
    """A data.json source: the catalog streamed from a spooled body, one record per dataset entry
    (per Dataset, DataService, CatalogRecord and DatasetSeries of a DCAT-US 3.0 catalog)."""
    result = transport.open_catalog(source.url, policy)
    if not result.ok:
        yield _status(source, result.error or f"HTTP {result.status} from {source.url}")
        return
    version3 = source.schema == DCATUS3
    with result.stream as stream:
        try:
            info = inspect_catalog(stream, require_dataset=not version3)
            if version3:
                records, walk = dcatus3_catalog.catalog_records(stream)
                info.conforms_to = dcatus3_catalog.conforms_to(walk)
            else:
                records = ({"position": i, **dataset_record(i, v)} for i, v in iter_datasets(stream))
        except CatalogError as error:
            yield _status(source, str(error))
            return
        for record in records:
            yield {
                "kind": "record",
                "source_id": source.id,
                "raw_format": "json",
                "fetch_status": "fetched",
                **record,
            }
    yield _status(source, conforms_to=info.conforms_to, described_by=info.described_by)


def waf_items(source: Source, policy: FetchPolicy) -> Iterator[dict]:
    """A WAF (or WAF collection): crawl the listings, yield a todo per .xml file (and the parent record)."""
    crawl = transport.crawl(source.url, policy)
    if crawl.failure:
        yield _status(source, crawl.failure, problems=crawl.problems)
        return
    parent_identifier, position = None, 0
    if source.type == "waf-collection":
        # Fetched unconditionally: its fileIdentifier is what every child points to.
        todo = {"source_id": source.id, "record_url": source.collection_url, "position": 0}
        parent = xml_record(
            todo, transport.read_document(source.collection_url, policy), read_identifier=True
        )
        if parent["fetch_status"] == "error":
            yield _status(
                source,
                f"the collection record could not be fetched: {parent['error']}",
                problems=crawl.problems,
            )
            return
        parent_identifier, position = parent["file_identifier"] or source.collection_url, 1
        yield {"kind": "record", **parent}
    for offset, entry in enumerate(crawl.files):
        yield {
            "kind": "todo",
            "source_id": source.id,
            "record_url": entry.url,
            "parent_identifier": parent_identifier,
            "position": position + offset,
            "listed_modified": entry.modified,
            "listed_etag": entry.etag,
        }
    yield _status(source, problems=crawl.problems, todo_count=len(crawl.files))


def document_items(source: Source, policy: FetchPolicy, validators: dict) -> Iterator[dict]:
    """A single ISO document: one record, conditional on the validators the catalog holds for it."""
    etag, last_modified = validators.get((source.id, source.url), (None, None))
    todo = {
        "source_id": source.id,
        "record_url": source.url,
        "position": 0,
        "etag": etag,
        "last_modified": last_modified,
    }
    row = xml_record(todo, transport.read_document(source.url, policy, etag, last_modified))
    if row["fetch_status"] == "error":
        yield _status(source, row["error"])
        return
    yield {"kind": "record", **row}
    yield _status(source)


def source_items(source: Source, policy: FetchPolicy, document_validators: dict) -> Iterator[dict]:
    """Every item of one source; an unexpected error becomes the source's failed status, never a task failure."""
    started = time.monotonic()
    policy = transport.policy_for(policy, source)
    try:
        if source.type == "datajson":
            items = datajson_items(source, policy)
        elif source.type == "iso-document":
            items = document_items(source, policy, document_validators)
        else:
            items = waf_items(source, policy)
        for item in items:
            if item["kind"] == "status":
                item["seconds"] = time.monotonic() - started
            yield item
    except Exception as error:  # one source must never fail the others sharing its task
        log.exception("extract %s failed unexpectedly", source.id)
        yield _status(
            source,
            f"unexpected error while reading the source: {error!r}",
            seconds=time.monotonic() - started,
        )
