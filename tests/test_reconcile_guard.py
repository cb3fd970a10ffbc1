"""`harvest reconcile` changes nothing it was not asked to, against a real PostgreSQL on 127.0.0.1.

A database synced to one lake is refused when reconcile is pointed at another (it would have deleted
that lake's catalog), unless --adopt-lake says so; the drift is shown and a repair asks first (no
terminal and no --yes: refused); and every column load writes into data.gov's tables is compared,
so a hand-edited slug, DCAT document, organization, type, spatial shape or record is stale, not "stale 0".
"""

import psycopg
import pytest

from harvest_cli import main as cli
from tests.postgres_server import fresh_db_url, postgres_url  # noqa: F401
from tests.test_load_job import REGISTRY
from tests.test_reconcile_postgres import published
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import switch_pointer, write_version
from transforms.publish.reconcile import reconcile
from transforms.registry import parse_registry
from transforms.schemas import CATALOG_STATE

pytestmark = pytest.mark.postgres


def make_lake(spark, root, identifiers) -> str:
    """A lake whose current version (written by run r0 with REGISTRY pinned) holds these records."""
    from transforms.lake.manifest import pin_run

    registry = root.parent / f"{root.name}-sources.yaml"
    registry.write_text(REGISTRY)
    lake = str(root)
    pin_run(lake, "r0", str(registry), False, "", lambda: None)
    state = spark.createDataFrame([published(i) for i in identifiers], CATALOG_STATE)
    write_version(state, lake, "r0", "r0", None)
    switch_pointer(lake, "r0", None)
    return lake


def table(url) -> dict:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT identifier, title, organization FROM catalog.dataset").fetchall()
    return {identifier: (title, organization) for identifier, title, organization in rows}


def note_lake(url) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT lake FROM catalog.lake_sync").fetchone()[0]


def harvest(capsys, monkeypatch, *argv, answer: str | None = None) -> tuple[int, str]:
    """Exit code and output of `harvest reconcile ...`; ``answer`` is typed at a terminal, None: no terminal."""
    monkeypatch.setattr("sys.stdin.isatty", lambda: answer is not None)
    monkeypatch.setattr("builtins.input", lambda prompt: print(prompt) or answer)
    code = cli.main(["reconcile", *argv])
    out, err = capsys.readouterr()
    return code, out + err


def test_a_database_synced_to_another_lake_is_refused_unless_adopted_and_a_repair_asks_first(
    spark,
    tmp_path,
    fresh_db_url,  # noqa: F811
    monkeypatch,
    capsys,
):
    monkeypatch.setenv("HARVEST_DB_URL", fresh_db_url)
    lake_a = make_lake(spark, tmp_path / "lake-a", [f"a{i}" for i in range(8)])
    lake_b = make_lake(spark, tmp_path / "lake-b", ["a0", "b1"])
    assert harvest(capsys, monkeypatch, "--lake", lake_a, "--yes")[0] == 0
    synced = table(fresh_db_url)
    assert len(synced) == 8 and note_lake(fresh_db_url) == lake_a

    code, shown = harvest(capsys, monkeypatch, "--lake", lake_b, "--yes")
    assert code == 2 and table(fresh_db_url) == synced
    assert f"synced to lake {lake_a}, not {lake_b}" in shown and "--adopt-lake" in shown
    assert lake_lock.holder(lake_b) is None

    # adopted: the drift is shown, then asked about; no terminal is a refusal, "n" a cancel
    code, shown = harvest(capsys, monkeypatch, "--lake", lake_b, "--adopt-lake")
    assert code == 2 and "drift: missing 1, extra 7, stale 0" in shown and "pass --yes" in shown
    code, shown = harvest(capsys, monkeypatch, "--lake", lake_b, "--adopt-lake", answer="n")
    assert code == 1 and "insert 1 missing rows, delete 7 extra rows and replace 0 stale rows?" in shown
    assert table(fresh_db_url) == synced and note_lake(fresh_db_url) == lake_a

    code, shown = harvest(capsys, monkeypatch, "--lake", lake_b, "--adopt-lake", answer="y")
    assert code == 0 and set(table(fresh_db_url)) == {"a0", "b1"} and note_lake(fresh_db_url) == lake_b
    assert lake_lock.holder(lake_b) is None


