"""data.gov's catalog app serves the harvester's tables: dataset pages and the harvest record endpoints.

The pages that need OpenSearch (search, organization counts, a collection's count) are not asked
for: OpenSearch cannot run here. A dataset page of an ordinary dataset needs only PostgreSQL.
"""

import html
import json
import re
import shutil
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.catalog_app import ROOT, catalog_app, catalog_python, harvester_db  # noqa: F401
from tests.harvester_examples import EDGE_CASES
from tests.postgres_server import postgres_url  # noqa: F401
from tests.test_report_html import chromium

SCREENSHOT = ROOT / "build" / "catalog-dataset-page.png"


def datasets(database_url: str) -> list[dict]:
    """Every dataset's slug, title, harvest record and the record's raw and transformed text."""
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT d.slug, d.dcat, d.harvest_record_id, r.source_raw, r.source_transform"
            " FROM dataset d JOIN harvest_record r ON r.id = d.harvest_record_id ORDER BY d.slug"
        ).fetchall()


def ordinary(dataset: dict) -> bool:
    """A valid DCAT-US dataset whose page needs no OpenSearch (it is in no collection).

    Our edge cases are left out: they are not valid DCAT-US on purpose (a distribution that is a
    string, a publisher that is no object), which the validate stage refuses and the catalog's
    page templates do not survive (500); only their search documents are compared.
    """
    return "isPartOf" not in dataset["dcat"] and dataset["slug"] not in EDGE_CASES


@pytest.mark.postgres
def test_dataset_pages_show_their_titles(catalog_app):  # noqa: F811
    shown = [dataset for dataset in datasets(catalog_app.database_url) if ordinary(dataset)]
    assert {"fixture-dataset-1", "fixture-dataset-2"} <= {dataset["slug"] for dataset in shown}
    assert len(shown) >= 18  # and the golden records of our crosswalk outside a collection
    answers = catalog_app.get(
        *(f"/dataset/{dataset['slug']}" for dataset in shown), "/dataset/no-such-dataset"
    )
    for dataset in shown:
        answer = answers[f"/dataset/{dataset['slug']}"]
        assert answer["status"] == 200, dataset["slug"]
        title = re.search(r"<title>(.*?)</title>", answer["body"], re.S)
        assert title and html.escape(dataset["dcat"]["title"].strip(), quote=False) in title.group(1), (
            dataset["slug"]
        )
    assert answers["/dataset/no-such-dataset"]["status"] == 404


@pytest.mark.postgres
def test_harvest_records_are_served_raw_and_transformed(catalog_app):  # noqa: F811
    rows = {dataset["slug"]: dataset for dataset in datasets(catalog_app.database_url)}
    json_record = rows["fixture-dataset-1"]  # the snapshot's: a data.json record, nothing transformed
    xml_record = rows["dcat-us-3-shapes"]  # ours: an ISO document and the DCAT-US made from it
    paths = [
        f"/harvest_record/{record['harvest_record_id']}/{kind}"
        for record in (json_record, xml_record)
        for kind in ("raw", "transformed")
    ]
    answers = catalog_app.get(*paths)
    raw = answers[f"/harvest_record/{json_record['harvest_record_id']}/raw"]
    assert (raw["status"], raw["content_type"], raw["body"]) == (
        200,
        "application/json",
        json_record["source_raw"],
    )
    assert answers[f"/harvest_record/{json_record['harvest_record_id']}/transformed"]["status"] == 404
    raw = answers[f"/harvest_record/{xml_record['harvest_record_id']}/raw"]
    assert (raw["status"], raw["content_type"], raw["body"]) == (
        200,
        "application/xml; charset=utf-8",
        xml_record["source_raw"],
    )
    transformed = answers[f"/harvest_record/{xml_record['harvest_record_id']}/transformed"]
    assert transformed["status"] == 200 and transformed["content_type"] == "application/json"
    assert json.loads(transformed["body"]) == xml_record["source_transform"]


@pytest.mark.postgres
@pytest.mark.browser
def test_a_dataset_page_served_by_gunicorn_renders_in_headless_chromium(catalog_app, tmp_path):  # noqa: F811
    with catalog_app.served() as base:
        url = f"{base}/dataset/fixture-dataset-1"
        dom = chromium(tmp_path, "--dump-dom", url)
        chromium(tmp_path, f"--screenshot={tmp_path / 'page.png'}", "--window-size=1280,1600", url)
    assert "Fixture Dataset 1" in dom
    assert "A sample federal dataset for testing purposes" in dom
    assert (tmp_path / "page.png").stat().st_size > 20_000
    # Kept where a person can look at it (build/ is not committed).
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "page.png", SCREENSHOT)
    assert Path(SCREENSHOT).exists()
