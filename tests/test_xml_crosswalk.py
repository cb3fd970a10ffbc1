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
    # rights: the same codes, plus the record's otherConstraints text that explains them.
    assert ours["rights"].startswith(expected["rights"])
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
    # isPartOf / systemOfRecords: set only from the harvest's collection membership (parent_identifier),
    # because an isPartOf naming a record outside the catalog cannot be resolved; no SORN in ISO.
    assert "isPartOf" not in ours and "systemOfRecords" not in ours
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
    # language: "test_lang_code" is not an RFC 5646 tag (reported as a warning), "eng" is kept.
    assert ours["language"] == ["eng"]
    # theme: ISO topic categories, not mdTranslator's space-joined place keywords (a string, not an array).
    assert ours["theme"] == ["environment", "inlandWaters", "geospatial"]
    # mdTranslator's empty bureauCode/programCode arrays fail the schema (minItems 1); we leave them out.
    assert "bureauCode" not in ours and "programCode" not in ours
    # The distribution keeps its real link; mediaType comes from the .png extension, not the format title.
    assert ours["distribution"][0]["downloadURL"] == expected["distribution"][0]["downloadURL"]
    assert ours["distribution"][0]["mediaType"] == "image/png"


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
