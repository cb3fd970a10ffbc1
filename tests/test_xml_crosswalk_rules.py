"""The XML crosswalk keeps what the XML says, and only that: each rule on a fixture record written per
case (tests/fixtures/crosswalk/, after real ERDDAP, ScienceBase and state GIS records), and as a
property over generated values."""

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.crosswalk_coverage import measure
from benchmarks.crosswalk_coverage_provenance import absent_values, record_text
from transforms.crosswalk import common, dates, formats, iso_parts, licences
from transforms.crosswalk.placeholders import PLACEHOLDERS, is_placeholder, published
from transforms.crosswalk.transform import transform_record
from transforms.crosswalk.xml_kinds import record_root
from transforms.reference import reference_map
from transforms.safety.xml_safety import parse_xml

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "crosswalk"
NIL = "http://www.opengis.net/def/nil/OGC/0/missing"


def _fixture(name: str):
    raw = (FIXTURES / name).read_text(encoding="utf-8")
    result = transform_record(
        "xml", raw, f"https://x.gov/waf/{name}", None, {"landing_page_distribution": False}, "Org"
    )
    assert result.error is None, result.error
    return result.dataset, result.warnings


def _by_url(dataset: dict) -> dict[str, dict]:
    return {d.get("downloadURL") or d["accessURL"]: d for d in dataset["distribution"]}


# --- ERDDAP-style ISO 19115-2 ----------------------------------------------------------------------


def test_erddap_issued_date_type_is_the_issued_date():
    dataset, _ = _fixture("erddap_griddap_iso19115-2.xml")
    # creation 2011-06-01 and issued 2012-03-04: "issued" is a publication date under another name.
    assert dataset["issued"] == "2012-03-04"
    # No revision date: modified is the latest citation date.
    assert dataset["modified"] == "2012-03-04"


def test_ogc_nil_uri_is_neither_landing_page_nor_distribution():
    dataset, warnings = _fixture("erddap_griddap_iso19115-2.xml")
    assert NIL not in str(dataset)
    assert "landingPage" not in dataset
    assert f"distribution: {NIL!r} is a placeholder; left out" in warnings
    assert f"landingPage: {NIL!r} is a placeholder; left out" in warnings


def test_netcdf_format_only_on_the_netcdf_file_not_on_thredds_or_opendap_pages():
    dataset, warnings = _fixture("erddap_griddap_iso19115-2.xml")
    links = _by_url(dataset)
    base = "https://coastwatch.pfeg.noaa.gov/thredds"
    assert (
        links[f"{base}/fileServer/satellite/MW/chla/8day/MW2011152_2011159_chla.nc"]["format"] == "netCDF-4"
    )
    assert "format" not in links[f"{base}/catalog/satellite/MW/chla/8day/catalog.html"]
    assert "format" not in links[f"{base}/dodsC/satellite/MW/chla/8day.html"]
    assert (
        f"distribution {base}/dodsC/satellite/MW/chla/8day.html: format 'netCDF-4' does not match the link "
        "(html, opendap); left out"
    ) in warnings


def test_service_connect_points_are_distributions_with_their_service_format():
    dataset, _ = _fixture("erddap_griddap_iso19115-2.xml")
    links = _by_url(dataset)
    wms = links["https://coastwatch.pfeg.noaa.gov/erddap/wms/erdMWchla8day/request"]
    assert wms["format"] == "WMS" and wms["title"] == "OGC-WMS"
    wcs = links[
        "https://coastwatch.pfeg.noaa.gov/thredds/wcs/erdMWchla8day?service=WCS&request=GetCapabilities"
    ]
    assert wcs["format"] == "WCS" and "downloadURL" not in wcs


def test_eng_is_en_and_topic_category_in_its_code_form():
    dataset, _ = _fixture("erddap_griddap_iso19115-2.xml")
    assert dataset["language"] == ["en"]
    assert dataset["theme"] == ["oceans", "geospatial"]  # written "Oceans"


