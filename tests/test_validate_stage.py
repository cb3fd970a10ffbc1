"""The validate stage end to end on small inline frames: decisions, holds, force, reports."""

import json

import pytest

from transforms.gate.validate import validate_records
from transforms.registry import Source
from transforms.schemas import SOURCE_STATUS, TRANSFORMED, VALIDATED


def dataset(identifier: str, **changes) -> dict:
    record = {
        "title": f"Dataset {identifier}",
        "description": "d",
        "keyword": ["k"],
        "modified": "2024-01-02",
        "publisher": {"name": "Agency"},
        "contactPoint": {"fn": "A", "hasEmail": "mailto:a@agency.gov"},
        "identifier": identifier,
        "accessLevel": "public",
        "distribution": [{"downloadURL": "https://agency.gov/a.csv", "mediaType": "text/csv"}],
    }
    record.update(changes)
    return {key: value for key, value in record.items() if value is not None}


def row(source_id: str, identifier: str, action: str, record: dict | None = None, reasons=None) -> dict:
    values = dict.fromkeys(TRANSFORMED.fieldNames())
    values.update(
        source_id=source_id, identifier=identifier, action=action, reasons=reasons, record_type="Dataset"
    )
    if record is not None:
        values.update(
            dcat_json=json.dumps(record),
            source_format="dcatus",
            warnings=[],
            title=record.get("title"),
            access_level=record.get("accessLevel"),
            modified=record.get("modified"),
            has_email=record.get("contactPoint", {}).get("hasEmail"),
            distribution_urls=[d["downloadURL"] for d in record.get("distribution", [])],
        )
    return values


def source(source_id: str) -> Source:
    return Source(
        id=source_id,
        title=source_id,
        organization="org",
        url="https://example.gov/data.json",
        type="datajson",
        schema="dcatus1.1-non-federal",
    )


def status(source_id: str, extracted: int, state: str = "complete") -> dict:
    values = dict.fromkeys(SOURCE_STATUS.fieldNames())
    values.update(source_id=source_id, status=state, extracted=extracted, errors=0, error_messages=[])
    return values


def run(spark, tmp_path, rows, statuses, published, force=False):
    transformed = spark.createDataFrame(rows, TRANSFORMED)
    status_frame = spark.createDataFrame(statuses, SOURCE_STATUS)
    counts = spark.createDataFrame(published, "source_id string, published long")
    sources = [source(s["source_id"]) for s in statuses]
    verdicts = validate_records(
        transformed,
        status_frame,
        sources,
        counts,
        failed=[s["source_id"] for s in statuses if s["status"] == "failed"],
        force=force,
        quality_dir=str(tmp_path / "quality"),
        run_id="r1",
    )
    decisions = {(r["source_id"], r["identifier"]): r for r in verdicts.validated.collect()}
    states = {r["source_id"]: r for r in verdicts.statuses.collect()}
    return verdicts.validated, decisions, states, verdicts.quality


@pytest.fixture(scope="module")
def shrunk_source_rows():
    """Source "cut" served 30 of its 300 published records; source "fine" has one record without a title."""
    rows = [row("cut", f"c{i}", "unchanged") for i in range(30)]
    rows += [row("cut", f"c{i}", "delete") for i in range(30, 300)]
    rows += [row("fine", "f1", "update", dataset("f1")), row("fine", "f2", "unchanged")]
    rows += [row("fine", "f3", "create", dataset("f3", title=None))]
    rows += [row("fine", f"n{i}", "create", dataset(f"n{i}")) for i in range(10)]
    statuses = [status("cut", 30), status("fine", 13)]
    return rows, statuses, [("cut", 300), ("fine", 2)]


def test_source_cut_from_300_to_30_is_held_and_others_go_on(spark, tmp_path, shrunk_source_rows):
    rows, statuses, published = shrunk_source_rows
    validated, decisions, states, quality = run(spark, tmp_path, rows, statuses, published)
    assert validated.schema.fieldNames() == VALIDATED.fieldNames()
    assert {decisions[("cut", f"c{i}")]["decision"] for i in range(300)} == {"held"}
    assert states["cut"]["status"] == "held"
    assert states["cut"]["reason"].startswith(
        "held: 270 of 300 published records would be deleted (90% > 20% allowed)"
    )
    assert states["cut"]["reason"].endswith("run with --force to apply")
    assert "only 30 records extracted for 300 published (10% < 50% required)" in states["cut"]["reason"]
    assert states["fine"]["status"] == "complete"
    assert decisions[("fine", "f1")]["decision"] == "accept"
    assert decisions[("fine", "f3")]["decision"] == "reject"
    assert decisions[("fine", "f3")]["reasons"] == ["schema: $.title: required field is missing"]
    guards = {f["column"] for f in quality["sources"]["cut"]["failed_expectations"]}
    assert guards == {"delete_share", "extracted_share"}
    assert (tmp_path / "quality" / quality["data_docs"]).is_file()
    assert "change_set" in json.loads((tmp_path / "quality" / "results.json").read_text())


