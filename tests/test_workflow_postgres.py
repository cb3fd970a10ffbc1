"""A full harvest and a re-harvest loading into a real PostgreSQL: data.gov's tables hold the lake's catalog
record for record (datasets, the harvest records that published them with what the publisher served, jobs
with their counts, the errors of rejected records), and a row the database refuses stays out of the lake's
state so the next run retries it. data.gov's own catalog app (run from ../shared/anchors in its Python 3.12
venv) reads what we wrote: its dataset pages, the harvest record endpoints and its own search documents,
which equal the ones load wrote for the run."""

import html
import json
import pathlib
import shutil
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import run_harvest
from tests.catalog_app import CatalogApp, catalog_python  # noqa: F401
from tests.postgres_server import fresh_db_url, postgres_url  # noqa: F401
from tests.test_report_html import chromium
from transforms.fetch.datajson import canonical_json
from transforms.lake.catalog_state import read_pointer, read_state
from transforms.publish.spatial import translated_spatial

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

RECORD_IDENTIFIER = "https://data.example.gov/id/sample-001"


def lake_rows(spark, lake) -> dict:
    state = read_state(spark, str(lake), read_pointer(str(lake))["version"])
    return {
        (r.source_id, r.identifier): (r.slug, r.content_hash, json.loads(r.dcat_json))
        for r in state.collect()
    }


def query(url, sql: str, *args) -> list[tuple]:
    with psycopg.connect(url) as connection:
        return connection.execute(sql, args or None).fetchall()


def database_rows(url) -> dict:
    rows = query(url, "SELECT source_id, identifier, slug, content_hash, dcat FROM catalog.dataset")
    return {
        (source_id, identifier): (slug, content_hash, dcat)
        for source_id, identifier, slug, content_hash, dcat in rows
    }


def counts(url) -> dict:
    tables = (
        "organization",
        "harvest_source",
        "harvest_job",
        "harvest_record",
        "harvest_record_error",
        "dataset",
    )
    return {table: query(url, f"SELECT count(*) FROM public.{table}")[0][0] for table in tables}


def jobs(url, run_id: str) -> dict:
    """source_id -> the run's job: status and the records_* counters H2.0 keeps."""
    rows = query(
        url,
        """SELECT k.source_id, j.status::text, j.date_finished IS NOT NULL, j.records_total, j.records_added,
            j.records_updated, j.records_deleted, j.records_errored, j.records_ignored, j.records_validated,
            j.records_warned
        FROM public.harvest_job AS j JOIN catalog.source_key AS k ON k.harvest_source_id = j.harvest_source_id
        WHERE j.id = catalog.harvest_id('harvest-job', %s, k.source_id)""",
        run_id,
    )
    return {row[0]: row[1:] for row in rows}


def expected_job(entry: dict) -> tuple:
    total = entry["extracted"] + entry["deleted"]
    return (
        "error" if entry["status"] == "failed" else "complete",
        True,
        total,
        entry["created"],
        entry["updated"],
        entry["deleted"],
        entry["rejected"],
        entry["unchanged"] + entry["held"],
        total - entry["rejected"],
        entry["warnings"],
    )


def report(lake, run_id: str) -> dict:
    return json.loads((lake / "runs" / run_id / "report" / "report.json").read_text())


def catalog_app_of(request, db_url: str) -> CatalogApp | None:
    """data.gov's catalog app over ``db_url``; None (and a note) where ../shared or a Python 3.12 is missing."""
    try:
        return CatalogApp(request.getfixturevalue("catalog_python"), db_url)
    except pytest.skip.Exception as skipped:
        print(f"catalog app checks skipped: {skipped}")
        return None


def search_actions(lake, run_id: str) -> tuple[dict, list]:
    """A run's _bulk files: the indexed documents by id (with their _index and _id), and the deleted ids."""
    lines = [
        json.loads(line)
        for part in sorted((lake / "runs" / run_id / "search").glob("*.ndjson"))
        for line in part.read_text().splitlines()
    ]
    indexed, deleted = {}, []
    actions = iter(lines)
    for action in actions:
        if "index" in action:
            indexed[action["index"]["_id"]] = {**next(actions), **action["index"]}
        else:
            deleted.append(action["delete"]["_id"])
    return indexed, deleted


