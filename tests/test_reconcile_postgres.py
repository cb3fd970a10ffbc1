"""The catalog database can always be reconciled with the lake, against a real PostgreSQL on 127.0.0.1:
`harvest reconcile` finds and repairs drift, and a load that crashed between the database and the lake
is repaired by the next load."""

import json

import psycopg
import pytest

from glue_jobs import load as load_job
from harvest_cli import main as cli
from tests.postgres_server import fresh_db_url, postgres_url  # noqa: F401
from tests.rows import row
from tests.test_load_job import EXPECTED, PUBLISHED, crash, prepare
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import current_version, read_state, switch_pointer, write_version
from transforms.publish import publication
from transforms.publish.reconcile import DatabaseNotReconciled, reconcile
from transforms.registry import parse_registry
from transforms.schemas import CATALOG_STATE

pytestmark = pytest.mark.postgres

REGISTRY = parse_registry(
    """
sources:
  - id: agency
    title: Agency data.json
    organization: Agency
    url: https://agency.example.gov/data.json
    type: datajson
    schema: dcatus1.1-federal
"""
)


def published(identifier: str):
    return row(
        CATALOG_STATE,
        source_id="agency",
        identifier=identifier,
        content_hash=f"old-{identifier}",
        dcat_json=json.dumps({"title": f"Title {identifier}"}),
        slug=f"slug-{identifier}",
        record_url=f"https://agency.example.gov/{identifier}",
        last_changed_run="r0",
    )


@pytest.fixture
def lake(spark, tmp_path):
    root = str(tmp_path / "lake")
    state = spark.createDataFrame([published(i) for i in ("kept", "edited", "gone")], CATALOG_STATE)
    write_version(state, root, "v0", "r0", None)
    switch_pointer(root, "v0", None)
    return root


def lake_rows(spark, lake) -> dict:
    state = read_state(spark, lake, current_version(lake))
    return {r.identifier: (r.slug, r.content_hash, json.loads(r.dcat_json)) for r in state.collect()}


def database_rows(url) -> dict:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT identifier, slug, content_hash, dcat FROM catalog.dataset").fetchall()
    return {identifier: (slug, content_hash, dcat) for identifier, slug, content_hash, dcat in rows}


def note(url) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT state, version FROM catalog.lake_sync").fetchone()


def test_reconcile_reports_a_deleted_a_modified_and_an_extra_row_and_repairs_them(
    spark,
    lake,
    fresh_db_url,  # noqa: F811
):
    first = reconcile(spark, lake, fresh_db_url, "v0", REGISTRY)
    assert first.counts == {"missing": 3, "extra": 0, "stale": 0} and first.repaired
    assert database_rows(fresh_db_url) == lake_rows(spark, lake)
    with psycopg.connect(fresh_db_url) as conn:
        organization = conn.execute("SELECT DISTINCT organization FROM catalog.dataset").fetchall()
        # the lake keeps no source text: the records reconcile writes have none, in a job of its own
        records = conn.execute(
            """SELECT DISTINCT j.job_type, r.action::text, r.status::text, r.source_raw FROM public.harvest_record AS r
            JOIN public.harvest_job AS j ON j.id = r.harvest_job_id"""
        ).fetchall()
        conn.execute("DELETE FROM public.dataset WHERE id = catalog.harvest_id('dataset', 'agency', 'gone')")
        conn.execute(
            """UPDATE public.dataset SET dcat = '{"title": "Edited by hand"}'
            WHERE id = catalog.harvest_id('dataset', 'agency', 'edited')"""
        )
        conn.execute(
            """INSERT INTO public.harvest_record (id, identifier, harvest_job_id, harvest_source_id, action, status)
            SELECT 'stray-record', 'stray', harvest_job_id, harvest_source_id, 'create', 'success'
            FROM public.harvest_record LIMIT 1"""
        )
        conn.execute(
            """INSERT INTO public.dataset (id, slug, dcat, organization_id, harvest_source_id, harvest_record_id)
            SELECT 'stray-dataset', 'stray', '{}', organization_id, harvest_source_id, 'stray-record'
            FROM public.dataset LIMIT 1"""
        )
    assert organization == [("Agency",)]
    assert records == [("reconcile", "create", "success", None)]

    drift = reconcile(spark, lake, fresh_db_url, "v0", REGISTRY, repair=False)
    assert drift.counts == {"missing": 1, "extra": 1, "stale": 1} and not drift.repaired
    assert drift.examples == {
        "missing": ["agency / gone"],
        "extra": ["agency / stray"],
        "stale": ["agency / edited"],
    }
    assert (drift.lake_records, drift.database_records) == (3, 3)
    assert "stray" in database_rows(fresh_db_url)  # a dry run changes nothing

    assert reconcile(spark, lake, fresh_db_url, "v0", REGISTRY).total == 3
    assert database_rows(fresh_db_url) == lake_rows(spark, lake)
    assert reconcile(spark, lake, fresh_db_url, "v0", REGISTRY).total == 0
    assert note(fresh_db_url) == ("synced", "v0")
    with psycopg.connect(fresh_db_url) as conn:  # the rows put back point at the records still there
        assert conn.execute("SELECT count(*) FROM public.harvest_job").fetchone() == (1,)


