"""DCAT-US 1.1 datasets and the ISO/FGDC crosswalk's output published as DCAT-US 3.0 (GSA's mapping)."""

import json

import pytest

from tests.conftest import REALDATA
from transforms.crosswalk.dcatus3_upgrade import upgrade_dataset
from transforms.crosswalk.dcatus3_values import period_of_time, schema_date, two_letter_language
from transforms.crosswalk.transform import RecordContext, transform_record
from transforms.gate.schema_check import ERROR, checker

CONTACT = {"@type": "vcard:Contact", "fn": "Jane Doe", "hasEmail": "mailto:jane@agency.gov"}
DATASET = {
    "@type": "dcat:Dataset",
    "title": "Widgets",
    "description": "Widget counts",
    "identifier": "https://agency.gov/id/widgets",
    "accessLevel": "public",
    "contactPoint": CONTACT,
    "publisher": {"@type": "org:Organization", "name": "Widget Office"},
    "keyword": ["widgets"],
    "modified": "2024-01-02",
}
TO_3_0 = RecordContext(dcat_version="3.0")


def upgraded(**fields) -> tuple[dict, list[str]]:
    record, _, warnings = upgrade_dataset({**DATASET, **fields})
    return record, warnings


def errors(record: dict, record_type: str = "Dataset") -> list[str]:
    return [str(f) for f in checker(f"3.0/{record_type}").check(record) if f.severity == ERROR]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2000-01-15/2010-12-31", {"startDate": "2000-01-15", "endDate": "2010-12-31"}),
        ("2000/2010-05", {"startDate": "2000", "endDate": "2010-05"}),
        ("R/2000-01-01/P1Y", {"startDate": "2000-01-01"}),
        (
            "2000-01-15T00:00:00Z/2001-01-01T12:00:00",
            {"startDate": "2000-01-15T00:00:00Z", "endDate": "2001-01-01"},
        ),
        ("not a period", None),
        ("2000-01-01", None),
    ],
)
def test_temporal_becomes_a_period_of_time(given, expected):
    made = period_of_time(given)
    assert made == (None if expected is None else {"@type": "PeriodOfTime", **expected})


def test_temporal_that_is_no_period_is_dropped_with_a_warning():
    record, warnings = upgraded(temporal="sometime")
    assert "temporal" not in record
    assert 'upgrade: temporal "sometime" is not a start/end period; dropped' in warnings


@pytest.mark.parametrize(
    ("spatial", "expected"),
    [
        ("-124.5,32,-114.1,42", {"bbox": "POLYGON((-124.5 32, -114.1 32, -114.1 42, -124.5 42, -124.5 32))"}),
        ("California", {"prefLabel": "California"}),
        ({"type": "Point", "coordinates": [1, 2]}, {"geometry": {"type": "Point", "coordinates": [1, 2]}}),
        ('{"type": "Point", "coordinates": [1, 2]}', {"geometry": {"type": "Point", "coordinates": [1, 2]}}),
    ],
)
def test_spatial_becomes_a_location(spatial, expected):
    record, warnings = upgraded(spatial=spatial)
    assert record["spatial"] == [{"@type": "Location", **expected}]
    assert any(w.startswith("upgrade: spatial") for w in warnings)
    assert errors(record) == []


def test_contact_publisher_and_conforms_to_become_3_0_objects():
    publisher = {"name": "A", "subOrganizationOf": {"name": "B", "subOrganizationOf": {"name": "C"}}}
    record, warnings = upgraded(
        publisher=publisher,
        conformsTo="https://standards.gov/widget-schema",
        landingPage="https://agency.gov/widgets",
        describedBy="https://agency.gov/widgets/dictionary.csv",
        describedByType="text/csv",
        contactPoint={**CONTACT, "hasEmail": " mailto:jane@agency.gov "},
    )
    assert record["publisher"] == {
        "name": "A",
        "subOrganizationOf": [{"name": "B", "subOrganizationOf": [{"name": "C"}]}],
    }
    assert record["conformsTo"] == [
        {"@type": "Standard", "identifier": "https://standards.gov/widget-schema"}
    ]
    assert record["landingPage"] == {
        "@type": "Document",
        "accessURL": "https://agency.gov/widgets",
        "title": "Widgets",
    }
    assert record["describedBy"] == {
        "@type": "Distribution",
        "accessURL": "https://agency.gov/widgets/dictionary.csv",
        "mediaType": "text/csv",
    }
    assert "describedByType" not in record
    assert record["contactPoint"]["hasEmail"] == "mailto:jane@agency.gov"
    assert len([w for w in warnings if w.startswith("upgrade:")]) == len(warnings) == 6
    assert errors(record) == []


