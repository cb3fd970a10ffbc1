"""A catalog version's per-source record counts (VERSION.json ``sources``): every source it holds, none it does not."""

import json

import pytest

from tests.test_load import state_row
from transforms.lake.catalog_state import DamagedVersion, published_sources, write_version
from transforms.schemas import CATALOG_STATE


def state_of(spark, keys: list[tuple[str, str]]):
    return spark.createDataFrame(
        [state_row(identifier, source_id) for source_id, identifier in keys], CATALOG_STATE
    )


KEYS = [("a", "a-1"), ("a", "a-2"), ("b", "b-1")]


def test_each_source_a_version_holds_is_counted_and_an_empty_version_has_none(spark, tmp_path):
    root = str(tmp_path)
    assert write_version(state_of(spark, KEYS), root, "v1", "r1", None) == 3
    assert published_sources(root, "v1") == {"a": 2, "b": 1}
    assert write_version(state_of(spark, []), root, "v2", "r2", "v1") == 0
    assert published_sources(root, "v2") == {}


def test_sources_that_are_not_a_map_of_counts_are_a_damaged_version(tmp_path):
    folder = tmp_path / "catalog" / "versions" / "v1"
    folder.mkdir(parents=True)
    for sources in (["a"], {"a": "2"}, {"a": -1}, {"a": True}, "a"):
        (folder / "VERSION.json").write_text(json.dumps({"version": "v1", "sources": sources}), "utf-8")
        with pytest.raises(DamagedVersion, match="catalog version v1 is damaged: .*sources"):
            published_sources(str(tmp_path), "v1")
    (folder / "VERSION.json").write_text(json.dumps({"version": "v1"}), "utf-8")  # before versions counted
    assert published_sources(str(tmp_path), "v1") is None
