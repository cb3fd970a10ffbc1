"""The project's migrations build data.gov's harvest database, against a real PostgreSQL on 127.0.0.1: a
snapshot data.gov's harvester dumped loads into it unchanged, and a database loads wrote before moves
into it without losing a published row or the lake-sync note."""

import json
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.postgres_server import find_postgres_bin, fresh_db_url, postgres_url  # noqa: F401
from transforms.publish.connection import ensure_schema, migrations

pytestmark = pytest.mark.postgres

ANCHORS = Path(__file__).resolve().parents[2] / "shared" / "anchors"
SNAPSHOT = ANCHORS / "datagov-catalog" / "tests" / "data" / "harvester_snapshot" / "postgres.sql"
DATAGOV_TABLES = [
    "dataset",
    "harvest_job",
    "harvest_job_error",
    "harvest_record",
    "harvest_record_error",
    "harvest_source",
    "organization",
]


def tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return [name for (name,) in rows]


def snapshot_script(server_version: int, has_locations: bool) -> str:
    """The dump as this server can run it: PostgreSQL 17's SET transaction_timeout dropped on older
    servers, and the (empty) locations section dropped where there is no PostGIS, hence no table."""
    text = SNAPSHOT.read_text(encoding="utf-8")
    if server_version < 170000:
        text = text.replace("SET transaction_timeout = 0;\n", "")
    if not has_locations:
        start = text.index("--\n-- Data for Name: locations;")
        end = text.index("ALTER TABLE public.locations ENABLE TRIGGER ALL;\n") + len(
            "ALTER TABLE public.locations ENABLE TRIGGER ALL;\n"
        )
        assert "\\.\n" in text[start:end] and text[start:end].count("\t") == 0  # no rows are dropped
        text = text[:start] + text[end:]
    return text


def test_the_migrations_create_datagovs_tables_in_public(fresh_db_url):  # noqa: F811
    ensure_schema(fresh_db_url)
    ensure_schema(fresh_db_url)  # a second time: nothing pending, nothing fails
    present = tables(fresh_db_url)
    assert set(DATAGOV_TABLES) <= set(present)
    with psycopg.connect(fresh_db_url) as conn:
        versions = [
            row[0] for row in conn.execute("SELECT version FROM catalog.schema_migrations ORDER BY 1")
        ]
        # the test server's superuser may create any extension the server has
        postgis = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
        enums = dict(
            conn.execute(
                """SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] FROM pg_type AS t
                JOIN pg_enum AS e ON e.enumtypid = t.oid GROUP BY t.typname"""
            ).fetchall()
        )
    assert versions == [version for version, _ in migrations()]
    assert ("locations" in present) == bool(postgis)  # the gazetteer only where PostGIS is
    if postgis:
        with psycopg.connect(fresh_db_url) as conn:
            geometry = conn.execute(
                "SELECT type FROM public.geometry_columns WHERE f_table_name = 'locations'"
            ).fetchone()
        assert geometry == ("MULTIPOLYGON",)
    assert enums["record_type"] == ["dataset", "data_service", "catalog_record", "data_series"]
    assert enums["schema_type"][-1] == "dcatus3.0" and "csdgm" not in enums["schema_type"]


