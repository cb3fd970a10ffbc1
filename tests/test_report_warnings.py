"""A source's warnings in the run report are those of every record it currently publishes (stored with the
published version, so a record unchanged since keeps them), and this run's of the records it judged anew."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rows import row
from transforms.reports.published_warnings import current_warnings, report_rows
from transforms.reports.report import report_figures
from transforms.schemas import CATALOG_STATE, OUTCOMES, SOURCE_STATUS

STORED = "fixup: no contact email; the default was used"
NEW = "text: title contains 1 zero-width character(s) (U+200B); left as written"
# What happens to one published record this run: (action, outcome, this run's warnings), or None: not seen.
FATES = {
    "unchanged": ("unchanged", "unchanged", []),
    "unchanged, extract warns again": ("unchanged", "unchanged", [STORED]),
    "unchanged in a held source": ("unchanged", "held", []),
    "delete held": ("delete", "held", []),
    "deleted": ("delete", "deleted", []),
    "updated": ("update", "updated", [NEW]),
    "update rejected": ("update", "rejected", [NEW]),
    "not seen": None,
}
# The warnings the report shows for a record of each fate: its published version's unless the run judged a
# new version of it; none once it is deleted (it is then not in the report's rows at all).
SHOWN = {
    "unchanged": [STORED],
    "unchanged, extract warns again": [STORED],
    "unchanged in a held source": [STORED],
    "delete held": [STORED],
    "updated": [NEW],
    "update rejected": [NEW],
    "not seen": [STORED],
}


def frames(spark, fates: list[str], source_id: str = "agency"):
    published = spark.createDataFrame(
        [
            row(CATALOG_STATE, source_id=source_id, identifier=f"r{i}", content_hash="h", warnings=[STORED])
            for i in range(len(fates))
        ]
        # a source this run did not harvest: none of its records is this run's business
        + [row(CATALOG_STATE, source_id="elsewhere", identifier="x", content_hash="h", warnings=[STORED])],
        CATALOG_STATE,
    )
    outcomes = spark.createDataFrame(
        [
            row(OUTCOMES, source_id=source_id, identifier=f"r{i}", action=a, outcome=o, warnings=w)
            for i, fate in enumerate(fates)
            if FATES[fate] is not None
            for a, o, w in [FATES[fate]]
        ]
        + [
            row(
                OUTCOMES,
                source_id=source_id,
                identifier="new",
                action="create",
                outcome="created",
                warnings=[NEW],
            )
        ],
        OUTCOMES,
    )
    return published, outcomes


def shown(warned) -> dict[str, list[str]]:
    return {r["identifier"]: list(r["warnings"]) for r in warned.collect()}


def test_each_fate_of_a_published_record_shows_the_warnings_of_the_version_that_stays(spark):
    fates = list(FATES)
    published, outcomes = frames(spark, fates)
    assert shown(current_warnings(report_rows(outcomes, published, ["agency"]))) == {
        **{f"r{i}": SHOWN[fate] for i, fate in enumerate(fates) if fate != "deleted"},
        "new": [NEW],
    }


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(FATES)), min_size=1, max_size=6))
def test_the_report_counts_every_published_record_with_a_warning_and_no_deleted_one(spark, tmp_path, fates):
    published, outcomes = frames(spark, fates)
    statuses = spark.createDataFrame(
        [row(SOURCE_STATUS, source_id="agency", status="complete", extracted=len(fates))], SOURCE_STATUS
    )
    figures = report_figures(report_rows(outcomes, published, ["agency"]), statuses, [], {}, str(tmp_path))
    [entry] = figures["sources"]
    kept = [fate for fate in fates if fate != "deleted"]
    assert entry["warnings"] == len(kept) + 1  # and the record created this run
    by_warning = {w["warning"]: w["count"] for w in entry["top_warnings"]}
    assert by_warning.get(STORED, 0) == sum(SHOWN[f] == [STORED] for f in kept)
    assert by_warning[NEW] == 1 + sum(SHOWN[f] == [NEW] for f in kept)


def test_without_a_catalog_a_run_shows_its_own_warnings(spark):
    _, outcomes = frames(spark, ["updated", "deleted"])
    assert shown(current_warnings(report_rows(outcomes, None, ["agency"]))) == {"r0": [NEW], "new": [NEW]}