def test_rights_theme_and_license_and_access_rights_beside_access_level():
    record, warnings = upgraded(
        rights="Public domain",
        theme="Manufacturing",
        license="https://creativecommons.org/publicdomain/zero/1.0/",
        accessLevel="restricted public",
        distribution=[
            {"downloadURL": "https://agency.gov/w.csv"},
            {"accessURL": "https://agency.gov/api", "license": "x"},
        ],
    )
    assert record["rights"] == ["Public domain"] and record["theme"] == ["Manufacturing"]
    assert record["accessLevel"] == "restricted public"
    assert record["accessRights"] == "Access restricted. Contact the publisher to request access."
    assert [d["license"] for d in record["distribution"]] == [
        "https://creativecommons.org/publicdomain/zero/1.0/",
        "x",
    ]
    assert "upgrade: license copied to 1 distribution(s)" in warnings
    assert errors(record) == []


@pytest.mark.parametrize(
    ("tags", "expected"),
    [(["en-US"], ["en"]), ("en-us", ["en"]), (["eng", "fre", "en"], ["en", "fr"]), (["klingon"], None)],
)
def test_language_codes_become_two_letter_codes(tags, expected):
    record, _ = upgraded(language=tags)
    assert record.get("language") == expected
    assert two_letter_language("es-MX") == "es"


@pytest.mark.parametrize(
    ("modified", "kept", "periodicity"),
    [
        ("2024-01-02T10:11:12Z", "2024-01-02T10:11:12Z", None),
        ("2024-01-02T10:11:12", "2024-01-02", None),
        ("2024-01-02 10:11", "2024-01-02", None),
        ("2020-01-01/2024-06-30", "2024-06-30", None),
        ("R/P1D", None, "daily"),
        ("R/P2Y", None, "irregular"),
        ("last week", None, None),
    ],
)
def test_modified_in_a_form_3_0_accepts_or_an_update_frequency(modified, kept, periodicity):
    record, warnings = upgraded(modified=modified)
    assert record.get("modified") == kept and record.get("accrualPeriodicity") == periodicity
    assert any("modified" in w for w in warnings) == (kept != modified)


def test_issued_keeps_a_year_and_drops_what_is_no_date():
    assert upgraded(issued="2019")[0]["issued"] == "2019"
    record, warnings = upgraded(issued="circa 2019")
    assert "issued" not in record and 'upgrade: issued "circa 2019" is not a date; dropped' in warnings
    assert schema_date("2019-02-30") is None


def test_a_record_others_name_as_their_parent_becomes_a_dataset_series_and_members_keep_is_part_of():
    parent, record_type, warnings = upgrade_dataset(DATASET, series=True)
    assert record_type == "DatasetSeries" and parent["@type"] == "DatasetSeries"
    assert parent["@id"] == parent["identifier"] == "https://agency.gov/id/widgets"
    assert parent["contactPoint"] == [CONTACT]
    assert warnings[-1].startswith("upgrade: became a DatasetSeries")
    assert errors(parent, "DatasetSeries") == []
    member, record_type, warnings = upgrade_dataset({**DATASET, "isPartOf": "https://agency.gov/id/widgets"})
    assert (record_type, member["isPartOf"]) == ("Dataset", "https://agency.gov/id/widgets")
    assert any("member of that DatasetSeries" in w for w in warnings)


def test_the_upgrade_does_not_change_its_input():
    original = json.loads(json.dumps({**DATASET, "temporal": "2000/2001", "language": ["en-US"]}))
    upgrade_dataset(original, series=True)
    assert original == {**DATASET, "temporal": "2000/2001", "language": ["en-US"]}


def test_a_record_that_cannot_be_upgraded_validly_fails_the_3_0_schema():
    record, _ = upgraded(contactPoint={"fn": "No email"})
    assert errors(record) == ["$.contactPoint.hasEmail: required field is missing"]


