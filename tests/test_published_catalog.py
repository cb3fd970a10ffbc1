"""Comparing two lakes' published catalogs without Spark: what `make run-cluster` and the Glue emulation check."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from devtools.published_catalog import catalog_difference, published_records


def lake_with(root: Path, records: list[dict], run_id: str = "run-1") -> str:
    """A lake whose current catalog version holds these records (the run columns set from run_id)."""
    folder = root / "catalog" / "versions" / run_id
    (folder / "records").mkdir(parents=True)
    rows = [dict(row, first_harvested=None, last_harvested=None, last_changed_run=run_id) for row in records]
    pq.write_table(pa.Table.from_pylist(rows), folder / "records" / "part-0.parquet")
    (folder / "VERSION.json").write_text(json.dumps({"version": run_id, "written": "2026-01-01T00:00:00"}))
    (root / "catalog" / "CURRENT").write_text(json.dumps({"version": run_id}))
    return str(root)


def record(identifier: str, content_hash: str = "h1", slug: str = "a") -> dict:
    return {"source_id": "agency", "identifier": identifier, "content_hash": content_hash, "slug": slug}


def test_catalogs_of_the_same_records_are_the_same_whatever_run_wrote_them(tmp_path):
    one = lake_with(tmp_path / "one", [record("id-1"), record("id-2")], "run-1")
    other = lake_with(tmp_path / "other", [record("id-2"), record("id-1")], "run-2")

    assert catalog_difference(one, other) == []
    assert set(published_records(one)) == {("agency", "id-1"), ("agency", "id-2")}


def test_a_record_on_one_side_or_with_other_values_is_a_difference(tmp_path):
    one = lake_with(tmp_path / "one", [record("id-1"), record("id-2"), record("id-3")])
    other = lake_with(tmp_path / "other", [record("id-1", "h2", "b"), record("id-2")])

    assert catalog_difference(one, other) == [
        "agency id-1: content_hash, slug",
        "agency id-3: on one side only",
    ]


def test_a_lake_without_a_catalog_differs_from_one_with_records(tmp_path):
    (tmp_path / "new").mkdir()
    one = lake_with(tmp_path / "one", [record("id-1")])

    assert catalog_difference(one, str(tmp_path / "new")) == ["agency id-1: on one side only"]
