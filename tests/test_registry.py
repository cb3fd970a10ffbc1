"""The source registry: valid entries load, every bad field is named."""

import pytest

from transforms.registry import (
    DEFAULT_TIME_BUDGET_S,
    RegistryError,
    parse_registry,
    published_version,
    select_sources,
)

GOOD = """
sources:
  - id: noaa-waf
    title: NOAA WAF
    organization: NOAA
    url: https://example.gov/waf/
    type: waf
    schema: iso19115
  - id: doi
    title: DOI data.json
    organization: Department of the Interior
    url: https://example.gov/data.json
    type: datajson
    schema: dcatus1.1-federal
    enabled: false
"""


def test_valid_registry_loads_sources():
    sources = parse_registry(GOOD)
    assert [(s.id, s.type, s.schema, s.allow_private_network) for s in sources] == [
        ("noaa-waf", "waf", "iso19115", False),
        ("doi", "datajson", "dcatus1.1-federal", False),
    ]
    assert sources[1].schema == "dcatus1.1-federal" and sources[0].schema != "dcatus1.1-federal"


def test_every_problem_is_named_with_its_entry_and_field():
    text = """
sources:
  - id: Bad_ID
    title: x
    organization: y
    url: ftp://example.gov/data.json
    type: datajson
    schema: iso19115
    allow_private_network: "yes"
  - id: dup
    title: a
    organization: b
    url: https://a.gov/
    type: webpage
    schema: fgdc
  - id: dup
    organization: b
    url: https://a.gov/
    type: waf-collection
    schema: fgdc
    colour: blue
"""
    with pytest.raises(RegistryError) as raised:
        parse_registry(text)
    message = str(raised.value)
    for expected in (
        "sources[0] (id 'Bad_ID'): field 'id' must match [a-z0-9-]+",
        "field 'url' must be an http://, https:// or file:// URL, found 'ftp://example.gov/data.json'",
        "field 'schema' for type datajson must be one of dcatus1.1-federal, dcatus1.1-non-federal",
        "field 'allow_private_network' must be true or false",
        "sources[1] (id 'dup'): field 'type' must be one of datajson, waf, waf-collection, iso-document, found 'webpage'",
        "sources[2] (id 'dup'): field 'title' is required",
        "unknown field(s) colour",
        "field 'collection_url' is required for type waf-collection",
        "field 'id': 'dup' is used by more than one source",
    ):
        assert expected in message


@pytest.mark.parametrize("text", ["sources: nope", "- a\n- b", "sources: [\n", ""])
def test_a_registry_without_a_sources_list_is_refused(text):
    with pytest.raises(RegistryError):
        parse_registry(text)


def test_select_sources_takes_enabled_or_named_ones():
    sources = parse_registry(GOOD)
    assert [s.id for s in select_sources(sources, None)] == ["noaa-waf"]
    assert [s.id for s in select_sources(sources, ["doi"])] == ["doi"]
    with pytest.raises(RegistryError, match="unknown source id"):
        select_sources(sources, ["nope"])


def test_unknown_fixup_names_are_refused():
    text = GOOD.replace(
        "    schema: iso19115\n", "    schema: iso19115\n    fixups: {default_contcat: false}\n"
    )
    with pytest.raises(RegistryError, match="unknown fix-up 'default_contcat'"):
        parse_registry(text)


def test_a_source_time_budget_has_a_default_and_must_be_a_positive_number_of_seconds():
    assert [s.time_budget_s for s in parse_registry(GOOD)] == [DEFAULT_TIME_BUDGET_S] * 2
    set_to = GOOD.replace("    schema: iso19115\n", "    schema: iso19115\n    time_budget_s: {}\n")
    assert parse_registry(set_to.format(90))[0].time_budget_s == 90
    for bad in ("0", "-5", "true", "'an hour'", "100000", ".nan"):
        with pytest.raises(RegistryError, match="field 'time_budget_s' must be a number of seconds"):
            parse_registry(set_to.format(bad))


def _one_source(url: str, extra: str = "") -> str:
    return f"""
sources:
  - id: local
    title: Local
    organization: Here
    url: "{url}"
    type: datajson
    schema: dcatus1.1-federal
{extra}"""


@pytest.mark.parametrize(
    ("url", "host", "why"),
    [
        ("http://127.0.0.1:8000/data.json", "127.0.0.1", "is loopback"),
        ("http://localhost/data.json", "localhost", "is loopback"),
        ("http://[::1]/data.json", "::1", "is loopback"),
        ("https://10.1.2.3/waf/", "10.1.2.3", "is private"),
        ("http://169.254.169.254/latest/", "169.254.169.254", "is the cloud metadata service"),
    ],
)
def test_a_literal_loopback_or_private_host_needs_the_permission(url, host, why):
    with pytest.raises(RegistryError) as raised:
        parse_registry(_one_source(url))
    assert (
        f"sources[0] (id 'local'): field 'url' points at {host}, which {why}; "
        "set allow_private_network: true on the source to allow it"
    ) in str(raised.value)
    if host != "169.254.169.254":  # the metadata service may stay refused even with the permission
        allowed = parse_registry(_one_source(url, "    allow_private_network: true\n"))
        assert allowed[0].allow_private_network


def test_public_addresses_and_host_names_pass_without_a_lookup():
    # Names are judged when fetched (the address guard resolves them); the registry check needs no network.
    for url in ("http://8.8.8.8/data.json", "https://data.example.gov/data.json", "http://intranet/x"):
        assert parse_registry(_one_source(url))[0].url == url


def test_dcat_us_3_sources_and_the_version_each_source_publishes():
    text = GOOD.replace("schema: dcatus1.1-federal\n", "schema: dcatus3.0\n").replace(
        "    schema: iso19115\n", "    schema: iso19115\n    publish_as: dcatus3.0\n"
    )
    waf, doi = parse_registry(text)
    assert (waf.publish_as, doi.schema) == ("dcatus3.0", "dcatus3.0")
    assert published_version(waf) == published_version(doi) == "3.0"
    plain = parse_registry(GOOD)[0]
    assert published_version(plain) == "1.1"
    assert published_version(plain, "dcatus3.0") == "3.0"  # the run-level option


def test_publish_as_takes_only_known_versions():
    text = GOOD.replace("    schema: iso19115\n", "    schema: iso19115\n    publish_as: dcatus1.0\n")
    with pytest.raises(RegistryError, match="field 'publish_as' must be one of dcatus3.0, found 'dcatus1.0'"):
        parse_registry(text)


def test_broken_yaml_is_shown_where_it_broke():
    """libyaml reads the registry; the pure-Python parser words the error, with the line and a caret."""
    text = "sources:\n  - id: a\n    title: [b\n"
    with pytest.raises(RegistryError, match="not valid YAML") as raised:
        parse_registry(text)
    assert "line 3, column 12" in str(raised.value)
    assert "title: [b\n" in str(raised.value) and "^" in str(raised.value)


def test_each_parse_gets_its_own_list():
    """The parse of a text is kept for the process; a caller changing its list changes no other caller's."""
    first = parse_registry(GOOD)
    first.clear()
    assert [source.id for source in parse_registry(GOOD)] == ["noaa-waf", "doi"]