# --- ScienceBase-style ISO 19139 -------------------------------------------------------------------


def test_sciencebase_publication_date_type_is_issued_and_1900_revision_is_dropped():
    dataset, warnings = _fixture("sciencebase_iso19139.xml")
    assert dataset["issued"] == "2017-02-14"
    assert dataset["modified"] == "2017-02-14"  # the revision 1900-01-01 is no date
    assert "modified: '1900-01-01' is a placeholder date; left out" in warnings


def test_public_domain_beside_a_noncommercial_restriction_is_no_licence():
    dataset, _ = _fixture("sciencebase_iso19139.xml")
    assert "license" not in dataset
    # Both statements stay in rights, as the record wrote them; the unfilled template does not.
    assert dataset["rights"] == "For educational noncommercial use only. These data are in the public domain."


def test_empty_constraints_template_is_no_rights_text():
    _, warnings = _fixture("sciencebase_iso19139.xml")
    assert "rights: 'Access constraints: . Use Limitation: .' is an empty template; left out" in warnings


def test_distribution_format_only_on_links_whose_type_agrees():
    dataset, _ = _fixture("sciencebase_iso19139.xml")
    links = _by_url(dataset)
    files = "https://www.sciencebase.gov/catalog/file/get"
    assert links[f"{files}/levels.csv"]["format"] == "CSV, fixed-length ASCII text"
    for other in (
        f"{files}/5a1b2c3de4b09fc93dd171ab?name=report.pdf",  # protocol application/pdf
        f"{files}/wells.kmz",
        "https://www.sciencebase.gov/catalog/item/5a1b2c3de4b09fc93dd171ab",  # protocol text/html
    ):
        assert "format" not in links[other], other
    # Each keeps the media type its own link states.
    assert links[f"{files}/wells.kmz"]["mediaType"] == "application/vnd.google-earth.kmz"


def test_placeholder_keyword_is_dropped_and_region_kept_in_the_language_tag():
    dataset, warnings = _fixture("sciencebase_iso19139.xml")
    assert dataset["keyword"] == ["groundwater"]
    assert "keyword: 'Unknown' is a placeholder; left out" in warnings
    assert dataset["language"] == ["en-US"]  # eng; USA


# --- state GIS FGDC --------------------------------------------------------------------------------


def test_fgdc_single_date_7306_is_no_temporal():
    dataset, warnings = _fixture("state_gis_fgdc.xml")
    assert "temporal" not in dataset
    assert "temporal: '7306' is not a plausible date (a year from 1000 to 2500); left out" in warnings


def test_fgdc_metadata_date_19000101_is_no_modified():
    dataset, warnings = _fixture("state_gis_fgdc.xml")
    # pubdate "Unknown" and metd 19000101: the record gives no modified date; validation says so.
    assert "modified" not in dataset and "issued" not in dataset
    assert "modified: '19000101' is a placeholder date; left out" in warnings


def test_fgdc_topic_categories_in_mixed_case_and_plural_are_themes():
    dataset, _ = _fixture("state_gis_fgdc.xml")
    assert dataset["theme"] == ["utilitiesCommunication", "structure", "geospatial"]
    assert "utilitiesCommunications" in dataset["keyword"]  # the keyword stays as written


def test_fgdc_format_of_a_form_only_on_its_file_links_and_templates_dropped():
    dataset, warnings = _fixture("state_gis_fgdc.xml")
    links = _by_url(dataset)
    assert links["https://gis.example.state.us/download/transmission.zip"]["format"] == "Shapefile"
    assert "format" not in links["https://gis.example.state.us/maps/transmission.html"]
    assert "rights" not in dataset
    assert "rights: 'Access constraints: .' is an empty template; left out" in warnings


# --- the rules as properties -----------------------------------------------------------------------

