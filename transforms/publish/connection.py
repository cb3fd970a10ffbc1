"""The catalog database connection: the one place a connection is opened, and the schema brought up to date.

Every connection to the catalog database (load, reconcile, the CLI, the Spark tasks) is opened by
``connect``, so this is where a URL is checked (``db_config.checked_db_url``: DatabaseUrlError) and
where a failure to connect becomes DatabaseUnreachable, told by ``db_config.connection_failure``
(``catalog database host:port/db: reason (class)``): libpq's message may repeat the URL, password
included, and is not passed on (nor chained: tracebacks would show it).

``ensure_schema`` runs the versioned SQL files in migrations/ that have not run yet, recorded in
``catalog.schema_migrations``. The modules that write data.gov's tables (``postgres``, ``datagov``,
``reconcile``) all import from here, and this module imports none of them.
"""

import logging
from importlib import resources

import psycopg

from transforms.publish.db_config import checked_db_url, connection_failure, resolve_db_url

log = logging.getLogger(__name__)

SCHEMA = "catalog"  # this project's own bookkeeping; data.gov's tables are in public (migrations/0004)
MIGRATION_LOCK = 7_246_001  # pg_advisory_xact_lock key: one migrator at a time
# Per statement: a source's merge of 200,000 rows takes well under a minute; ten is a hang, not work.
STATEMENT_TIMEOUT_MS = 600_000
UTC_NOW = "(now() AT TIME ZONE 'UTC')"  # H2.0's columns are timestamps without time zone, in UTC


class DatabaseUnreachable(psycopg.OperationalError):
    """The catalog database could not be connected to; the message names the database, never the URL."""


def connect(url: str, **options) -> psycopg.Connection:
    """A connection with the harvest's timeouts: no statement may hang a load (or hold its locks) for hours.

    DatabaseUrlError for a URL libpq would not read as one (never repeated); DatabaseUnreachable, with
    the database's host, port and name and the reason in our words, when the connection fails.
    """
    checked_db_url(url)
    try:
        return psycopg.connect(
            url, connect_timeout=30, options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}", **options
        )
    except psycopg.Error as error:
        raise DatabaseUnreachable(connection_failure(url, error)) from None


def migrations() -> list[tuple[str, str]]:
    """(version, SQL) of every migrations/*.sql file, in order; the version is the file name without .sql."""
    folder = resources.files("transforms.publish") / "migrations"  # works from a wheel or zip too
    files = sorted((entry for entry in folder.iterdir() if entry.name.endswith(".sql")), key=lambda e: e.name)
    return [(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")) for entry in files]


def ensure_schema(db_url: str) -> None:
    """Create the catalog schema when absent and run the migrations that have not run yet."""
    with connect(resolve_db_url(db_url)) as conn:  # one transaction, committed at exit
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute(f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations
            (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())""")
        done = {row[0] for row in conn.execute(f"SELECT version FROM {SCHEMA}.schema_migrations")}
        for version, sql in migrations():
            if version not in done:
                conn.execute(sql)
                conn.execute(f"INSERT INTO {SCHEMA}.schema_migrations (version) VALUES (%s)", (version,))
                log.info("catalog database: migration %s applied", version)