def test_harvest_reconcile_takes_the_url_from_the_environment_never_a_password_argument(
    spark,
    lake,
    fresh_db_url,  # noqa: F811
    monkeypatch,
    capsys,
):
    monkeypatch.delenv("HARVEST_DB_URL", raising=False)
    assert cli.main(["reconcile", "--lake", lake, "--db-url", "postgresql://u:secret@127.0.0.1/x"]) == 2
    assert "HARVEST_DB_URL" in capsys.readouterr().err
    monkeypatch.setenv("HARVEST_DB_URL", fresh_db_url)
    assert cli.main(["reconcile", "--lake", lake, "--dry-run"]) == 1
    assert "missing 3, extra 0, stale 0" in capsys.readouterr().out
    assert cli.main(["reconcile", "--lake", lake, "--yes"]) == 0
    assert database_rows(fresh_db_url) == lake_rows(spark, lake) and lake_lock.holder(lake) is None


def test_crash_between_the_database_commit_and_the_lake_write_is_repaired_by_the_rerun(
    spark,
    tmp_path,
    lake,
    fresh_db_url,  # noqa: F811
    monkeypatch,
):
    argv = [*prepare(spark, tmp_path, lake), "--db-url", fresh_db_url]
    monkeypatch.setattr(publication, "write_version", crash("after the database committed"))
    with pytest.raises(OSError, match="simulated crash"):
        load_job.main(argv)
    assert current_version(lake) == "v0" and {i: v[1] for i, v in lake_rows(spark, lake).items()} == PUBLISHED
    assert "new" in database_rows(fresh_db_url)  # the database is ahead of the lake
    assert note(fresh_db_url) == ("applying", "r1")

    monkeypatch.undo()
    load_job.main(argv)
    assert {i: v[1] for i, v in lake_rows(spark, lake).items()} == EXPECTED
    assert database_rows(fresh_db_url) == lake_rows(spark, lake)
    assert note(fresh_db_url) == ("synced", "r1")
    with psycopg.connect(fresh_db_url) as conn:  # the rerun's job alone holds the run's changes, once each
        job = conn.execute(
            """SELECT status::text, records_added, records_updated, records_deleted FROM public.harvest_job
            WHERE id = catalog.harvest_id('harvest-job', 'r1', 'agency')"""
        ).fetchone()
        changes = conn.execute(
            """SELECT identifier, action::text, source_raw FROM public.harvest_record
            WHERE harvest_job_id = catalog.harvest_id('harvest-job', 'r1', 'agency') ORDER BY 1"""
        ).fetchall()
    assert job == ("complete", 1, 1, 1)
    assert changes == [
        ("edited", "update", '{"title": "edited"}'),
        ("gone", "delete", None),
        ("new", "create", '{"title": "new"}'),
    ]