_WORDS = st.text(alphabet=string.ascii_letters + " ", min_size=3, max_size=20).filter(
    lambda text: not is_placeholder(text) and text.strip()
)
_PLACEHOLDER_VALUES = st.sampled_from(sorted(PLACEHOLDERS)).flatmap(
    lambda word: st.sampled_from([word, word.upper(), word.title(), f" {word}. ", f"[{word}]"])
) | st.sampled_from(["missing", "unknown", "withheld", "inapplicable"]).map(
    lambda reason: f"http://www.opengis.net/def/nil/OGC/0/{reason}"
)


@given(st.lists(st.tuples(st.booleans(), _WORDS, _PLACEHOLDER_VALUES), min_size=1, max_size=8))
def test_placeholders_are_dropped_each_with_a_warning_and_nothing_else_is(pairs):
    keywords = [placeholder if is_empty else word for is_empty, word, placeholder in pairs]
    warnings: list[str] = []
    out = published(
        {"title": "T", "keyword": keywords, "publisher": {"@type": "org", "name": keywords[0]}}, warnings
    )
    kept = [word for is_empty, word, _ in pairs if not is_empty]
    assert out.get("keyword", []) == kept
    dropped = [placeholder for is_empty, _, placeholder in pairs if is_empty]
    assert [w for w in warnings if w.startswith("keyword: ")] == [
        f"keyword: {value!r} is a placeholder; left out" for value in dropped
    ]
    assert ("publisher" in out) == (not pairs[0][0])


@given(st.integers(min_value=0, max_value=9999), st.integers(1, 12), st.integers(1, 28))
def test_a_date_is_kept_only_with_a_plausible_year_and_never_as_a_placeholder(year, month, day):
    text = f"{year:04d}-{month:02d}-{day:02d}"
    warnings: list[str] = []
    found = dates.read_date(text, "modified", warnings)
    plausible = dates.EARLIEST_YEAR <= year <= dates.LATEST_YEAR and text != "1900-01-01"
    assert (found == text) == plausible
    assert (warnings == []) == plausible
    if not plausible:
        assert warnings[0].startswith(f"modified: {text!r} ")


_FILE_FAMILIES = ["csv", "pdf", "kml", "netcdf", "tiff", "json", "excel", "html"]
_NAMES = {
    "csv": "CSV",
    "pdf": "PDF",
    "kml": "KML",
    "netcdf": "NetCDF",
    "tiff": "GeoTIFF",
    "json": "JSON",
    "excel": "Excel",
    "html": "HTML",
}
_EXTENSIONS = {
    "csv": "csv",
    "pdf": "pdf",
    "kml": "kmz",
    "netcdf": "nc",
    "tiff": "tif",
    "json": "json",
    "excel": "xlsx",
    "html": "html",
}


@given(
    st.sampled_from(_FILE_FAMILIES),
    st.sampled_from(_FILE_FAMILIES),
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
)
def test_a_format_goes_on_a_link_only_when_the_link_is_of_that_format(fmt, link, stem):
    url = f"https://x.example.gov/data/{stem}.{_EXTENSIONS[link]}"
    warnings: list[str] = []
    media = common.media_type_of(url)
    found = formats.formats_of_link([_NAMES[fmt]], url, media, None, warnings)
    assert found == (_NAMES[fmt] if fmt == link else None)
    assert len(warnings) == (0 if fmt == link else 1)


@given(st.sampled_from(_FILE_FAMILIES), st.text(string.ascii_lowercase, min_size=1, max_size=8))
def test_a_link_that_says_nothing_of_its_type_gets_no_format(fmt, stem):
    assert formats.formats_of_link([_NAMES[fmt]], f"https://x.example.gov/{stem}", None, None, []) is None


_LIMITS = [
    "For educational noncommercial use only.",
    "Not for commercial use; non-commercial purposes only.",
    "Copyright 2019 the University.",
    "These data may not be redistributed.",
    "Use only with written permission.",
]


