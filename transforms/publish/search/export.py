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
from transforms.publish.search.documents import (
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
{where}ORDER BY d.id"""
# A run's jobs, one per source (their ids are derived as transforms/publish/postgres.py derives them).
RUN_JOBS = "SELECT catalog.harvest_id('harvest-job', %(run_id)s, s) FROM unnest(%(sources)s::text[]) AS s"
# The datasets a run created or updated: their harvest record is one of the run's.
RUN_DATASETS = f"WHERE r.harvest_job_id IN ({RUN_JOBS})\n"
# The datasets a run deleted (and did not create again).
RUN_DELETES = f"""SELECT catalog.harvest_id('dataset', k.source_id, r.identifier) AS id
FROM public.harvest_record AS r JOIN catalog.source_key AS k ON k.harvest_source_id = r.harvest_source_id
WHERE r.action = 'delete' AND r.harvest_job_id IN ({RUN_JOBS})
    AND NOT EXISTS (SELECT 1 FROM public.dataset AS d WHERE d.id = catalog.harvest_id('dataset', k.source_id, r.identifier))
ORDER BY 1"""


def dataset_rows(
    conn: psycopg.Connection, where: str = "", params: dict | None = None
) -> Iterator[tuple[Row, Row | None, Row | None]]:
    """Each dataset row (or those ``where`` selects) with its organization row and harvest record (only
    ``source_transform``), by id.

    The organizations are few and read once; the datasets stream through a server-side cursor.
    """
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cursor:
        organizations = {row["id"]: row for row in cursor.execute("SELECT * FROM organization")}
    with conn.cursor("search_export", row_factory=dict_row) as cursor:
        cursor.itersize = 500
        cursor.execute(DATASET_QUERY.format(where=where), params)
        for row in cursor:
            transform = row.pop("source_transform")
            record = {"source_transform": transform} if row["harvest_record_id"] else None
            yield row, organizations.get(row["organization_id"]), record


def database_documents(
    conn: psycopg.Connection,
    catalog_base_url: str = DEFAULT_CATALOG_BASE_URL,
    where: str = "",
    params: dict | None = None,
) -> Iterator[dict[str, Any]]:
    """Every dataset's search document (or those of the rows ``where`` selects), from the database behind ``conn``."""
    for dataset, organization, record in dataset_rows(conn, where, params):
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


def write_run_search_changes(
    conn: psycopg.Connection,
    lake_root: str,
    run_id: str,
    source_ids: list[str],
    catalog_base_url: str = DEFAULT_CATALOG_BASE_URL,
) -> list[str]:
    """After load: the run's index changes under ``runs/<run_id>/search/``, read back from the database the
    load wrote (so each document is built from the rows the catalog reads); the files' URIs."""
    params = {"run_id": run_id, "sources": source_ids}
    deleted = [row[0] for row in conn.execute(RUN_DELETES, params)]
    documents = database_documents(conn, catalog_base_url, RUN_DATASETS, params)
    return write_run_changes(lake_root, run_id, documents, deleted)
