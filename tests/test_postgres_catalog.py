"""The PostgreSQL catalog database, against a real server on 127.0.0.1."""

import json

import boto3
import psycopg
import pytest
from moto import mock_aws

from tests.postgres_server import postgres_url  # noqa: F401
from transforms.publish.connection import ensure_schema
from transforms.publish.datagov import register_sources
from transforms.publish.db_config import resolve_db_url
from transforms.publish.postgres import publish_changes
from transforms.registry import parse_registry

pytestmark = pytest.mark.postgres

ACCEPTED = (
    "source_id string, identifier string, action string, slug string, dcat_json string, content_hash string, "
    "raw string, raw_format string"
)
SOURCES = parse_registry(
    "sources:\n"
    + "".join(
        f"  - {{id: {name}, title: {name} catalog, organization: Example Agency, "
        f"url: 'https://{name}.example.gov/data.json', type: datajson, schema: dcatus1.1-federal}}\n"
        for name in ("agency", "other", "frozen")
    )
)


def change(identifier, action="create", source_id="agency", slug=None, dcat=None, title=None, raw=None):
    title = title if title is not None else f"Title {identifier}"
    dcat_json = dcat if dcat is not None else json.dumps({"identifier": identifier, "title": title})
    return (
        source_id,
        identifier,
        action,
        slug or f"slug-{identifier}",
        None if action == "delete" else dcat_json,
        f"hash-{identifier}",
        raw if raw is not None or action == "delete" else dcat_json,
        "json",
    )


@pytest.fixture
def db(postgres_url):  # noqa: F811
    """A migrated catalog database with the test sources registered and nothing published."""
    ensure_schema(postgres_url)
    with psycopg.connect(postgres_url) as conn:
        conn.execute("TRUNCATE public.organization, catalog.source_key CASCADE")
        register_sources(conn, SOURCES)
    return postgres_url


def publish(spark, db_url, rows, run_id="r1"):
    results = publish_changes(spark.createDataFrame(rows, ACCEPTED), db_url, run_id).collect()
    return {(row.source_id, row.identifier): (row.db_status, row.db_error) for row in results}


