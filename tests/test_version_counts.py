"""A catalog version's per-source record counts (VERSION.json ``sources``) are counted by its write."""

from tests.test_load import state_row
from transforms.lake.catalog_state import published_sources, write_version
from transforms.schemas import CATALOG_STATE


def state_of(spark, keys: list[tuple[str, str]]):
    return spark.createDataFrame(
        [state_row(identifier, source_id) for source_id, identifier in keys], CATALOG_STATE
    )


KEYS = [("a", "a-1"), ("a", "a-2"), ("b", "b-1")]


def test_the_sources_a_version_can_hold_are_counted_while_it_is_written(spark, tmp_path):
    root = str(tmp_path)
    # "c" can be held but is not: a source with no record is not one the version publishes
    assert write_version(state_of(spark, KEYS), root, "v1", "r1", None, {"a", "b", "c"}) == 3
    assert published_sources(root, "v1") == {"a": 2, "b": 1}


def test_a_source_outside_those_named_is_still_counted(spark, tmp_path):
    root = str(tmp_path)
    assert write_version(state_of(spark, KEYS), root, "v1", "r1", None, {"a"}) == 3
    assert published_sources(root, "v1") == {"a": 2, "b": 1}
    assert write_version(state_of(spark, []), root, "v2", "r2", "v1") == 0
    assert published_sources(root, "v2") == {}