@pytest.mark.parametrize(
    "denial",
    [
        "Not subject to copyright in the United States.",
        "Access is not restricted.",
        "Use without restriction.",
    ],
)
def test_a_denied_restriction_does_not_contradict_public_domain(denial):
    texts = ["These data are in the public domain.", denial]
    assert licences.licence_url(texts) == licences.PUBLIC_DOMAIN_MARK


@given(st.sampled_from(_LIMITS), st.booleans())
def test_public_domain_statement_is_no_licence_when_another_constraint_limits_use(limit, first):
    texts = ["These data are in the public domain.", limit]
    assert licences.licence_url(texts if first else texts[::-1]) is None
    assert licences.licence_url(texts[:1]) == licences.PUBLIC_DOMAIN_MARK
    assert licences.licence_url(texts[:1], restricted=True) is None


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["Access constraints", "Use Limitation", "Use constraints", "Distribution liability"]
            ),
            st.sampled_from(["", " ", ".", " none", " N/A", " unknown", "-"]),
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([" ", ". ", "; "]),
)
def test_a_constraints_template_that_says_nothing_is_no_rights(labels, joiner):
    statement = joiner.join(f"{label}:{value}" for label, value in labels) + "."
    assert common.rights([statement], []) is None


@pytest.mark.parametrize(
    ("statement", "warning"),
    [
        ("Access constraints: None.", None),  # says there is no constraint: not worth a warning
        ("Unknown", "rights: 'Unknown' is a placeholder; left out"),
        ("Use Limitation: missing", "rights: 'Use Limitation: missing' is a placeholder; left out"),
        (
            "Access constraints: . Use Limitation: .",
            "rights: 'Access constraints: . Use Limitation: .' is an empty template; left out",
        ),
    ],
)
def test_a_statement_that_says_nothing_is_no_rights_and_a_placeholder_is_reported(statement, warning):
    warnings: list[str] = []
    assert common.rights([statement, "Cite the source."], warnings) == "Cite the source."
    assert warnings == ([warning] if warning else [])


@given(
    st.sampled_from(sorted(common.TOPIC_CATEGORIES.values())),
    st.sampled_from([str.lower, str.upper, str.title]),
    st.booleans(),
)
def test_topic_categories_match_in_any_case_and_plural(category, case, plural):
    assert (
        common.topic_category(case(category) + ("s" if plural and not category.endswith("s") else ""))
        == category
    )


@given(st.sampled_from(sorted(reference_map("iso639_2_to_1").items())))
def test_three_letter_language_codes_become_bcp_47_two_letter_tags(pair):
    three, two = pair
    assert iso_parts.language_tag(three) == two
    assert iso_parts.language_tag(f"{three.upper()}; USA") == f"{two}-US"


@pytest.mark.parametrize("text", ["test_lang_code", "x", "123"])
def test_a_value_that_names_no_language_is_reported(text):
    warnings: list[str] = []
    assert iso_parts.languages([text], warnings) == []
    assert warnings == [f"language: {text!r} is not a language code; left out"]


# --- the coverage script's provenance check ----------------------------------------------------------


def test_provenance_check_names_values_the_record_does_not_hold():
    raw = (FIXTURES / "sciencebase_iso19139.xml").read_text(encoding="utf-8")
    text = record_text(record_root(parse_xml(raw)))
    dataset = {
        "keyword": ["groundwater", "aquifer"],
        "issued": "2017-02-14",
        "modified": "2018-01-01",
        "distribution": [
            {"accessURL": "https://www.sciencebase.gov/catalog/file/get/levels.csv", "format": "CSV, PDF"}
        ],
    }
    assert absent_values(dataset, text, set()) == [
        "keyword: aquifer",
        "modified: 2018-01-01",
        "distribution.format: CSV, PDF",
    ]


def test_no_published_value_is_absent_from_its_real_xml_record(realdata):
    found = [item for item in measure(realdata / "waf") if item.error is None]
    assert [(item.path, item.absent) for item in found if item.absent] == []
    required = [ok for item in found for ok in item.required.values()]
    assert sum(required) / len(required) >= 0.97
