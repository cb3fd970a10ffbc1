"""A full harvest and a re-harvest loading into a real PostgreSQL: the table matches the lake's catalog state
record for record, and a row the database refuses stays out of the lake's state so the next run retries it."""

import json
import shutil

import psycopg
import pytest

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from glue_jobs.cli import run_harvest
from tests.postgres_server import fresh_db_url, postgres_url  # noqa: F401
from transforms.publish.catalog_state import read_pointer, read_state

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def lake_rows(spark, lake) -> dict:
    state = read_state(spark, str(lake), read_pointer(str(lake))["version"])
    return {
        (r.source_id, r.identifier): (r.slug, r.content_hash, json.loads(r.dcat_json))
        for r in state.collect()
    }


def database_rows(url) -> dict:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT source_id, identifier, slug, content_hash, dcat FROM catalog.dataset"
        ).fetchall()
    return {
        (source_id, identifier): (slug, content_hash, dcat)
        for source_id, identifier, slug, content_hash, dcat in rows
    }


def test_harvest_and_reharvest_into_postgres(spark, tmp_path, fresh_db_url):  # noqa: F811
    db_url = fresh_db_url
    shutil.copytree(SAMPLES / "www", tmp_path / "www")
    lake = tmp_path / "lake"
    catalog_file = tmp_path / "www" / "datajson" / "data.json"
    with serve_folder(tmp_path / "www") as base_url:
        registry = tmp_path / "sources.yaml"
        registry.write_text(
            (SAMPLES / "sources.yaml").read_text().replace("{samples_url}", base_url.rstrip("/"))
        )
        assert run_harvest(str(registry), str(lake), run_id="pg-1", db_url=db_url, new_lake=True) == 0
        first = database_rows(db_url)
        assert len(first) == 17 and first == lake_rows(spark, lake)
        with psycopg.connect(db_url) as connection:
            classes = connection.execute(
                "SELECT dcat_version, record_type, count(*) FROM catalog.dataset GROUP BY 1, 2 ORDER BY 1, 2"
            ).fetchall()
        assert classes == [
            ("1.1", "Dataset", 9),
            ("3.0", "CatalogRecord", 1),
            ("3.0", "DataService", 1),
            ("3.0", "Dataset", 5),
            ("3.0", "DatasetSeries", 1),
        ]

        catalog = json.loads(catalog_file.read_text())
        catalog["dataset"][0]["title"] = "Air Quality Monitoring Stations (revised)"
        del catalog["dataset"][1]
        # PostgreSQL's jsonb cannot hold a NUL character: the database refuses this record alone
        catalog["dataset"].append(
            dict(catalog["dataset"][0], identifier="nul-record", description="a\u0000b")
        )
        catalog_file.write_text(json.dumps(catalog))
        assert run_harvest(str(registry), str(lake), run_id="pg-2", db_url=db_url) == 0

    second = database_rows(db_url)
    assert second == lake_rows(spark, lake)
    with psycopg.connect(db_url) as connection:
        noted = connection.execute("SELECT state, version FROM catalog.lake_sync").fetchone()
    assert noted == ("synced", "pg-2")  # the database says which lake version it reflects
    assert len(second) == 16 and ("example-agency", "nul-record") not in second
    slug, _, dcat = second[("example-agency", "https://data.example.gov/id/sample-001")]
    assert dcat["title"] == "Air Quality Monitoring Stations (revised)"
    assert (
        slug == first[("example-agency", "https://data.example.gov/id/sample-001")][0]
    )  # stable across updates
    report = json.loads((lake / "runs" / "pg-2" / "report" / "report.json").read_text())
    agency = next(entry for entry in report["sources"] if entry["source_id"] == "example-agency")
    assert (agency["updated"], agency["deleted"], agency["created"]) == (1, 1, 0)
    assert any(reason["reason"].startswith("database: ") for reason in agency["top_reasons"])

    from transforms.publish.reconcile import reconcile
    from transforms.registry import parse_registry

    # reconcile compares every column load writes: what load wrote (titles, organizations, 3.0 classes) is no drift
    drift = reconcile(spark, str(lake), db_url, "pg-2", parse_registry(registry.read_text()), repair=False)
    assert drift.counts == {"missing": 0, "extra": 0, "stale": 0}