def test_force_releases_a_held_source(spark, tmp_path, shrunk_source_rows):
    rows, statuses, published = shrunk_source_rows
    _, decisions, states, _ = run(spark, tmp_path, rows, statuses, published, force=True)
    assert decisions[("cut", "c200")]["decision"] == "accept"
    assert decisions[("cut", "c200")]["action"] == "delete"
    assert states["cut"]["status"] == "complete"
    assert states["cut"]["reason"].startswith("forced: 270 of 300 published records would be deleted")
    assert "overridden with --force" in states["cut"]["reason"]


def test_critical_record_expectation_holds_its_source(spark, tmp_path):
    rows = [row("dup", "same", "create", dataset("same")), row("dup", "same", "create", dataset("same"))]
    rows += [row("ok", "o1", "create", dataset("o1", contactPoint={"fn": "A", "hasEmail": "a@b.gov"}))]
    _, decisions, states, quality = run(
        spark, tmp_path, rows, [status("dup", 2), status("ok", 1)], [("dup", 0), ("ok", 0)]
    )
    assert states["dup"]["status"] == "held"
    assert (
        "expect_compound_columns_to_be_unique on source_id, identifier failed for 2 of 2"
        in states["dup"]["reason"]
    )
    # A warning expectation is reported, never holds; the schema rejects the record itself.
    assert states["ok"]["status"] == "complete"
    assert decisions[("ok", "o1")]["decision"] == "reject"
    email = [f for f in quality["sources"]["ok"]["failed_expectations"] if f["column"] == "has_email"]
    assert email == [
        {
            "expectation": "expect_column_values_to_match_regex",
            "column": "has_email",
            "severity": "warning",
            "unexpected_count": 1,
            "examples": ["o1"],
        }
    ]


def test_failed_source_stays_failed_and_rejects_stay_rejected(spark, tmp_path):
    rows = [row("gone", "g1", "unchanged"), row("bad", None, "reject", reasons=["no identifier"])]
    _, decisions, states, _ = run(
        spark, tmp_path, rows, [status("gone", 0, "failed"), status("bad", 1)], [("gone", 100), ("bad", 1)]
    )
    assert states["gone"]["status"] == "failed"
    assert decisions[("bad", None)]["decision"] == "reject"
    assert decisions[("bad", None)]["reasons"] == ["no identifier"]


def test_missing_suite_is_fatal(spark, tmp_path):
    with pytest.raises(RuntimeError, match="missing or unreadable"):
        validate_records(
            spark.createDataFrame([], TRANSFORMED),
            spark.createDataFrame([], SOURCE_STATUS),
            [],
            spark.createDataFrame([], "source_id string, published long"),
            failed=[],
            force=False,
            suites_dir=str(tmp_path),
            quality_dir=str(tmp_path / "q"),
            run_id="r1",
        )


def test_a_run_that_changes_nothing_runs_no_suite_and_builds_no_data_docs(spark, tmp_path):
    # 30 of 300 extracted would trip the extracted-share guard, but a partial source deletes nothing,
    # and nothing else changes: there is nothing for a hold to stop.
    rows = [row("same", f"s{i}", "unchanged") for i in range(30)] + [
        row("bad", None, "reject", reasons=["x"])
    ]
    statuses = [status("same", 30, "partial"), status("bad", 1)]
    _, decisions, states, quality = run(spark, tmp_path, rows, statuses, [("same", 300), ("bad", 0)])
    assert quality == {"data_docs": None, "sources": {}}
    assert not (tmp_path / "quality").exists()
    assert states["same"]["status"] == "partial"
    assert states["bad"]["status"] == "complete"
    assert decisions[("same", "s7")]["decision"] == "accept"
    assert decisions[("bad", None)]["decision"] == "reject"