DATASET = "catalog.harvest_id('dataset', 'agency', %s)"


def test_every_column_load_writes_is_compared(spark, tmp_path, fresh_db_url):  # noqa: F811
    """Every public.dataset column load writes (slug, dcat, organization, type, spatial shape) and the
    harvest_record a dataset points at (its identifier and content hash) are compared: a hand edit of any
    is stale, and the repair puts back what load wrote."""
    lake = make_lake(spark, tmp_path / "lake", ["t", "d", "o", "k", "p", "r", "h", "same"])
    sources = parse_registry(REGISTRY)
    reconcile(spark, lake, fresh_db_url, "r0", sources)
    assert table(fresh_db_url)["t"] == ("Title t", "Agency")
    with psycopg.connect(fresh_db_url) as conn:
        conn.execute(f"UPDATE public.dataset SET slug = 'edited-by-hand' WHERE id = {DATASET}", ("t",))
        conn.execute(
            f"""UPDATE public.dataset SET dcat = jsonb_set(dcat, '{{title}}', '"Edited by hand"') WHERE id = {DATASET}""",
            ("d",),
        )
        conn.execute(
            "INSERT INTO public.organization (id, name, slug) VALUES (gen_random_uuid()::text, 'Someone else', 'else')"
        )
        conn.execute(
            "UPDATE public.dataset SET organization_id = (SELECT id FROM public.organization WHERE slug = 'else') "
            f"WHERE id = {DATASET}",
            ("o",),
        )
        conn.execute(f"UPDATE public.dataset SET type = 'data_service' WHERE id = {DATASET}", ("k",))
        conn.execute(
            f"""UPDATE public.dataset SET translated_spatial = '{{"type": "Point", "coordinates": [0, 0]}}'
            WHERE id = {DATASET}""",
            ("p",),
        )
        # another record's row (same job, same content hash, another identifier) as the dataset's record
        other = conn.execute(
            f"""INSERT INTO public.harvest_record (id, identifier, harvest_job_id, harvest_source_id, source_hash,
                date_created, date_finished, action, status, record_type)
            SELECT gen_random_uuid()::text, 'someone-else', harvest_job_id, harvest_source_id, source_hash,
                date_created, date_finished, action, status, record_type
            FROM public.harvest_record WHERE id = (SELECT harvest_record_id FROM public.dataset WHERE id = {DATASET})
            RETURNING id""",
            ("r",),
        ).fetchone()[0]
        conn.execute(f"UPDATE public.dataset SET harvest_record_id = %s WHERE id = {DATASET}", (other, "r"))
        conn.execute(
            "UPDATE public.harvest_record SET source_hash = 'tampered' "
            f"WHERE id = (SELECT harvest_record_id FROM public.dataset WHERE id = {DATASET})",
            ("h",),
        )

    drift = reconcile(spark, lake, fresh_db_url, "r0", sources, repair=False)
    assert drift.counts == {"missing": 0, "extra": 0, "stale": 7}
    assert "same" not in " ".join(drift.examples["stale"])
    assert reconcile(spark, lake, fresh_db_url, "r0", sources).total == 7
    assert reconcile(spark, lake, fresh_db_url, "r0", sources, repair=False).total == 0
    with psycopg.connect(fresh_db_url) as conn:
        owned = conn.execute(
            """SELECT DISTINCT d.slug = 'slug-' || r.identifier, d.dcat ->> 'title' = 'Title ' || r.identifier,
                o.name, d.type::text, d.translated_spatial IS NULL, r.source_hash = 'old-' || r.identifier,
                d.harvest_source_id = catalog.harvest_id('harvest-source', 'agency')
            FROM public.dataset AS d JOIN public.harvest_record AS r ON r.id = d.harvest_record_id
            JOIN public.organization AS o ON o.id = d.organization_id"""
        ).fetchall()
    assert owned == [(True, True, "Agency", "dataset", True, True, True)]
