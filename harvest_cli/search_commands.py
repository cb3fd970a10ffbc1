"""``harvest search-export``: data.gov's search index documents for every dataset of a harvest database.

For a first load of the catalog's OpenSearch index, or a rebuild: reads the harvester's tables
(``dataset``, ``organization``, ``harvest_record``), writes the ``_bulk`` bodies that index every
dataset (transforms/publish/search/export.py) and, given an OpenSearch URL, sends them.
"""

from harvest_cli.exit_codes import OK, UsageError
from transforms import lake
from transforms.publish.db_config import DB_URL_ENVIRONMENT, configured_db_url, resolve_db_url
from transforms.publish.search.documents import DEFAULT_CATALOG_BASE_URL
from transforms.publish.search.index import OPENSEARCH_URL_ENVIRONMENT, configured_opensearch_url


def search_export(
    db_url_argument: str,
    out: str,
    catalog_base_url: str,
    opensearch_url_argument: str = "",
    opensearch_secret: str = "",
) -> int:
    """Write (and with an OpenSearch URL, send) the index documents of every dataset in the database."""
    from transforms.publish.connection import connect
    from transforms.publish.search.documents import bulk_actions
    from transforms.publish.search.export import database_documents, write_bulk_files

    try:
        db_url = configured_db_url(db_url_argument)
        opensearch_url = configured_opensearch_url(opensearch_url_argument)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not db_url:
        raise UsageError(
            f"no harvest database: set {DB_URL_ENVIRONMENT} (or pass --db-url without a password)"
        )
    if lake.folder_exists(out):  # the parts of an older, larger dump would pass for this one's
        raise UsageError(f"--out {out} already exists: give a new folder for the dump")
    counted = 0

    def counting(documents):
        nonlocal counted
        for document in documents:
            counted += 1
            yield document

    with connect(resolve_db_url(db_url)) as conn:
        files = write_bulk_files(out, bulk_actions(counting(database_documents(conn, catalog_base_url))))
    print(f"wrote {counted} dataset documents in {len(files)} _bulk file(s) to {out}")
    if opensearch_url:
        from transforms.publish.search.index import opensearch_client, send_bulk_files

        sent = send_bulk_files(opensearch_client(opensearch_url, opensearch_secret), files)
        print(f"sent {sent} actions to {opensearch_url}")
    return OK


def add_search_commands(commands, common, add_command) -> None:
    """Add search-export (``add_command`` is the CLI's subcommand builder)."""
    export = add_command(
        commands,
        "search-export",
        "write data.gov's search index documents for every dataset of a harvest database",
        "Reads the harvester's tables (dataset, organization, harvest_record) and writes the OpenSearch\n"
        "_bulk bodies that index every dataset as data.gov's catalog expects (part-00000.ndjson, ...,\n"
        "each at most 5 MiB). With --opensearch-url (or $HARVEST_OPENSEARCH_URL) it also sends them.",
        "harvest search-export --db-url postgresql://harvest@db.internal/harvest --out ./search-dump",
        common,
    )
    export.add_argument(
        "--db-url",
        default="",
        help=f"database URL without password, or a Secrets Manager ARN (default: ${DB_URL_ENVIRONMENT})",
    )
    export.add_argument(
        "--out", required=True, help="a new folder or s3:// URI to write the _bulk files into"
    )
    export.add_argument(
        "--catalog-base-url",
        default=DEFAULT_CATALOG_BASE_URL,
        help=f"the catalog site the documents' harvest record links point at (default: {DEFAULT_CATALOG_BASE_URL})",
    )
    export.add_argument(
        "--opensearch-url",
        default="",
        help=f"also send the files to this OpenSearch, without a password (default: ${OPENSEARCH_URL_ENVIRONMENT})",
    )
    export.add_argument(
        "--opensearch-secret",
        default="",
        metavar="ARN",
        help="Secrets Manager secret with the OpenSearch credentials (username/password or access_key/secret_key)",
    )
    export.set_defaults(
        func=lambda a: search_export(
            a.db_url, a.out, a.catalog_base_url, a.opensearch_url, a.opensearch_secret
        )
    )