def stored(db_url):
    """(source_id, identifier) -> slug, content hash, title and the run whose harvest_record published it."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            """SELECT v.source_id, v.identifier, v.slug, v.content_hash, v.title, run
            FROM catalog.dataset AS v, unnest(ARRAY['r1', 'r2']) AS run
            WHERE v.harvest_record_id = catalog.harvest_id('harvest-record', run, v.source_id, v.identifier)
            ORDER BY 1, 2"""
        ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_ensure_schema_runs_each_migration_once(db):
    ensure_schema(db)  # a second time: nothing pending, nothing fails
    with psycopg.connect(db) as conn:
        versions = [
            row[0] for row in conn.execute("SELECT version FROM catalog.schema_migrations ORDER BY 1")
        ]
        staged = {
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'catalog' "
                "AND table_name = 'lake_snapshot'"
            )
        }
    assert versions == [
        "0001_dataset",
        "0002_lake_sync",
        "0003_dcat_version_record_type",
        "0004_datagov_schema",
        "0005_lake_snapshot_organization",
    ]
    # reconcile stages what it compares with every dataset column load writes (the organization from the registry)
    assert {
        "slug",
        "dcat_json",
        "content_hash",
        "record_type",
        "organization",
        "translated_spatial",
    } <= staged
    assert not {"source_title", "dcat_version"} & staged


def test_creates_updates_and_deletes_are_applied_per_source(spark, db):
    first = publish(spark, db, [change("a"), change("b"), change("c"), change("x", source_id="other")])
    assert set(first.values()) == {("ok", None)}
    second = publish(
        spark,
        db,
        [
            change("a", "update", title="Renamed"),
            change("b", "delete"),
            change("d"),
            change("x", "delete", source_id="other"),
        ],
        run_id="r2",
    )
    assert set(second.values()) == {("ok", None)}
    assert stored(db) == {
        ("agency", "a"): ("slug-a", "hash-a", "Renamed", "r2"),
        ("agency", "c"): ("slug-c", "hash-c", "Title c", "r1"),
        ("agency", "d"): ("slug-d", "hash-d", "Title d", "r2"),
    }
    with psycopg.connect(db) as conn:  # rows that name no class are datasets
        kinds = conn.execute("SELECT DISTINCT type::text FROM public.dataset").fetchall()
        records = conn.execute(
            """SELECT r.identifier, r.action::text, r.status::text, r.source_raw IS NOT NULL, j.status::text
            FROM public.harvest_record AS r JOIN public.harvest_job AS j ON j.id = r.harvest_job_id
            ORDER BY r.date_created, 1"""
        ).fetchall()
    assert kinds == [("dataset",)]
    # one harvest_record per change, in its run's job (open until load closes it); history is kept
    assert records == [
        ("a", "create", "success", True, "in_progress"),
        ("b", "create", "success", True, "in_progress"),
        ("c", "create", "success", True, "in_progress"),
        ("x", "create", "success", True, "in_progress"),
        ("a", "update", "success", True, "in_progress"),
        ("b", "delete", "success", False, "in_progress"),
        ("d", "create", "success", True, "in_progress"),
        ("x", "delete", "success", False, "in_progress"),
    ]


def test_records_the_database_refuses_are_isolated_and_the_rest_of_the_source_commits(spark, db):
    publish(spark, db, [change("taken", source_id="other", slug="shared-slug")])
    results = publish(
        spark,
        db,
        [
            change("good-1"),
            change("bad-json", dcat='{"title": "unterminated'),
            change("nul", raw='{"title": "Water\x00Quality"}'),
            change("escaped-nul", dcat='{"title": "a\\u0000b"}'),
            change("slug-clash", slug="shared-slug"),
            change("good-2"),
        ],
    )
    assert results[("agency", "good-1")] == ("ok", None)
    assert results[("agency", "good-2")] == ("ok", None)
    refused = {key[1]: error for key, (status, error) in results.items() if status == "refused"}
    assert sorted(refused) == ["bad-json", "escaped-nul", "nul", "slug-clash"]
    assert "invalid input syntax for type json" in refused["bad-json"]
    assert "0x00" in refused["nul"]
    assert "unsupported Unicode escape sequence" in refused["escaped-nul"]
    assert "ix_dataset_slug" in refused["slug-clash"] and "shared-slug" in refused["slug-clash"]
    assert set(stored(db)) == {("agency", "good-1"), ("agency", "good-2"), ("other", "taken")}
    with psycopg.connect(db) as conn:  # a refused row leaves no harvest_record behind either
        recorded = {row[0] for row in conn.execute("SELECT identifier FROM public.harvest_record")}
    assert recorded == {"good-1", "good-2", "taken"}


def test_a_source_the_database_refuses_entirely_does_not_stop_the_others(spark, db):
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("""CREATE FUNCTION catalog.refuse_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'source frozen is frozen'; END $$""")
        conn.execute("""CREATE TRIGGER frozen BEFORE INSERT ON public.dataset FOR EACH ROW
            WHEN (NEW.harvest_source_id = catalog.harvest_id('harvest-source', 'frozen'))
            EXECUTE FUNCTION catalog.refuse_frozen()""")
    try:
        results = publish(
            spark, db, [change("f1", source_id="frozen"), change("f2", source_id="frozen"), change("ok")]
        )
    finally:
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute("DROP TRIGGER frozen ON public.dataset")
            conn.execute("DROP FUNCTION catalog.refuse_frozen()")
    assert results[("frozen", "f1")] == ("refused", "source frozen is frozen")
    assert results[("frozen", "f2")] == ("refused", "source frozen is frozen")
    assert results[("agency", "ok")] == ("ok", None)
    assert set(stored(db)) == {("agency", "ok")}


def test_an_unreachable_database_refuses_every_row_with_the_connection_error(spark, postgres_url):  # noqa: F811
    unreachable = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    results = publish(spark, unreachable, [change("a"), change("b", source_id="other")])
    assert {status for status, _ in results.values()} == {"refused"}
    assert all("no_such_database" in error for _, error in results.values())


@mock_aws
def test_a_secrets_manager_arn_resolves_to_the_url_it_stores():
    client = boto3.client("secretsmanager", region_name="us-east-1")
    plain = client.create_secret(Name="catalog-db", SecretString="postgresql://u:p@db.internal:5432/catalog")[
        "ARN"
    ]
    rds = client.create_secret(
        Name="catalog-rds",
        SecretString=json.dumps(
            {
                "username": "harvest",
                "password": "p@ss/word",
                "host": "db.internal",
                "port": 5433,
                "dbname": "catalog",
            }
        ),
    )["ARN"]
    assert resolve_db_url(plain) == "postgresql://u:p@db.internal:5432/catalog"
    assert resolve_db_url(rds) == "postgresql://harvest:p%40ss%2Fword@db.internal:5433/catalog"
    assert resolve_db_url("postgresql://localhost/x") == "postgresql://localhost/x"


@mock_aws
@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1"])
def test_a_secret_arn_of_another_partition_is_read_from_secrets_manager(region):
    client = boto3.client("secretsmanager", region_name=region)
    arn = client.create_secret(Name="catalog-db", SecretString="postgresql://u@db.internal/catalog")["ARN"]
    assert arn.startswith(("arn:aws-us-gov:", "arn:aws-cn:"))
    assert resolve_db_url(arn) == "postgresql://u@db.internal/catalog"


def test_every_connection_has_a_statement_timeout(db):
    from transforms.publish.connection import STATEMENT_TIMEOUT_MS, connect

    with connect(db) as conn:
        (timeout,) = conn.execute("SELECT current_setting('statement_timeout')").fetchone()
    assert STATEMENT_TIMEOUT_MS == 600_000 and timeout == "10min"


def test_load_stage_rows_with_fresh_slugs_publish_as_they_come(spark, db):
    """The load stage's own frames: VALIDATED rows -> accepted changes -> slugs -> registry columns -> database."""
    from transforms.publish.next_version import accepted_changes
    from transforms.publish.slugs import assign_slugs
    from transforms.schemas import CATALOG_STATE, VALIDATED

    def validated(identifier, title, action="create", decision="accept", **more):
        values = dict.fromkeys(VALIDATED.fieldNames())
        values.update(
            source_id="agency",
            identifier=identifier,
            action=action,
            decision=decision,
            title=title,
            content_hash=f"hash-{identifier}",
            dcat_json=json.dumps({"identifier": identifier, "title": title}),
            **more,
        )
        return tuple(values[name] for name in VALIDATED.fieldNames())

    rows = [
        validated("a", "Rain Gauges", record_type="Dataset", dcat_version="1.1"),
        validated("b", "Rain gauges!", record_type="DataService", dcat_version="3.0"),
        validated("c", "Río Flow", decision="reject"),
    ]
    accepted = assign_slugs(
        accepted_changes(spark.createDataFrame(rows, VALIDATED)), spark.createDataFrame([], CATALOG_STATE)
    )
    results = publish_changes(accepted, db, "r1").collect()
    assert sorted((row.identifier, row.db_status) for row in results) == [("a", "ok"), ("b", "ok")]
    with psycopg.connect(db) as conn:
        published = conn.execute(
            "SELECT identifier, slug, organization, source_title, record_type::text FROM catalog.dataset ORDER BY 1"
        ).fetchall()
    assert published == [
        ("a", "rain-gauges", "Example Agency", "agency catalog", "dataset"),
        ("b", "rain-gauges-1", "Example Agency", "agency catalog", "data_service"),
    ]