def check_catalog_reads_the_harvest(catalog: CatalogApp, db_url: str, tmp_path) -> int:
    """Every ordinary dataset's page shows its title; every harvest record serves what the publisher served,
    and an XML record our DCAT-US; returns how many dataset pages rendered."""
    rows = query(
        db_url,
        """SELECT d.slug, d.dcat, d.type::text, d.harvest_record_id, r.source_raw, r.source_transform
        FROM public.dataset AS d JOIN public.harvest_record AS r ON r.id = d.harvest_record_id ORDER BY 1""",
    )
    # A collection member's, a series' or a service's page asks OpenSearch for a count: not here.
    ordinary = [row for row in rows if row[2] == "dataset" and "isPartOf" not in row[1]]
    paths = [f"/dataset/{row[0]}" for row in ordinary]
    paths += [f"/harvest_record/{row[3]}/{kind}" for row in rows for kind in ("raw", "transformed")]
    answers = catalog.get(*paths)
    for slug, dcat, *_ in ordinary:
        page = answers[f"/dataset/{slug}"]
        assert page["status"] == 200, slug
        assert html.escape(dcat["title"].strip(), quote=False) in page["body"], slug
    for slug, dcat, _type, record_id, raw, transform in rows:
        served = answers[f"/harvest_record/{record_id}/raw"]
        assert (served["status"], served["body"]) == (200, raw), slug
        transformed = answers[f"/harvest_record/{record_id}/transformed"]
        if transform is None:  # a data.json record is published as the publisher wrote it
            assert transformed["status"] == 404, slug
        else:
            assert transformed["status"] == 200 and json.loads(transformed["body"]) == transform == dcat
    # One harvested dataset's page in a real browser, kept where a person can look at it.
    with catalog.served() as base:
        chromium(
            tmp_path,
            f"--screenshot={tmp_path / 'page.png'}",
            "--window-size=1280,1600",
            f"{base}/dataset/{ordinary[0][0]}",
        )
    screenshot = pathlib.Path(__file__).resolve().parents[1] / "build" / "catalog-harvested-page.png"
    screenshot.parent.mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "page.png", screenshot)
    return len(ordinary)


