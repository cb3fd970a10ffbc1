"""last_harvested of records seen unchanged: a side table in the lake and one UPDATE per source in the
database, never a new catalog version."""

from datetime import UTC, datetime

import psycopg
import pytest

from tests.postgres_server import postgres_url  # noqa: F401
from tests.rows import row
from tests.test_load import EARLIER, state_row, validated_row
from transforms.lake.catalog_state import write_version
from transforms.lake.harvest_times import read_harvest_times, seen_unchanged, with_harvest_times
from transforms.publish.connection import ensure_schema
from transforms.publish.last_harvested import refresh_harvest_times, touch_database
from transforms.schemas import CATALOG_STATE, VALIDATED


def unchanged(identifier, etag=None, decision="accept"):
    base = validated_row(identifier, "unchanged", decision)
    fields = VALIDATED.fieldNames()
    return tuple(etag if name == "etag" else value for name, value in zip(fields, base, strict=True))


def harvested(spark, lake) -> dict:
    state = spark.read.schema(CATALOG_STATE).parquet(f"{lake}/catalog/versions/v0/records")
    current = with_harvest_times(state, read_harvest_times(spark, lake))
    return {r.identifier: (r.last_harvested, r.etag) for r in current.collect()}


def test_records_seen_unchanged_get_their_time_without_a_new_catalog_version(spark, tmp_path):
    lake = str(tmp_path / "lake")
    write_version(
        spark.createDataFrame([state_row(x) for x in ("a", "b", "c")], CATALOG_STATE), lake, "v0", "r0", None
    )
    run = [unchanged("a", '"etag-a2"'), unchanged("b"), unchanged("c", decision="held")]
    started = datetime.now()  # Spark gives timestamps back as local times
    refresh_harvest_times(spark, lake, "r1", spark.createDataFrame(run, VALIDATED), "v0", "")
    after_r1 = harvested(spark, lake)
    assert after_r1["a"][0] >= started and after_r1["a"][1] == '"etag-a2"'
    assert after_r1["b"][0] == after_r1["a"][0]
    assert after_r1["c"] == (EARLIER, None)  # a held source's records were not harvested
    assert sorted(p.name for p in (tmp_path / "lake" / "catalog" / "versions").iterdir()) == ["v0"]

    # r2 sees only a: b keeps r1's time; loading r2 again builds on r1 again; r0's table is gone
    for _ in range(2):
        refresh_harvest_times(spark, lake, "r2", spark.createDataFrame([unchanged("a")], VALIDATED), "v0", "")
    after_r2 = harvested(spark, lake)
    assert after_r2["a"][0] > after_r1["a"][0] and after_r2["b"] == after_r1["b"]
    refresh_harvest_times(spark, lake, "r3", spark.createDataFrame([unchanged("b")], VALIDATED), "v0", "")
    tables = sorted(p.name for p in (tmp_path / "lake" / "catalog" / "harvest_times").iterdir())
    assert tables == ["LATEST", "r2", "r3"]


def test_a_record_the_catalog_no_longer_holds_leaves_the_side_table(spark, tmp_path):
    lake = str(tmp_path / "lake")
    write_version(
        spark.createDataFrame([state_row("a"), state_row("b")], CATALOG_STATE), lake, "v0", "r0", None
    )
    refresh_harvest_times(
        spark, lake, "r1", spark.createDataFrame([unchanged("a"), unchanged("b")], VALIDATED), "v0", ""
    )
    write_version(spark.createDataFrame([state_row("a")], CATALOG_STATE), lake, "v1", "r1", "v0")  # b deleted
    refresh_harvest_times(spark, lake, "r2", spark.createDataFrame([], VALIDATED), "v1", "")
    times = read_harvest_times(spark, lake)
    assert times is not None and [r.identifier for r in times.collect()] == ["a"]


@pytest.mark.postgres
def test_the_database_moves_last_harvested_forward_for_unchanged_records_only(spark, postgres_url):  # noqa: F811
    from transforms.publish.datagov import register_sources
    from transforms.publish.postgres import publish_changes
    from transforms.registry import parse_registry

    ensure_schema(postgres_url)
    sources = parse_registry(
        "sources:\n"
        + "".join(
            f"  - {{id: {name}, title: {name}, organization: Agency, url: 'https://{name}.example.gov/data.json', "
            "type: datajson, schema: dcatus1.1-federal}\n"
            for name in ("s1", "s2")
        )
    )
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("TRUNCATE public.organization, catalog.source_key CASCADE")
        register_sources(conn, sources)
    published = [
        (s, i, "create", f"{s}-{i}", "{}", "h")
        for s, i in (("s1", "a"), ("s1", "b"), ("s2", "a"), ("s2", "z"))
    ]
    changes = spark.createDataFrame(
        published,
        "source_id string, identifier string, action string, slug string, dcat_json string, content_hash string",
    )
    assert {r.db_status for r in publish_changes(changes, postgres_url, "r0").collect()} == {"ok"}
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE public.dataset SET last_harvested_date = %s", (EARLIER.replace(tzinfo=None),))
    seen = [
        row(VALIDATED, source_id=s, identifier=i, action="unchanged", decision="accept")
        for s, i in (("s1", "a"), ("s1", "b"), ("s2", "a"))
    ]
    at = datetime(2030, 1, 1, tzinfo=UTC)
    touch_database(postgres_url, seen_unchanged(spark.createDataFrame(seen, VALIDATED)), at)
    with psycopg.connect(postgres_url) as conn:
        times = dict(
            ((s, i), t)
            for s, i, t in conn.execute("SELECT source_id, identifier, last_harvested FROM catalog.dataset")
        )
    # data.gov's dates are UTC without a time zone
    assert times[("s1", "a")] == times[("s1", "b")] == times[("s2", "a")] == at.replace(tzinfo=None)
    assert times[("s2", "z")] == EARLIER.replace(tzinfo=None)
