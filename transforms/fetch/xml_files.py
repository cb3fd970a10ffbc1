"""XML records of WAFs and ISO documents: fetch many files in parallel and decode them.

One Spark task fetches its share of a WAF with a thread pool (``threads_per_task``) and at most
``connections_per_host`` requests in flight to any one host, so a publisher's server sees a
bounded, polite load however many files the WAF has. Files on disk (``file://``) are read in the
task's own thread: there is no network to wait on, and threads would only contend for the GIL.

The fileIdentifier is read here only for a collection's parent record, whose identifier every
child points to; for every other file the transform stage reads it while parsing the document.
"""

import codecs
import io
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import nullcontext
from urllib.parse import urlsplit

from lxml import etree

from transforms.fetch import transport
from transforms.fetch.http import FetchPolicy, FetchResult
from transforms.isolation import bounded, isolated, require_utf8
from transforms.registry import Source
from transforms.safety.xml_safety import HARDENED_OPTIONS, XML_DECLARATION
from transforms.schemas import FetchStatus
from transforms.text import ACCEPTED_NAMES, accepted_codec, content_type_charset

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# UTF-16 and UTF-32 without a byte order mark: the first characters, "<?" or "<", say which (XML 1.0, appendix F).
_WIDE_STARTS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._:-]*)["']""")
_IDENTIFIER_ELEMENTS = ("fileIdentifier", "metadataIdentifier")  # ISO 19139 / 19115-2, ISO 19115-3
TIME_BUDGET_SPENT = "the source's time budget ran out before this file was fetched"


class XmlDecodeError(ValueError):
    """The bytes do not decode in the document's encoding; the message is written for the publisher."""