def test_harvest_and_reharvest_into_postgres(spark, tmp_path, fresh_db_url, request):  # noqa: F811
    db_url = fresh_db_url
    www = tmp_path / "www"
    shutil.copytree(SAMPLES / "www", www)
    lake = tmp_path / "lake"
    catalog_file = www / "datajson" / "data.json"
    served = {dataset["identifier"]: dataset for dataset in json.loads(catalog_file.read_text())["dataset"]}
    with serve_folder(www) as base_url:
        registry = tmp_path / "sources.yaml"
        registry.write_text(
            (SAMPLES / "sources.yaml").read_text().replace("{samples_url}", base_url.rstrip("/"))
        )
        assert run_harvest(str(registry), str(lake), run_id="pg-1", db_url=db_url, new_lake=True) == 0
        first = database_rows(db_url)
        assert len(first) == 17 and first == lake_rows(spark, lake)
        first_counts = counts(db_url)
        first_report = report(lake, "pg-1")
        # every id is a version 4 UUID, the only ids data.gov's catalog serves a record for
        ids = query(
            db_url,
            " UNION ALL ".join(
                f"SELECT id FROM public.{table}"
                for table in ("organization", "harvest_source", "harvest_job", "harvest_record", "dataset")
            ),
        )
        assert ids and all(str(uuid.UUID(value, version=4)) == value for (value,) in ids)
        # the run's search index changes: an index action per dataset it published, built from these rows
        indexed, deleted = search_actions(lake, "pg-1")
        assert deleted == [] and len(indexed) == 17
        catalog_app = catalog_app_of(request, db_url)
        if catalog_app is not None:
            assert indexed == {document["_id"]: document for document in catalog_app.documents()}
            rendered = check_catalog_reads_the_harvest(catalog_app, db_url, tmp_path)
            print(f"catalog app: {rendered} harvested dataset pages rendered with their titles")
        assert jobs(db_url, "pg-1") == {
            entry["source_id"]: expected_job(entry) for entry in first_report["sources"]
        }
        assert query(db_url, "SELECT name, slug FROM public.organization ORDER BY 1") == [
            ("Example Agency", "example-agency"),
            ("Example Coastal Science Center", "example-coastal-science-center"),
        ]
        assert query(
            db_url,
            """SELECT k.source_id, s.url, s.schema_type::text, s.source_type::text, s.frequency::text,
                s.notification_frequency::text, s.notification_emails, o.name
            FROM public.harvest_source AS s JOIN catalog.source_key AS k ON k.harvest_source_id = s.id
            JOIN public.organization AS o ON o.id = s.organization_id ORDER BY 1""",
        ) == [
            (
                "example-agency",
                f"{base_url.rstrip('/')}/datajson/data.json",
                "dcatus1.1: federal",
                "document",
                "weekly",
                "on_error_or_update",
                ["data-team@example.gov"],
                "Example Agency",
            ),
            (
                "example-agency-dcat3",
                f"{base_url.rstrip('/')}/datajson3/data.json",
                "dcatus3.0",
                "document",
                "daily",
                "on_error",
                None,
                "Example Agency",
            ),
            (
                "example-coastal-waf",
                f"{base_url.rstrip('/')}/waf/",
                "iso19115_2",
                "waf",
                "monthly",
                "always",
                ["metadata@coastal.example.gov", "gis@coastal.example.gov"],
                "Example Coastal Science Center",
            ),
        ]
        # the datasets' classes, as H2.0 names them
        assert query(db_url, "SELECT type::text, count(*) FROM public.dataset GROUP BY 1 ORDER BY 1") == [
            ("catalog_record", 1),
            ("data_series", 1),
            ("data_service", 1),
            ("dataset", 14),
        ]

        # every published dataset points at the harvest_record of this run that published it, holding what
        # the publisher served: the dataset's JSON (key-sorted, as extract keeps it), or the XML file itself
        published = query(
            db_url,
            """SELECT v.source_id, v.identifier, r.source_raw, r.source_transform, r.action::text, r.status::text,
                r.source_hash, d.dcat, d.translated_spatial, d.last_harvested_date IS NOT NULL
            FROM catalog.dataset AS v JOIN public.harvest_record AS r ON r.id = v.harvest_record_id
            JOIN public.dataset AS d ON d.id = v.dataset_id""",
        )
        xml_records = boxes = 0
        for (
            source_id,
            identifier,
            raw,
            transform,
            action,
            status,
            source_hash,
            dcat,
            spatial,
            dated,
        ) in published:
            assert (action, status, dated) == ("create", "success", True)
            assert source_hash == first[(source_id, identifier)][1]
            if source_id == "example-coastal-waf":
                xml_records += 1
                assert raw == (www / urlsplit(identifier).path.lstrip("/")).read_bytes().decode("utf-8")
                assert transform == dcat  # the DCAT-US made from the XML
            else:
                assert transform is None
            if source_id == "example-agency":
                assert raw == canonical_json(served[identifier])
            shape = translated_spatial(json.dumps(dcat))
            assert spatial == (json.loads(shape) if shape else None)
            boxes += bool(spatial)
        assert xml_records == sum(source == "example-coastal-waf" for source, _ in first) > 0 and boxes > 0

        # the rejected records: an error harvest_record each, with every error (the broken XML file)
        rejected = query(
            db_url,
            """SELECT k.source_id, r.identifier, r.status::text, r.source_raw IS NOT NULL, e.severity::text, e.type
            FROM public.harvest_record AS r JOIN public.harvest_record_error AS e ON e.harvest_record_id = r.id
            JOIN catalog.source_key AS k ON k.harvest_source_id = r.harvest_source_id
            WHERE e.severity = 'error'""",
        )
        outcomes = spark.read.parquet(str(lake / "runs" / "pg-1" / "report" / "outcomes"))
        identified = outcomes.filter("outcome = 'rejected' AND identifier IS NOT NULL").count()
        assert len({row[:2] for row in rejected}) == identified > 0
        assert {row[2] for row in rejected} == {"error"}
        warned = query(
            db_url,
            "SELECT count(DISTINCT harvest_record_id) FROM public.harvest_record_error WHERE severity = 'warning'",
        )
        assert warned[0][0] > 0

        served_catalog = json.loads(catalog_file.read_text())
        served_catalog["dataset"][0]["title"] = "Air Quality Monitoring Stations (revised)"
        # two of eight: the mass-deletion guard would hold them, --force releases them
        dropped = [served_catalog["dataset"][1]["identifier"], served_catalog["dataset"][2]["identifier"]]
        del served_catalog["dataset"][1:3]
        # PostgreSQL's jsonb cannot hold a NUL character: the database refuses this record alone
        served_catalog["dataset"].append(
            dict(served_catalog["dataset"][0], identifier="nul-record", description="a\u0000b")
        )
        catalog_file.write_text(json.dumps(served_catalog))
        assert run_harvest(str(registry), str(lake), run_id="pg-2", db_url=db_url, force=True) == 0

    second = database_rows(db_url)
    assert second == lake_rows(spark, lake)
    noted = query(db_url, "SELECT state, version FROM catalog.lake_sync")[0]
    assert noted == ("synced", "pg-2")  # the database says which lake version it reflects
    assert len(second) == 15 and ("example-agency", "nul-record") not in second
    assert not any(("example-agency", identifier) in second for identifier in dropped)
    slug, _, dcat = second[("example-agency", RECORD_IDENTIFIER)]
    assert dcat["title"] == "Air Quality Monitoring Stations (revised)"
    assert slug == first[("example-agency", RECORD_IDENTIFIER)][0]  # stable across updates
    second_report = report(lake, "pg-2")
    agency = next(entry for entry in second_report["sources"] if entry["source_id"] == "example-agency")
    assert (agency["updated"], agency["deleted"], agency["created"]) == (1, 2, 0)
    assert any(reason["reason"].startswith("database: ") for reason in agency["top_reasons"])
    assert jobs(db_url, "pg-2") == {
        entry["source_id"]: expected_job(entry) for entry in second_report["sources"]
    }

    changes = query(
        db_url,
        """SELECT r.identifier, r.action::text, r.status::text, e.type FROM public.harvest_record AS r
        LEFT JOIN public.harvest_record_error AS e ON e.harvest_record_id = r.id AND e.severity = 'error'
        WHERE r.harvest_job_id = catalog.harvest_id('harvest-job', 'pg-2', 'example-agency')
            AND (r.status = 'success' OR r.identifier = 'nul-record') ORDER BY 1, 2""",
    )
    assert changes == sorted(
        [(identifier, "delete", "success", None) for identifier in dropped]
        + [
            (RECORD_IDENTIFIER, "update", "success", None),
            ("nul-record", "create", "error", "DatabaseException"),
        ]
    )
    # the update's record holds the new text; the earlier records stay as the dataset's history
    history = query(
        db_url,
        """SELECT r.action::text, r.source_raw::jsonb ->> 'title' FROM public.harvest_record AS r
        WHERE r.identifier = %s AND r.status = 'success' ORDER BY r.date_created""",
        RECORD_IDENTIFIER,
    )
    assert [action for action, _ in history] == ["create", "update"]
    assert history[-1][1] == "Air Quality Monitoring Stations (revised)"
    # the re-harvest's search changes: one delete per dropped dataset, the retitled dataset indexed again
    indexed, deleted = search_actions(lake, "pg-2")
    dataset_id = "SELECT catalog.harvest_id('dataset', 'example-agency', %s)"
    assert sorted(deleted) == sorted(query(db_url, dataset_id, identifier)[0][0] for identifier in dropped)
    assert [document["title"] for document in indexed.values()] == [
        "Air Quality Monitoring Stations (revised)"
    ]
    if catalog_app is not None:
        theirs = {document["_id"]: document for document in catalog_app.documents()}
        assert all(theirs[key] == document for key, document in indexed.items())
        assert not set(deleted) & set(theirs)
    final_counts = counts(db_url)
    assert final_counts["dataset"] == 15 and final_counts["organization"] == first_counts["organization"]
    assert final_counts["harvest_job"] == 2 * first_counts["harvest_job"]
    print("rows per table after pg-1:", first_counts, "after pg-2:", final_counts)

    from transforms.publish.reconcile import reconcile
    from transforms.registry import parse_registry

    # reconcile compares every column load writes: what load wrote (titles, organizations, 3.0 classes) is no drift
    drift = reconcile(spark, str(lake), db_url, "pg-2", parse_registry(registry.read_text()), repair=False)
    assert drift.counts == {"missing": 0, "extra": 0, "stale": 0}