@pytest.mark.skipif(not SNAPSHOT.exists(), reason=f"data.gov's harvester snapshot is not here ({SNAPSHOT})")
def test_the_harvester_snapshot_loads_into_the_migrated_schema_unchanged(fresh_db_url):  # noqa: F811
    ensure_schema(fresh_db_url)
    with psycopg.connect(fresh_db_url) as conn:
        version = conn.info.server_version
    script = snapshot_script(version, "locations" in tables(fresh_db_url))
    psql = find_postgres_bin() / "psql"
    result = subprocess.run(
        [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", fresh_db_url],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with psycopg.connect(fresh_db_url) as conn:
        counts = {
            table: conn.execute(f"SELECT count(*) FROM public.{table}").fetchone()[0]
            for table in DATAGOV_TABLES
        }
        joined = conn.execute(
            """SELECT d.slug, o.slug, s.schema_type::text, r.action::text, d.type::text FROM public.dataset AS d
            JOIN public.organization AS o ON o.id = d.organization_id
            JOIN public.harvest_source AS s ON s.id = d.harvest_source_id
            JOIN public.harvest_record AS r ON r.id = d.harvest_record_id ORDER BY 1"""
        ).fetchall()
    assert counts == {
        "dataset": 2,
        "harvest_job": 16,
        "harvest_job_error": 0,
        "harvest_record": 10,
        "harvest_record_error": 0,
        "harvest_source": 1,
        "organization": 1,
    }
    # the columns the dump leaves out take H2.0's defaults
    assert joined == [
        ("fixture-dataset-1", "fixture-org", "dcatus1.1: federal", "create", "dataset"),
        ("fixture-dataset-2", "fixture-org", "dcatus1.1: federal", "create", "dataset"),
    ]


def _apply(url: str, versions: list[str]) -> None:
    """Run some migrations by hand, as an older release of the project did."""
    with psycopg.connect(url) as conn:
        conn.execute("CREATE SCHEMA catalog")
        conn.execute(
            "CREATE TABLE catalog.schema_migrations (version text PRIMARY KEY, applied_at timestamptz)"
        )
        for version, sql in migrations():
            if version in versions:
                conn.execute(sql)
                conn.execute("INSERT INTO catalog.schema_migrations (version) VALUES (%s)", (version,))


def test_a_database_of_the_old_catalog_table_moves_into_datagovs_tables(fresh_db_url):  # noqa: F811
    _apply(fresh_db_url, ["0001_dataset", "0002_lake_sync", "0003_dcat_version_record_type"])
    box = {"title": "Coast", "spatial": "-124.7,24.5,-66.9,49.4"}
    with psycopg.connect(fresh_db_url) as conn:
        conn.execute(
            """INSERT INTO catalog.dataset (source_id, identifier, slug, title, organization, source_title, record_url,
                content_hash, dcat, first_harvested, last_harvested, last_run_id, dcat_version, record_type)
            VALUES
            ('agency', 'a', 'water', 'Water', 'Example Agency', 'Agency data.json', 'https://x/a', 'h-a',
                '{"title": "Water"}', '2026-01-01T00:00Z', '2026-01-01T00:00Z', 'r1', '1.1', 'Dataset'),
            ('agency', 'b', 'service', 'Service', 'Example Agency', 'Agency data.json', 'https://x/b', 'h-b',
                '{"title": "Service"}', '2026-01-01T00:00Z', '2026-02-01T00:00Z', 'r2', '3.0', 'DataService'),
            ('coast', 'c', 'coast', 'Coast', 'Example Agency!', 'Coast WAF', 'https://y/c.xml', 'h-c',
                %s, '2026-01-01T00:00Z', '2026-01-01T00:00Z', 'r1', '1.1', 'Dataset')""",
            (json.dumps(box),),
        )
        conn.execute(
            "INSERT INTO catalog.lake_sync (lake, state, version, run_id) VALUES ('/lake', 'synced', 'r2', 'r2')"
        )

    ensure_schema(fresh_db_url)
    with psycopg.connect(fresh_db_url) as conn:
        note = conn.execute("SELECT lake, state, version, run_id FROM catalog.lake_sync").fetchone()
        view = conn.execute(
            """SELECT source_id, identifier, slug, content_hash, dcat ->> 'title', record_type::text, organization
            FROM catalog.dataset ORDER BY 1, 2"""
        ).fetchall()
        organizations = conn.execute("SELECT name, slug FROM public.organization ORDER BY 1").fetchall()
        records = conn.execute(
            "SELECT identifier, action::text, status::text, source_hash FROM public.harvest_record ORDER BY 1"
        ).fetchall()
        jobs = conn.execute("SELECT count(*), sum(records_added) FROM public.harvest_job").fetchone()
    assert note == ("/lake", "synced", "r2", "r2")
    assert view == [
        ("agency", "a", "water", "h-a", "Water", "dataset", "Example Agency"),
        ("agency", "b", "service", "h-b", "Service", "data_service", "Example Agency"),
        ("coast", "c", "coast", "h-c", "Coast", "dataset", "Example Agency!"),
    ]
    # two names that make the same slug: the second gets its id's start
    assert organizations[0] == ("Example Agency", "example-agency")
    assert organizations[1][0] == "Example Agency!" and organizations[1][1].startswith("example-agency-")
    assert records == [
        ("a", "create", "success", "h-a"),
        ("b", "update", "success", "h-b"),
        ("c", "create", "success", "h-c"),
    ]
    assert jobs == (3, 3)  # one job per (source, run) that last changed a row
