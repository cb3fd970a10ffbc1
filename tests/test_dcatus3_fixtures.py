"""data.gov's own DCAT-US 3.0 fixtures through extract, compare, transform and validate, as a first harvest.

The records each fixture adds are the figures data.gov's tests assert
(tests/integration/harvest_job_flows/test_harvest_job_full_flow.py in GSA/datagov-harvester); the
rejections and warnings are what its harvester reports for the invalid, warning, nested-catalog and
no-identifier fixtures.
"""

import json
from pathlib import Path

import pytest

from expectations import __file__ as suites_init
from transforms.compare.changes import classify_changes
from transforms.crosswalk.transform import transform_changes
from transforms.fetch.extract import extract_sources
from transforms.gate.validate import validate_records
from transforms.registry import Source
from transforms.schemas import CATALOG_STATE

FOLDER = "datajson/datagov-harvester-dcatus3.0"
# fixture -> (records added (accepted), rejected, warned)
EXPECTED = {
    "dcatus3_0.json": (3, 1, 0),
    "dcatus3_0_with_services.json": (3, 0, 0),
    "dcatus3_0_with_records.json": (3, 0, 0),
    "dcatus3_0_series_with_members.json": (3, 0, 0),
    "dcatus3_0_service_serves_dataset.json": (2, 0, 0),
    "dcatus3_0_invalid.json": (1, 1, 0),
    "dcatus3_0_warning.json": (3, 0, 2),
    "dcatus3_0_nested_catalog.json": (3, 0, 0),
    "dcatus3_0_no_identifier.json": (0, 1, 0),
    "dcatus3_0_record_no_id.json": (2, 0, 0),
    "dcatus3_0_series_member_also_top_level.json": (3, 0, 0),
    "dcatus3_0_service_no_identifier.json": (1, 1, 0),
}


UPGRADED = {  # 1.1 and ISO sources published as 3.0 in the same run
    "collection-as-3-0": ("datajson/ckanext-datajson/collection-1-parent-2-children.data.json", "datajson"),
    "iso-waf-as-3-0": ("waf/datagov-harvester/iso_2_waf", "waf"),
}


def source_id(name: str) -> str:
    return name.removesuffix(".json").replace("_", "-")


@pytest.fixture(scope="module")
def harvested(spark, realdata, tmp_path_factory) -> dict[str, list]:
    """source id -> the validated rows of that fixture's first harvest."""
    sources = [
        Source(
            source_id(name),
            name,
            "Test Agency",
            (realdata / FOLDER / name).as_uri(),
            "datajson",
            "dcatus3.0",
            allow_private_network=True,
        )
        for name in EXPECTED
    ]
    sources += [
        Source(
            key,
            key,
            "Test Agency",
            (realdata / path).as_uri(),
            kind,
            "dcatus1.1-non-federal" if kind == "datajson" else "iso19115",
            allow_private_network=True,
            publish_as="dcatus3.0",
        )
        for key, (path, kind) in UPGRADED.items()
    ]
    records, statuses = extract_sources(spark, sources)
    empty = spark.createDataFrame([], CATALOG_STATE)
    transformed = transform_changes(classify_changes(records, statuses, empty), sources)
    validated = validate_records(
        transformed,
        statuses,
        sources,
        spark.createDataFrame([], "source_id string, published long"),
        failed=[row.source_id for row in statuses.collect() if row.status == "failed"],
        force=False,
        suites_dir=str(Path(suites_init).parent),
        quality_dir=str(tmp_path_factory.mktemp("quality")),
        run_id="dcatus3-fixtures",
    ).validated
    rows: dict[str, list] = {}
    for row in validated.collect():
        rows.setdefault(row.source_id, []).append(row)
    return rows


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_records_added_rejected_and_warned_match_data_gov(harvested, name):
    rows = harvested[source_id(name)]
    accepted = [r for r in rows if r.decision == "accept"]
    rejected = [r for r in rows if r.decision == "reject"]
    warned = [r for r in rows if r.warnings]
    assert (len(accepted), len(rejected), len(warned)) == EXPECTED[name]
    assert all(r.action == "create" and r.dcat_version == "3.0" for r in accepted)


def classes(rows) -> list[tuple]:
    return sorted((r.record_type, r.identifier, r.parent_identifier) for r in rows if r.decision == "accept")


