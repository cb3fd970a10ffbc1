"""Fix-ups: explicit, per-source switchable, and every value filled in leaves a warning."""

from transforms.crosswalk.fixups import apply_fixups
from transforms.crosswalk.transform import transform_record
from transforms.registry import FIXUPS, validate_fixup_options

FGDC_BARE = (
    "<metadata><idinfo><citation><citeinfo><title>Lakes</title><pubdate>2019</pubdate>"
    "<onlink>www.agency.gov/lakes</onlink></citeinfo></citation>"
    "<descript><abstract>Lake outlines.</abstract></descript></idinfo></metadata>"
)


def test_bare_xml_record_gets_every_gap_filled_and_reported():
    result = transform_record("xml", FGDC_BARE, "https://agency.gov/waf/lakes.xml", None, {}, "Agency")
    dataset = result.dataset
    assert dataset["contactPoint"] == {
        "@type": "vcard:Contact",
        "fn": "Data.gov Support",
        "hasEmail": "mailto:datagovhelp@gsa.gov",
    }
    assert dataset["publisher"] == {"@type": "org:Organization", "name": "Agency"}
    assert dataset["accessLevel"] == "public"
    assert dataset["keyword"] == ["geospatial"]
    assert dataset["theme"] == ["geospatial"]
    assert dataset["landingPage"] == "https://www.agency.gov/lakes"
    assert dataset["distribution"] == [
        {"@type": "dcat:Distribution", "accessURL": "https://www.agency.gov/lakes", "title": "Landing page"}
    ]
    assert result.warnings == [
        "fixup: landingPage 'www.agency.gov/lakes' has no scheme; filled with https://",
        "fixup: contactPoint missing; filled with default",
        "fixup: publisher missing; filled with the source's organization",
        "fixup: accessLevel missing; filled with 'public'",
        "fixup: keyword missing; filled with 'geospatial'",
        "fixup: theme lacks 'geospatial'; added",
        "fixup: landingPage is not a distribution; added as one",
    ]


def test_each_fixup_can_be_switched_off_per_source():
    off = dict.fromkeys(FIXUPS, False)
    result = transform_record("xml", FGDC_BARE, "https://agency.gov/waf/lakes.xml", None, off, "Agency")
    assert result.warnings == []
    assert result.dataset["landingPage"] == "www.agency.gov/lakes"
    for name in ("contactPoint", "publisher", "accessLevel", "keyword", "theme", "distribution"):
        assert name not in result.dataset


def test_default_contact_can_be_configured_and_never_overwrites():
    dataset = {"contactPoint": {"@type": "vcard:Contact", "fn": "Jo Smith"}}
    warnings = apply_fixups(dataset, "xml", {"default_contact": {"hasEmail": "mailto:gis@city.gov"}})
    assert dataset["contactPoint"] == {
        "@type": "vcard:Contact",
        "fn": "Jo Smith",
        "hasEmail": "mailto:gis@city.gov",
    }
    assert "fixup: contactPoint.hasEmail missing; filled with default" in warnings


def test_json_records_only_get_the_fixups_meant_for_json():
    dataset = {"title": "T", "landingPage": "data.city.gov/x"}
    warnings = apply_fixups(dataset, "json", {})
    assert dataset == {"title": "T", "landingPage": "https://data.city.gov/x"}
    assert warnings == ["fixup: landingPage 'data.city.gov/x' has no scheme; filled with https://"]


def test_validate_fixup_options_reports_unknown_names_and_bad_values():
    assert validate_fixup_options({"default_contact": False, "geospatial_theme": True}) == []
    assert validate_fixup_options({"default_contact": {"fn": "GIS", "hasEmail": "mailto:gis@x.gov"}}) == []
    problems = validate_fixup_options({"default_contacts": False, "url_scheme": "yes"})
    assert problems[0].startswith("unknown fix-up 'default_contacts'; known: default_access_level")
    assert problems[1] == "fix-up 'url_scheme' must be true or false, found 'yes'"
    assert validate_fixup_options(["x"]) == ["fixups must be a mapping of fix-up name to true/false"]