def test_crash_between_the_pointer_switch_and_the_database_note_is_repaired_by_the_rerun(
    spark,
    tmp_path,
    lake,
    fresh_db_url,  # noqa: F811
    monkeypatch,
):
    argv = [*prepare(spark, tmp_path, lake), "--db-url", fresh_db_url]
    monkeypatch.setattr(publication, "_note_synced", crash("after switching the pointer"))
    with pytest.raises(OSError):
        load_job.main(argv)
    assert current_version(lake) == "r1" and note(fresh_db_url) == ("applying", "r1")

    monkeypatch.undo()
    load_job.main(argv)  # finds r1 published: writes nothing, reconciles the database (no drift)
    assert current_version(lake) == "r1" and note(fresh_db_url) == ("synced", "r1")
    assert database_rows(fresh_db_url) == lake_rows(spark, lake)


def test_load_will_not_overwrite_a_database_never_reconciled_with_its_lake(
    spark,
    tmp_path,
    lake,
    fresh_db_url,  # noqa: F811
):
    from transforms.publish.connection import ensure_schema

    ensure_schema(fresh_db_url)
    with psycopg.connect(fresh_db_url) as conn:  # a dataset another harvester published
        conn.execute("INSERT INTO public.organization (id, name, slug) VALUES ('o', 'Other', 'other')")
        conn.execute(
            """INSERT INTO public.harvest_source (id, organization_id, name, url, frequency, schema_type, source_type,
                notification_frequency)
            VALUES ('s', 'o', 'Other', 'https://other.example.gov/data.json', 'daily', 'dcatus1.1: federal',
                'document', 'always')"""
        )
        conn.execute(
            "INSERT INTO public.harvest_job (id, harvest_source_id, status) VALUES ('j', 's', 'complete')"
        )
        conn.execute(
            """INSERT INTO public.harvest_record (id, identifier, harvest_job_id, harvest_source_id, status)
            VALUES ('r', 'precious', 'j', 's', 'success')"""
        )
        conn.execute(
            """INSERT INTO public.dataset (id, slug, dcat, organization_id, harvest_source_id, harvest_record_id)
            VALUES ('d', 'precious', '{}', 'o', 's', 'r')"""
        )
    argv = [*prepare(spark, tmp_path, lake), "--db-url", fresh_db_url]
    with pytest.raises(DatabaseNotReconciled, match="holds 1 datasets and was never reconciled"):
        load_job.main(argv)
    assert current_version(lake) == "v0" and set(database_rows(fresh_db_url)) == {"precious"}


def test_a_row_the_database_refuses_is_reported_rejected_with_the_database_reason(
    spark,
    tmp_path,
    lake,
    fresh_db_url,  # noqa: F811
):
    from transforms.publish.connection import ensure_schema

    ensure_schema(fresh_db_url)
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:
        conn.execute("""CREATE FUNCTION catalog.refuse_new() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'record new is refused'; END $$""")
        conn.execute("""CREATE TRIGGER refuse_new BEFORE INSERT ON public.dataset FOR EACH ROW
            WHEN (NEW.id = catalog.harvest_id('dataset', 'agency', 'new')) EXECUTE FUNCTION catalog.refuse_new()""")
    load_job.main([*prepare(spark, tmp_path, lake), "--db-url", fresh_db_url])

    report = json.loads((tmp_path / "lake" / "runs" / "r1" / "report" / "report.json").read_text())
    assert report["totals"]["created"] == 0 and report["totals"]["rejected"] == 1
    assert [entry["reason"] for entry in report["top_reasons"]] == ["database: record new is refused"]
    assert "new" not in lake_rows(spark, lake) and "new" not in database_rows(fresh_db_url)