def test_services_records_and_series_are_records_of_their_class(harvested):
    assert classes(harvested["dcatus3-0-with-services"]) == [
        ("DataService", "https://example.gov/services/one", None),
        ("DataService", "https://example.gov/services/two", None),
        ("Dataset", "https://example.gov/datasets/one", None),
    ]
    assert [r.record_type for r in harvested["dcatus3-0-with-records"] if r.decision == "accept"].count(
        "CatalogRecord"
    ) == 2
    series = "https://example.gov/series/annual-report"
    assert classes(harvested["dcatus3-0-series-with-members"]) == [
        ("Dataset", "https://example.gov/datasets/annual-report-2023", series),
        ("Dataset", "https://example.gov/datasets/annual-report-2024", series),
        ("DatasetSeries", series, None),
    ]
    served = harvested["dcatus3-0-service-serves-dataset"]
    member = next(r for r in served if r.record_type == "Dataset")
    assert json.loads(member.dcat_json)["isPartOf"] == "https://example.gov/services/one"
    service = next(r for r in served if r.record_type == "DataService")
    assert "isPartOf" not in json.loads(service.dcat_json)


def test_a_member_listed_at_the_top_level_is_one_record_with_its_top_level_text(harvested):
    rows = harvested["dcatus3-0-series-member-also-top-level"]
    assert [r.identifier for r in rows].count("https://example.gov/datasets/annual-report-2023") == 1
    top = next(r for r in rows if r.identifier.endswith("annual-report-2023"))
    assert top.parent_identifier == "https://example.gov/series/annual-report"
    assert "also listed at the catalog's top level" in json.loads(top.dcat_json)["description"]


def test_nested_catalogs_and_object_identifiers(harvested):
    assert sorted(r.identifier for r in harvested["dcatus3-0-nested-catalog"]) == [
        "https://example.gov/datasets/nested-child",
        "https://example.gov/datasets/nested-grandchild",
        "https://example.gov/datasets/nested-parent",
    ]
    three = next(r for r in harvested["dcatus3-0"] if r.identifier == "https://example.gov/datasets/three")
    assert json.loads(three.dcat_json)["identifier"] == {
        "@type": "Identifier",
        "@id": "https://example.gov/datasets/three",
    }
    record = next(r for r in harvested["dcatus3-0-record-no-id"] if r.record_type == "CatalogRecord")
    assert record.identifier == (
        "urn:datagov:catalogrecord:02bf56dcdd4eb09520b1eeb6890b093d8073eb24b0261309767d4f02aac9a125"
    )


def test_rejections_name_what_the_publisher_must_fix(harvested):
    def reasons(source):
        return [reason for r in harvested[source] if r.decision == "reject" for reason in r.reasons]

    assert reasons("dcatus3-0") == [
        'Dataset "Test Dataset Four" has an "identifier" object with no usable "@id"'
    ]
    assert reasons("dcatus3-0-no-identifier") == [
        'Dataset "Dataset With Invalid Object Identifier" has an "identifier" object with no usable "@id"'
    ]
    assert reasons("dcatus3-0-service-no-identifier") == [
        'DataService "Data Service Without Identifier" has no "identifier"'
    ]
    assert reasons("dcatus3-0-invalid") == ["schema: $.contactPoint: required field is missing"]


def test_warnings_are_the_content_problems_data_gov_reports(harvested):
    warnings = {r.identifier: list(r.warnings) for r in harvested["dcatus3-0-warning"] if r.warnings}
    assert warnings == {
        "https://example.gov/datasets/warning-one": [
            'schema: $.issued: "2030-01-01" is later than modified "2020-01-01": '
            "a dataset cannot be issued after it was last modified"
        ],
        "https://example.gov/datasets/warning-two": [
            'schema: $.distribution[0].mediaType: "notareal/type" is not a registered (IANA) media type'
        ],
    }


def test_a_1_1_collection_published_as_3_0_is_a_series_with_its_members(harvested):
    rows = {r.identifier: r for r in harvested["collection-as-3-0"]}
    assert {key: (r.decision, r.record_type, r.dcat_version) for key, r in rows.items()} == {
        "OPM-ERround-0001": ("accept", "DatasetSeries", "3.0"),
        "OPM-ERround-0001-AWOL": ("accept", "Dataset", "3.0"),
        "OPM-ERround-0001-Retire": ("accept", "Dataset", "3.0"),
    }
    assert json.loads(rows["OPM-ERround-0001-AWOL"].dcat_json)["isPartOf"] == "OPM-ERround-0001"
    assert all(any(w.startswith("upgrade: ") for w in r.warnings) for r in rows.values())


def test_iso_records_published_as_3_0_are_checked_against_3_0(harvested):
    rows = harvested["iso-waf-as-3-0"]
    assert {r.dcat_version for r in rows} == {"3.0"}
    accepted = [r for r in rows if r.decision == "accept"]
    assert accepted and all(json.loads(r.dcat_json)["spatial"][0]["@type"] == "Location" for r in accepted)
    assert all(any(w.startswith("upgrade: qualifiedAttribution") for w in r.warnings) for r in accepted)
