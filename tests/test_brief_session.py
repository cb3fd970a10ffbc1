"""Which runs' local JVMs compile with C1 alone (runtime.BRIEF_SESSION_JIT): a repeat, a run expected to
read fewer than BRIEF_RUN_RECORDS records, by what its base catalog publishes of each source, and a run of
data.json records with few XML documents below BRIEF_DATAJSON_RECORDS; and which interpret their
expressions (runtime.FEW_ROWS_SQL): only a run of few records."""

from glue_jobs import job_context
from glue_jobs.job_context import NEW_SOURCE_RECORDS, JobContext, expected_records
from glue_jobs.runtime import FEW_ROWS_SQL, start_job
from tests.test_version_counts import state_of
from transforms.lake.catalog_state import write_version
from transforms.lake.manifest import RunManifest
from transforms.registry import Source
from transforms.repeat_run import Carry

RUN_ID = "20260101T000000Z-aaaaaa"


def sources(*ids: str) -> list[Source]:
    """Sources of XML documents (WAFs); data.json sources are named ``json-...``."""
    return [
        Source(i, i, "Org", f"https://example.gov/{i}/data.json", "datajson", "dcatus1.1-federal")
        if i.startswith("json-")
        else Source(i, i, "Org", f"https://example.gov/{i}/", "waf", "iso19115")
        for i in ids
    ]


def job(lake: str, ids: tuple[str, ...], base: str | None, carry: Carry | None = None) -> JobContext:
    manifest = RunManifest(RUN_ID, "2026-01-01T00:00:00+00:00", base, "sources: []\n", "", False, "")
    return JobContext(
        stage="extract",
        args={"lake": lake, "run_id": RUN_ID},
        manifest=manifest,
        sources=sources(*ids),
        carry=carry,
    )


def new_sources(prefix: str, records: int) -> tuple[str, ...]:
    """Enough sources not published yet to expect at least ``records`` records (NEW_SOURCE_RECORDS each)."""
    return tuple(f"{prefix}{i}" for i in range(-(-records // NEW_SOURCE_RECORDS)))


def test_a_source_counts_what_the_catalog_publishes_of_it_and_a_new_one_the_mean_source():
    assert expected_records(sources("a", "b", "c"), {"a": 7, "z": 10_000}) == 7 + 2 * NEW_SOURCE_RECORDS
    assert expected_records(sources("a"), {"a": 0}) == 0  # published once, empty now: counted as empty
    assert expected_records([], {}) == 0
    assert expected_records(sources("a"), None) is None  # a version that did not count its records


def test_the_jvm_is_brief_below_the_threshold_by_the_base_catalogs_counts(spark, tmp_path, monkeypatch):
    root = str(tmp_path)
    write_version(state_of(spark, [("a", "a-1"), ("a", "a-2"), ("b", "b-1")]), root, "v1", "r1", None)
    monkeypatch.setattr(job_context, "BRIEF_RUN_RECORDS", 3)
    assert job(root, ("b",), "v1").brief()  # 1 record expected
    assert not job(root, ("a", "b"), "v1").brief()  # 3: not fewer than the threshold
    monkeypatch.setattr(job_context, "BRIEF_RUN_RECORDS", 3 + NEW_SOURCE_RECORDS)
    assert not job(root, ("a", "b", "new"), "v1").brief()  # a source not published yet counts the mean
    assert job(root, ("b", "new"), "v1").brief()


def test_a_first_run_of_few_sources_and_any_repeat_are_brief_and_one_of_many_new_sources_is_not(tmp_path):
    root = str(tmp_path)
    assert job(root, ("a", "b"), None).brief()  # a lake's first run of two sources
    many = tuple(f"s{i}" for i in range(job_context.BRIEF_RUN_RECORDS // NEW_SOURCE_RECORDS + 1))
    assert not job(root, many, None).brief()
    assert job(root, many, None, Carry("r0", {}, whole=True)).brief()  # a repeat reads nothing
    # ... but compares every record it is served, so its expressions are compiled as a large run's are.
    assert not job(root, many, None, Carry("r0", {}, whole=True)).few_records()
    assert job(root, ("a", "b"), None).few_records()


def test_a_run_of_data_json_records_is_brief_until_it_expects_documents_or_data_govs_size(tmp_path):
    root = str(tmp_path)
    datasets = new_sources("json-", 100_000)  # the side by side's size
    assert job(root, datasets, None).brief()
    assert not job(root, datasets, None).few_records()  # expressions still compiled: many rows
    few_documents = new_sources("waf-", job_context.BRIEF_RUN_RECORDS - NEW_SOURCE_RECORDS)
    assert job(root, datasets + few_documents, None).brief()
    documents = new_sources("waf-", job_context.BRIEF_RUN_RECORDS)  # as many documents as the rule allows
    assert not job(root, datasets + documents, None).brief()
    assert not job(root, new_sources("json-", job_context.BRIEF_DATAJSON_RECORDS), None).brief()


def test_a_run_of_data_json_records_counts_what_the_catalog_publishes(spark, tmp_path, monkeypatch):
    root = str(tmp_path)
    published = [("json-a", "a-1"), ("json-a", "a-2"), ("json-a", "a-3"), ("w", "w-1"), ("w", "w-2")]
    write_version(state_of(spark, published), root, "v1", "r1", None)
    monkeypatch.setattr(job_context, "BRIEF_RUN_RECORDS", 2)
    monkeypatch.setattr(job_context, "BRIEF_DATAJSON_RECORDS", 5)
    assert job(root, ("json-a",), "v1").brief()  # 3 data.json records, no document
    assert not job(root, ("json-a", "w"), "v1").brief()  # 2 documents: not fewer than 2
    monkeypatch.setattr(job_context, "BRIEF_DATAJSON_RECORDS", 3)
    assert not job(root, ("json-a",), "v1").brief()  # 3 records: not fewer than 3


def test_a_job_of_few_rows_interprets_its_expressions_and_a_later_one_of_many_compiles_them(spark):
    try:
        for few_rows, factory in ((True, "NO_CODEGEN"), (False, "FALLBACK"), (True, "NO_CODEGEN")):
            session, _ = start_job("compare", [], few_rows=few_rows)
            assert session is spark  # a local run's stages share the process's session
            assert spark.conf.get("spark.sql.codegen.factoryMode") == factory
            assert spark.conf.get("spark.sql.codegen.wholeStage") == str(not few_rows).lower()
            assert spark.range(5).selectExpr("sum(id * 2) AS doubled").first().doubled == 20
    finally:
        for key, value in FEW_ROWS_SQL.items():  # as the tests' session has them
            spark.conf.set(key, value)


def test_a_damaged_base_version_leaves_the_jit_as_it_is(tmp_path):
    version = tmp_path / "catalog" / "versions" / "v1"
    version.mkdir(parents=True)
    (version / "VERSION.json").write_text("[not an object]", "utf-8")
    assert not job(str(tmp_path), ("a",), "v1").brief()
