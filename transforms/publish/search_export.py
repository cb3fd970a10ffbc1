"""The search index's documents from a harvest database, and the ``_bulk`` files that carry them.

A first load of data.gov's OpenSearch index (or a rebuild) indexes every ``dataset`` row of the
harvester's tables: :func:`dataset_rows` reads them with their organization and harvest record,
:func:`write_bulk_files` writes the ``_bulk`` request bodies, each small enough for one request.
A run's changes go the same way into ``runs/<run_id>/search/`` (:func:`run_search_folder`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from transforms import lake
from transforms.publish.search_documents import (
    DEFAULT_CATALOG_BASE_URL,
    Row,
    bulk_actions,
    search_document,
)

if TYPE_CHECKING:  # the lake-only paths never import the database driver
    import psycopg

# One _bulk request each: Amazon OpenSearch Service refuses bodies over 10 MiB on its smaller
# instance types, and its documentation suggests 5-15 MiB per request as the efficient size.
MAX_FILE_BYTES = 5 * 1024 * 1024
DATASET_QUERY = """SELECT d.id, d.slug, d.dcat, d.translated_spatial, d.organization_id, d.harvest_source_id,
    d.harvest_record_id, d.popularity, d.last_harvested_date, r.source_transform
FROM dataset AS d LEFT JOIN harvest_record AS r ON r.id = d.harvest_record_id
ORDER BY d.id"""


def dataset_rows(conn: psycopg.Connection) -> Iterator[tuple[Row, Row | None, Row | None]]:
    """Each dataset row with its organization row and harvest record (only ``source_transform``), by id.

    The organizations are few and read once; the datasets stream through a server-side cursor.
    """
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cursor:
        organizations = {row["id"]: row for row in cursor.execute("SELECT * FROM organization")}
    with conn.cursor("search_export", row_factory=dict_row) as cursor:
        cursor.itersize = 500
        cursor.execute(DATASET_QUERY)
        for row in cursor:
            transform = row.pop("source_transform")
            record = {"source_transform": transform} if row["harvest_record_id"] else None
            yield row, organizations.get(row["organization_id"]), record


def database_documents(
    conn: psycopg.Connection, catalog_base_url: str = DEFAULT_CATALOG_BASE_URL
) -> Iterator[dict[str, Any]]:
    """Every dataset's search document, from the harvest database behind ``conn``."""
    for dataset, organization, record in dataset_rows(conn):
        yield search_document(dataset, organization, record, catalog_base_url)


def bulk_bodies(actions: Iterable[str], max_bytes: int = MAX_FILE_BYTES) -> Iterator[str]:
    """The actions of :func:`bulk_actions` gathered into ``_bulk`` bodies of at most ``max_bytes`` each.

    An action is never split; one larger than ``max_bytes`` goes alone.
    """
    body: list[str] = []
    size = 0
    for action in actions:
        action_size = len(action.encode("utf-8"))
        if body and size + action_size > max_bytes:
            yield "".join(body)
            body, size = [], 0
        body.append(action)
        size += action_size
    if body:
        yield "".join(body)


def write_bulk_files(folder: str, actions: Iterable[str], max_bytes: int = MAX_FILE_BYTES) -> list[str]:
    """Write the ``_bulk`` bodies as ``part-00000.ndjson``, ... under ``folder`` (a path or s3:// URI); their URIs."""
    written = []
    for number, body in enumerate(bulk_bodies(actions, max_bytes)):
        uri = lake.join(folder, f"part-{number:05d}.ndjson")
        lake.write_text(uri, body, content_type="application/x-ndjson")
        written.append(uri)
    return written


def run_search_folder(lake_root: str, run_id: str) -> str:
    """Where a run leaves its search index changes: ``runs/<run_id>/search``."""
    return lake.run_path(lake_root, run_id, "search")


def write_run_changes(
    lake_root: str,
    run_id: str,
    documents: Iterable[dict[str, Any]],
    deleted_ids: Iterable[str],
) -> list[str]:
    """A run's index changes: an index action per created or updated dataset, a delete per deleted one."""
    return write_bulk_files(run_search_folder(lake_root, run_id), bulk_actions(documents, deleted_ids))
