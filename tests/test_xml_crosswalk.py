"""ISO 19115 / ISO 19139 / FGDC crosswalk: golden DCAT-US outputs for real records, and mdTranslator parity."""

import json
from pathlib import Path

import jsonschema
import pytest

from transforms.crosswalk.transform import transform_record

GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDENS = sorted(GOLDEN.glob("*.json"))
SCHEMA = "schema/datagov-harvester-dcatus1.1/non-federal_dataset.json"
# Goldens whose dataset is expected to fail the DCAT-US 1.1 schema, and why.
EXPECTED_SCHEMA_FAILURES = {
    "datagov_harvester_too_many_keywords": {
        # The record's abstract is an empty gco:CharacterString and it lists 1,213 keywords:
        # the schema requires a description and allows at most 1,000 keywords.
        "required": "'description' is a required property",
        "keyword": "is not valid under any of the given schemas",  # anyOf: array maxItems 1000
    },
}


def _golden(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _validator(realdata: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads((realdata / SCHEMA).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _transform(realdata: Path, golden: dict):
    raw = (realdata / "waf" / golden["input"]).read_text(encoding="utf-8")
    return transform_record(
        "xml", raw, golden["record_url"], golden["parent_identifier"], {}, golden["organization"]
    )


def test_goldens_cover_every_kind_and_sample_repository():
    goldens = [_golden(path) for path in GOLDENS]
    assert len(goldens) >= 12
    assert {g["source_format"] for g in goldens} == {"iso19115-2", "iso19139", "iso19115-3", "fgdc"}
    for repository in ("datagov-harvester/", "ckanext-geodatagov/", "ckanext-spatial/", "mdTranslator/"):
        assert any(g["input"].startswith(repository) for g in goldens), repository


@pytest.mark.parametrize("path", GOLDENS, ids=[p.stem for p in GOLDENS])
def test_real_record_matches_reviewed_golden(realdata, path):
    golden = _golden(path)
    result = _transform(realdata, golden)
    assert result.error is None
    assert result.source_format == golden["source_format"]
    assert result.dataset == golden["dataset"]
    assert result.warnings == golden["warnings"]


@pytest.mark.parametrize("path", GOLDENS, ids=[p.stem for p in GOLDENS])
def test_golden_is_valid_dcat_us_or_fails_for_the_stated_reason(realdata, path):
    errors = {
        "/".join(map(str, e.path)) or e.validator: e.message
        for e in _validator(realdata).iter_errors(_golden(path)["dataset"])
    }
    expected = EXPECTED_SCHEMA_FAILURES.get(path.stem, {})
    assert set(errors) == set(expected), errors
    for key, reason in expected.items():
        assert reason in errors[key]


def test_too_many_keywords_record_really_has_more_than_1000():
    dataset = _golden(GOLDEN / "datagov_harvester_too_many_keywords.json")["dataset"]
    assert len(dataset["keyword"]) == 1213 and "description" not in dataset


def test_iso19115_2_against_mdtranslator_output(realdata):
    """Field by field against mdTranslator's DCAT-US output for the same record; every difference explained."""
    expected = json.loads(
        (realdata / "mapping/mdTranslator-expected/iso19115-2-datagov-to-dcatus.json").read_text()
    )
    ours = _golden(GOLDEN / "mdtranslator_iso19115-2_datagov.json")["dataset"]
    for same in (
        "title",
        "description",
        "keyword",
        "publisher",
        "contactPoint",
        "identifier",
        "accessLevel",
        "accrualPeriodicity",
        "landingPage",
        "describedBy",
    ):
        assert ours[same] == expected[same], same
    # Dates are kept as written (2023-11-22, 2017) where mdTranslator pads them to midnight UTC.
    assert expected["modified"].startswith(ours["modified"]) and expected["issued"].startswith(ours["issued"])
    assert expected["temporal"] == "2017-12-01T00:00:00+00:00/2023-12-01T00:00:00+00:00"
    assert ours["temporal"] == "2017-12-01T00:00:00/2023-12-01T00:00:00"
    # mdTranslator writes E,S,W,N; DCAT-US asks W,S,E,N (westBoundLongitude -166, eastBoundLongitude -74).
    assert expected["spatial"] == "-74.0,24.0,-166.0,71.0" and ours["spatial"] == "-166.0,24.0,-74.0,71.0"
    # "eng; USA" is mapped to an RFC 5646 tag as the POD crosswalk asks; mdTranslator keeps "eng".
    assert ours["language"] == ["en-US"] and expected["language"] == ["eng"]
    # theme: the same topic categories, plus "geospatial" from the geospatial_theme fix-up.
    assert ours["theme"] == expected["theme"] + ["geospatial"]
    # rights: the same codes, then the record's otherConstraints and useLimitation texts.
    assert ours["rights"].startswith(expected["rights"] + "; other constraint; use limitation one")
    # mdTranslator defaults license to CC0; nothing in the record names a licence, so we leave it out.
    assert "license" not in ours
    # references / distributions: values that are not URLs ("aggregate_information_online_resources",
    # "online resource URL") are left out with a warning instead of producing schema-invalid URIs;
    # mdTranslator also turns aggregate resources into downloadURLs with mediaType "placeholder/value".
    assert ours["references"] == ["https://aggregation_info_sample_url.gov"]
    assert ours["distribution"] == [
        {
            "@type": "dcat:Distribution",
            "accessURL": "https://online_resource_url.gov",
            "title": "Landing page",
        }
    ]
    # isPartOf: the record's parentIdentifier; mdTranslator takes the title of an aggregate
    # (largerWorkCitation) instead, which names no record. No SORN in ISO.
    assert (
        ours["isPartOf"] == "ISO19115-2-ID-123456-parent"
        and expected["isPartOf"] == "associated resource title 1"
    )
    assert "systemOfRecords" not in ours
    # describedByType "HTTPS" is not a media type; left out.
    assert "describedByType" not in ours


def test_iso19115_3_against_mdtranslator_output(realdata):
    expected = json.loads((realdata / "mapping/mdTranslator-expected/iso19115-3-to-dcatus.json").read_text())
    ours = _golden(GOLDEN / "mdtranslator_iso19115-3.json")["dataset"]
    for same in (
        "title",
        "description",
        "publisher",
        "identifier",
        "accessLevel",
        "landingPage",
        "describedBy",
    ):
        assert ours[same] == expected[same], same
    # Keywords deduplicated (the POD validator expects unique keywords): mdTranslator repeats 7 place names.
    assert ours["keyword"] == list(dict.fromkeys(expected["keyword"]))
    # hasEmail needs the mailto: scheme the DCAT-US schema requires.
    assert ours["contactPoint"]["hasEmail"] == "mailto:" + expected["contactPoint"]["hasEmail"]
    assert ours["modified"] == expected["modified"]
    # issued: the citation's publication date ("2017"); mdTranslator took another citation's creation date.
    assert ours["issued"] == "2017"
    assert ours["spatial"] == "-96.8589114267623,41.7553570685206,-83.0573307815185,48.7289513243629"
    assert expected["spatial"].split(",")[0] == "-83.0573307815185"  # mdTranslator: E,S,W,N again
    assert ours["temporal"] == "1980-01-01T00:00:00Z/1995-12-31T00:00:00Z"  # written with Z in the record
    # "R/P2M or R/P0.5M" is not an ISO 8601 duration; accrualPeriodicity left out.
    assert "accrualPeriodicity" not in ours
    # language: "test_lang_code" is no language code (reported as a warning); "eng" is BCP 47 "en".
    assert ours["language"] == ["en"] and expected["language"][0] == "eng"
    # theme: ISO topic categories, not mdTranslator's space-joined place keywords (a string, not an array).
    assert ours["theme"] == ["environment", "inlandWaters", "geospatial"]
    # mdTranslator's empty bureauCode/programCode arrays fail the schema (minItems 1); we leave them out.
    assert "bureauCode" not in ours and "programCode" not in ours
    # The distribution keeps its real link; mediaType comes from the .png extension. The format title
    # of the transfer options (which mdTranslator writes as mediaType) names no PNG: no format on that link.
    assert ours["distribution"][0]["downloadURL"] == expected["distribution"][0]["downloadURL"]
    assert ours["distribution"][0]["mediaType"] == "image/png"
    assert "format" not in ours["distribution"][0]
    assert expected["distribution"][0]["mediaType"] == "format specification"
    # references: the same links (associated resources, then additional documentation), as a list
    # of URIs where mdTranslator writes one comma-joined string the schema refuses.
    assert ours["references"] == expected["references"].split(",")
    # isPartOf: parentMetadata's identifier code; mdTranslator takes the URL of an associated
    # resource of initiative type "collection".
    assert ours["isPartOf"] == "57c5c793e4b0f2f0cebdaa4d"
    assert expected["isPartOf"] == "http://resource.associated.org/10/F7DV1H10"
    # rights: the useLimitation texts mdTranslator joins, after the codes that make the record non-public.
    for text in ("Common constraint for use of this thing", "Important Disclaimer"):
        assert text in ours["rights"] and text in expected["rights"]
    # license: mdTranslator writes the constraint's citation title, which is no URI; nothing names a licence.
    assert "license" not in ours and "://" not in expected["license"]


def test_unknown_root_names_the_root_found():
    result = transform_record(
        "xml",
        '<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"/>',
        "https://x.gov/a.xml",
        None,
        {},
    )
    assert result.error == (
        "unknown root element {http://www.opengis.net/cat/csw/2.0.2}GetRecordsResponse; "
        "expected ISO 19115-2, ISO 19139, ISO 19115-3 or FGDC"
    )


def test_record_without_title_is_an_error(realdata):
    raw = (realdata / "waf/mdTranslator/fgdc_minimal.xml").read_text(encoding="utf-8")
    assert transform_record("xml", raw, "https://x.gov/m.xml", None, {}).error == "record has no title"


def test_malformed_xml_reports_the_line(realdata):
    raw = (realdata / "waf/mdTranslator/fgdc_badForm.xml").read_text(encoding="utf-8")
    error = transform_record("xml", raw, "https://x.gov/b.xml", None, {}).error
    assert error.startswith("XML is not well formed: Opening and ending tag mismatch") and error.endswith(
        "(line 8)"
    )


def test_fgdc_without_file_identifier_uses_the_record_url():
    raw = (
        "<metadata><idinfo><citation><citeinfo><title>T</title><pubdate>20150102</pubdate></citeinfo>"
        "</citation><descript><abstract>A</abstract></descript></idinfo></metadata>"
    )
    dataset = transform_record("xml", raw, "https://x.gov/waf/t.xml", None, {}).dataset
    assert dataset["identifier"] == "https://x.gov/waf/t.xml"
    assert dataset["modified"] == "2015-01-02"


# Round 2 of the crosswalk (issue 17): what the XML says beyond the required minimum.

_GMD = (
    'xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" '
    'xmlns:xlink="http://www.w3.org/1999/xlink"'
)


def _iso_online(linkage: str, protocol: str = "", function: str = "") -> str:
    """A minimal ISO 19139 record with one online resource: only what the crosswalk needs to read it."""
    code = f'<gmd:function><gmd:CI_OnLineFunctionCode codeListValue="{function}"/></gmd:function>'
    code = code if function else ""
    return (
        f"<gmd:MD_Metadata {_GMD}><gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation>"
        "<gmd:CI_Citation><gmd:title><gco:CharacterString>T</gco:CharacterString></gmd:title>"
        "</gmd:CI_Citation>"
        "</gmd:citation></gmd:MD_DataIdentification></gmd:identificationInfo><gmd:distributionInfo>"
        "<gmd:MD_Distribution><gmd:transferOptions><gmd:MD_DigitalTransferOptions><gmd:onLine>"
        f"<gmd:CI_OnlineResource><gmd:linkage><gmd:URL>{linkage}</gmd:URL></gmd:linkage>"
        f"<gmd:protocol><gco:CharacterString>{protocol}</gco:CharacterString></gmd:protocol>{code}"
        "</gmd:CI_OnlineResource></gmd:onLine></gmd:MD_DigitalTransferOptions></gmd:transferOptions>"
        "</gmd:MD_Distribution></gmd:distributionInfo></gmd:MD_Metadata>"
    )


def _fgdc(citeinfo: str = "", idinfo: str = "") -> str:
    """A minimal FGDC record: a title and abstract, plus the given citation and identification elements."""
    return (
        f"<metadata><idinfo><citation><citeinfo><title>T</title>{citeinfo}</citeinfo></citation>"
        f"<descript><abstract>A</abstract></descript>{idinfo}</idinfo></metadata>"
    )


def _real(realdata: Path, path: str) -> dict:
    raw = (realdata / "waf" / path).read_text(encoding="utf-8")
    result = transform_record("xml", raw, f"https://example.gov/waf/{path}", None, {}, "Example Organization")
    assert result.error is None, result.error
    return {"dataset": result.dataset, "warnings": result.warnings}


def test_every_real_xml_dataset_passes_the_schema(realdata):
    """No value the crosswalk writes fails the schema (uri, mediaType, rights length, …) on any real file."""
    validator = _validator(realdata)
    failing = {}
    for path in sorted((realdata / "waf").rglob("*.xml")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        dataset = transform_record("xml", raw, f"https://example.gov/{path.name}", None, {}, "Org").dataset
        errors = [e.message for e in validator.iter_errors(dataset)] if dataset else []
        if errors:
            failing[path.name] = errors
    assert set(failing) == {"valid_iso_too_many_keywords.xml"}, failing  # see EXPECTED_SCHEMA_FAILURES


def test_licence_url_without_license_in_a_path_segment_is_recognised(realdata):
    found = _real(realdata, "datagov-harvester/iso_2_waf/valid_iso1.xml")["dataset"]
    assert found["license"] == "https://edg.epa.gov/EPA_Data_License.html"  # its useLimitation
    assert found["rights"].startswith("Use Constraints: None. Please check sources, scale, accuracy")


@pytest.mark.parametrize(
    ("text", "licence"),
    [
        ("Released under CC-BY-4.0.", "https://creativecommons.org/licenses/by/4.0/"),
        ("Creative Commons Attribution-ShareAlike 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
        ("CC BY-NC-ND 3.0", "https://creativecommons.org/licenses/by-nc-nd/3.0/"),
        ("CC0 1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
        ("ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
        ("These data are in the public domain.", "https://creativecommons.org/publicdomain/mark/1.0/"),
        (
            "See https://x.example.gov/terms/Open_Data_Licence.pdf.",
            "https://x.example.gov/terms/Open_Data_Licence.pdf",
        ),
        ("These data are not in the public domain.", None),
        ("Creative Commons Attribution (no version given)", None),
        ("Use Constraints: None. See http://www.ceh.ac.uk", None),
    ],
)
def test_licence_named_in_constraint_text(text, licence):
    record = _fgdc(idinfo=f"<useconst>{text}</useconst>")
    dataset = transform_record("xml", record, "https://x.gov/l.xml", None, {}).dataset
    assert dataset.get("license") == licence


def test_fgdc_onlink_with_two_urls_joined_by_text_keeps_each_url():
    record = _fgdc("<onlink>https://a.example.gov/data and http://b.example.gov/map.html (mirror)</onlink>")
    result = transform_record(
        "xml", record, "https://x.gov/t.xml", None, {"landing_page_distribution": False}
    )
    assert result.dataset["landingPage"] == "https://a.example.gov/data"
    assert [d.get("accessURL") for d in result.dataset["distribution"]] == ["http://b.example.gov/map.html"]
    assert "https://a.example.gov/data and" not in json.dumps(result.dataset)


@pytest.mark.parametrize(
    ("protocol", "function", "expected"),
    [
        ("text/csv", "", {"downloadURL": "https://x.gov/api/rows", "mediaType": "text/csv"}),
        (
            "application/zip",
            "download",
            {"downloadURL": "https://x.gov/api/rows", "mediaType": "application/zip"},
        ),
        (
            "WWW:LINK-1.0-http--link",
            "download",
            {"accessURL": "https://x.gov/api/rows"},
        ),  # no media type known
    ],
)
def test_iso_protocol_naming_a_media_type_becomes_the_media_type(protocol, function, expected):
    record = _iso_online("https://x.gov/api/rows", protocol, function)
    dataset = transform_record(
        "xml", record, "https://x.gov/p.xml", None, {"landing_page_distribution": False}
    ).dataset
    assert dataset["distribution"] == [{"@type": "dcat:Distribution", **expected}]


@pytest.mark.parametrize(
    "path",
    [
        "ckanext-geodatagov/waf-gmi/cb_2014_us_necta_500k.shp.iso.xml",
        "ckanext-geodatagov/waf1/cb_2016_us_division_500k.shp.iso.xml",
        "ckanext-geodatagov/waf-collection1/tl_2013_us_county.shp.iso.xml",
    ],
)
def test_census_parties_given_only_by_xlink_title_are_read(realdata, path):
    found = _real(realdata, path)
    assert "Census Bureau, Geography Division" in found["dataset"]["publisher"]["name"]  # the distributor
    assert "Census Bureau" in found["dataset"]["contactPoint"]["fn"]
    assert not any(
        w.startswith(("fixup: publisher", "fixup: contactPoint missing")) for w in found["warnings"]
    )
    # No email anywhere in these records: the default address is used, and said so.
    assert "fixup: contactPoint.hasEmail missing; filled with default" in found["warnings"]


def test_fgdc_larger_work_goes_to_references_not_is_part_of(realdata):
    dataset = _real(realdata, "mdTranslator/fgdc/x_denaliFault.xml")["dataset"]
    assert "isPartOf" not in dataset
    assert dataset["references"] == [
        "https://doi.org/10.3133/ofr20171049",  # crossref
        "https://alaska.usgs.gov/portal/project.php?project_id=33",
    ]  # lworkcit


@pytest.mark.parametrize(
    ("update", "frequency"),
    [
        ("Annually", "R/P1Y"),
        ("Monthly", "R/P1M"),
        ("As needed", "irregular"),
        ("None planned", "irregular"),
        ("whenever", None),
    ],
)
def test_fgdc_update_frequency(update, frequency):
    record = _fgdc("<pubdate>Unknown</pubdate>", f"<status><update>{update}</update></status>")
    dataset = transform_record("xml", record, "https://x.gov/u.xml", None, {}).dataset
    assert dataset.get("accrualPeriodicity") == frequency
    assert "issued" not in dataset  # "Unknown" is no date


@pytest.mark.parametrize(
    ("path", "identifier"),
    [
        (
            "ckanext-geodatagov/sample3_id_c540e08e-015c-11e5-853f-22000b8e85d8.xml",
            "c540e08e-015c-11e5-853f-22000b8e85d8",
        ),
        ("ckanext-geodatagov/sample4_id_OT.102019.6339.1.xml", "OT.102019.6339.1"),
    ],
)
def test_csw_get_record_by_id_response_is_read_as_the_record_it_wraps(realdata, path, identifier):
    assert _real(realdata, path)["dataset"]["identifier"] == identifier


@pytest.mark.parametrize(("inside", "count"), [("", 0), (f"<gmd:MD_Metadata {_GMD}/>" * 2, 2)])
def test_csw_get_record_by_id_response_without_exactly_one_record_is_rejected(inside, count):
    raw = f'<csw:GetRecordByIdResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">{inside}</csw:GetRecordByIdResponse>'
    error = transform_record("xml", raw, "https://x.gov/csw.xml", None, {}).error
    assert error == f"CSW GetRecordByIdResponse holds {count} records; expected exactly one"


def test_record_parent_is_part_of_unless_the_harvest_collection_names_another(realdata):
    raw = (realdata / "waf/ckanext-spatial/gemini2.1/validation/04_Dataset_Valid.xml").read_text(
        encoding="utf-8"
    )
    alone = transform_record("xml", raw, "https://x.gov/04.xml", None, {})
    assert alone.dataset["isPartOf"] == "test-record-08"  # its gmd:parentIdentifier
    in_collection = transform_record("xml", raw, "https://x.gov/04.xml", "https://x.gov/parent.xml", {})
    assert in_collection.dataset["isPartOf"] == "https://x.gov/parent.xml"
    assert (
        "isPartOf: the record names parent 'test-record-08'; the collection's parent "
        "'https://x.gov/parent.xml' is used"
    ) in in_collection.warnings


def regenerate_goldens(realdata: Path) -> list[str]:
    """Rewrite each golden's output from the current crosswalk and name the goldens that changed.

    Run ``python -m tests.test_xml_crosswalk`` from the project root, then read every changed golden's
    diff against its XML record: a golden is reviewed, never just accepted.
    """
    changed = []
    for path in GOLDENS:
        golden = _golden(path)
        result = _transform(realdata, golden)
        updated = {**golden, "dataset": result.dataset, "warnings": result.warnings}
        if updated != golden:
            path.write_text(json.dumps(updated, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            changed.append(path.name)
    return changed


if __name__ == "__main__":
    from tests.conftest import REALDATA

    print("\n".join(regenerate_goldens(REALDATA)) or "no golden changed")