def test_iso_records_published_as_3_0_keep_every_box_period_and_role(realdata):
    raw = (REALDATA / "waf" / "mdTranslator" / "iso19115-3.xml").read_text()
    result = transform_record("xml", raw, "https://x.gov/iso3.xml", None, {}, "Agency", TO_3_0)
    record = result.dataset
    assert result.error is None and result.record_type == "Dataset"
    assert [p["startDate"] for p in record["temporal"]] == ["1980-01-01T00:00:00Z"]
    assert len(record["spatial"]) == 1 and record["spatial"][0]["bbox"].startswith(
        "POLYGON((-96.8589114267623"
    )
    roles = {(a["hadRole"], a["agent"]["name"]) for a in record["qualifiedAttribution"]}
    assert {("pointOfContact", "Jordan S Read"), ("publisher", "Luke A. Winslow")} <= roles
    assert errors(record) == []
    assert any(w.startswith("upgrade: qualifiedAttribution: 10 contact(s)") for w in result.warnings)


def test_fgdc_records_published_as_3_0_keep_open_periods_and_contacts_with_roles(realdata):
    raw = (REALDATA / "waf" / "mdTranslator" / "fgdc" / "fgdc_fullRecord.xml").read_text()
    record = transform_record("xml", raw, "https://x.gov/f.xml", None, {}, "Agency", TO_3_0).dataset
    assert record["temporal"] == [{"@type": "PeriodOfTime", "startDate": "1990-07-01", "endDate": "2016"}]
    assert record["spatial"][0]["bbox"].startswith("POLYGON((-166.81640625 24.0464639997")
    roles = [a["hadRole"] for a in record["qualifiedAttribution"]]
    assert roles.count("distributor") == 2 and "metadataContact" in roles and "originator" in roles
    assert errors(record) == []


def test_iso_extents_the_1_1_crosswalk_leaves_out_are_kept_in_3_0():
    iso = (
        '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco"'
        ' xmlns:gml="http://www.opengis.net/gml/3.2"><gmd:fileIdentifier><gco:CharacterString>f-1'
        "</gco:CharacterString></gmd:fileIdentifier><gmd:identificationInfo><gmd:MD_DataIdentification>"
        "<gmd:citation><gmd:CI_Citation><gmd:title><gco:CharacterString>Reefs</gco:CharacterString></gmd:title>"
        "</gmd:CI_Citation></gmd:citation><gmd:abstract><gco:CharacterString>Reef survey.</gco:CharacterString>"
        "</gmd:abstract><gmd:extent><gmd:EX_Extent>"
        + "".join(
            "<gmd:geographicElement><gmd:EX_GeographicBoundingBox>"
            + "".join(
                f"<gmd:{name}><gco:Decimal>{number}</gco:Decimal></gmd:{name}>"
                for name, number in zip(
                    ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude"),
                    box,
                    strict=True,
                )
            )
            + "</gmd:EX_GeographicBoundingBox></gmd:geographicElement>"
            for box in ((-81, -80, 24, 25), (-157, -155, 19, 21))
        )
        + "<gmd:temporalElement><gmd:EX_TemporalExtent><gmd:extent><gml:TimePeriod gml:id='t'>"
        "<gml:beginPosition>2019-04</gml:beginPosition><gml:endPosition indeterminatePosition='now'/>"
        "</gml:TimePeriod></gmd:extent></gmd:EX_TemporalExtent></gmd:temporalElement>"
        "</gmd:EX_Extent></gmd:extent></gmd:MD_DataIdentification></gmd:identificationInfo>"
        "<gmd:distributionInfo><gmd:MD_Distribution/></gmd:distributionInfo></gmd:MD_Metadata>"
    )
    as_1_1 = transform_record("xml", iso, "https://x.gov/r.xml", None, {}, "Agency").dataset
    assert as_1_1["spatial"] == "-81,24,-80,25" and "temporal" not in as_1_1  # one box; open period left out
    record = transform_record("xml", iso, "https://x.gov/r.xml", None, {}, "Agency", TO_3_0).dataset
    assert [location["bbox"].split(",")[0] for location in record["spatial"]] == [
        "POLYGON((-81 24",
        "POLYGON((-157 19",
    ]
    assert record["temporal"] == [{"@type": "PeriodOfTime", "startDate": "2019-04"}]
    assert errors(record) == []