def xml_encoding(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(encoding, where it came from) of an XML body.

    A byte order mark wins, then the byte pattern of UTF-16 or UTF-32 without one, then the XML
    declaration, then the HTTP charset, then UTF-8. The declaration comes before the HTTP header
    because web servers label every .xml file with a default charset whatever the file says,
    while the declaration is written by the tool that produced the document.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return encoding, "byte order mark"
    for start, encoding in _WIDE_STARTS:
        if body.startswith(start):
            return encoding, "byte pattern"
    declared = _DECLARED.match(body[:512])
    if declared:
        return declared.group(1).decode("ascii").lower(), "XML declaration"
    charset = content_type_charset(content_type)
    if charset:
        return charset.lower(), "HTTP Content-Type"
    return "utf-8", "default"


def decode_xml(body: bytes, content_type: str | None = None) -> str:
    """The text of an XML body in its own encoding; XmlDecodeError when the bytes are invalid or the
    encoding is not one real metadata uses (UTF-7 and its kind produce text no later stage can hold)."""
    encoding, origin = xml_encoding(body, content_type)
    codec = accepted_codec(encoding)
    if codec is None:
        raise XmlDecodeError(
            f"character encoding {bounded(encoding, 40)!r} (from the {origin}) is not accepted; "
            f"use {ACCEPTED_NAMES}"
        )
    try:
        return body.decode(codec)
    except UnicodeDecodeError as error:
        bad = error.object[error.start : error.start + 1].hex()
        name = codecs.lookup(codec).name.upper().replace("UTF-8-SIG", "UTF-8")
        where = "" if origin == "default" else f" (from the {origin})"
        raise XmlDecodeError(
            f"file is not valid {name}{where}: byte 0x{bad} at offset {error.start}"
        ) from None


def read_file_identifier(text: str) -> str | None:
    """The fileIdentifier (or 19115-3 metadataIdentifier code) of a decoded XML document, else None.

    A streaming read that stops at the identifier, with the hardened parser settings: no DTD, no
    entities, no network. A document that is not well formed just has no identifier here; the
    transform stage reports why it cannot be read.
    """
    data = XML_DECLARATION.sub("", text, count=1).encode("utf-8")
    events = etree.iterparse(io.BytesIO(data), events=("end",), encoding="utf-8", **HARDENED_OPTIONS)
    try:
        for _event, element in events:
            if isinstance(element.tag, str) and element.tag.rpartition("}")[2] in _IDENTIFIER_ELEMENTS:
                for node in element.iter():
                    if isinstance(node.tag, str) and node.text and node.text.strip():
                        return node.text.strip()
                return None
    except (etree.XMLSyntaxError, ValueError):
        return None
    return None


def xml_record(todo: dict, result: FetchResult, read_identifier: bool = False) -> dict:
    """The EXTRACT_RECORDS fields of one fetched (or not modified, or failed) XML file.

    ``read_identifier`` also reads its fileIdentifier (a collection's parent record needs it at once).
    """
    row = {
        "source_id": todo["source_id"],
        "identifier": todo["record_url"],
        "record_url": todo["record_url"],
        "file_identifier": None,
        "parent_identifier": todo.get("parent_identifier"),
        "etag": result.etag or todo.get("etag"),
        "last_modified": result.last_modified or todo.get("last_modified") or todo.get("listed_modified"),
        "position": todo.get("position"),
        "raw_format": "xml",
        "raw": None,
        "fetch_status": FetchStatus.FETCHED,
        "error": None,
        "warnings": [],
    }
    if result.not_modified:
        row["fetch_status"] = FetchStatus.NOT_MODIFIED
    elif not result.ok:
        row.update(
            fetch_status=FetchStatus.ERROR,
            error=bounded(result.error or f"HTTP {result.status} from {todo['record_url']}"),
        )
    else:
        try:
            row["raw"] = decode_xml(result.body, result.content_type)
        except XmlDecodeError as error:
            row["error"] = str(error)
    if read_identifier and row["raw"]:
        row["file_identifier"] = read_file_identifier(row["raw"])
    return row


def fetch_xml_records(todos: Iterable[dict], policy: FetchPolicy, sources: list[Source]) -> Iterator[dict]:
    """Fetch every todo (source_id, record_url, etag, last_modified, listed_etag, ...) and yield its record row.

    Rows come back in completion order (``position`` keeps the listing order). At most
    2 x threads_per_task requests are queued, so a task holds few bodies at a time.
    """
    host_slots: dict[str, threading.BoundedSemaphore] = {}
    lock = threading.Lock()
    policies = {source.id: transport.policy_for(policy, source) for source in sources}

    def host_slot(url: str) -> threading.BoundedSemaphore:
        host = urlsplit(url).netloc.lower()
        with lock:
            return host_slots.setdefault(host, threading.BoundedSemaphore(policy.connections_per_host))

    def fetch_one(todo: dict, on_disk: bool) -> dict:
        if todo.get("listed_etag") is not None and todo["listed_etag"] == todo.get("etag"):
            # The listing already shows the catalog's ETag (a folder on disk): unchanged, nothing to read.
            return xml_record(todo, FetchResult(url=todo["record_url"], status=304))
        deadline = todo.get("deadline")
        if deadline is not None and time.time() > deadline:
            return xml_record(todo, FetchResult(url=todo["record_url"], error=TIME_BUDGET_SPENT))
        # A file on disk is read in the task's own thread, one at a time: no host to share, no slot to take.
        with nullcontext() if on_disk else host_slot(todo["record_url"]):
            result = transport.read_document(
                todo["record_url"],
                policies[todo["source_id"]],
                todo.get("etag"),
                todo.get("last_modified"),
                deadline,
            )
        return require_utf8(xml_record(todo, result))

    def guarded(todo: dict, on_disk: bool) -> dict:
        """The extract guard of one WAF file: whatever it raises, the file is an error row, never the task's end."""

        def failed(reason: str) -> dict:
            return xml_record(todo, FetchResult(url=todo["record_url"], error=reason))

        return isolated("extract", lambda: fetch_one(todo, on_disk), failed, todo["record_url"])

    with ThreadPoolExecutor(max_workers=policy.threads_per_task, thread_name_prefix="fetch") as pool:
        pending = set()
        for todo in todos:
            if transport.is_on_disk(todo["record_url"]):
                yield guarded(todo, on_disk=True)
                continue
            pending.add(pool.submit(guarded, todo, False))
            if len(pending) >= 2 * policy.threads_per_task:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        for future in pending:
            yield future.result()
