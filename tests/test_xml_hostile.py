"""Hostile and malformed XML never crashes the transform and never resolves an entity."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools.local_http import serve_folder
from transforms.crosswalk.transform import transform_record
from transforms.safety.xml_safety import MAX_XML_BYTES, XmlRejected, parse_xml

SECRET = "TOP-SECRET-FILE-CONTENT"
FGDC_WITH = (
    "<metadata><idinfo><citation><citeinfo><title>{}</title></citeinfo></citation></idinfo></metadata>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
    + FGDC_WITH.format("&lol9;")
)


@pytest.fixture()
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.fixture()
def entity_server(tmp_path):
    """The project's local server on 127.0.0.1, counting requests for the entity and DTD URLs; a safe parser never calls it."""
    hits = []

    def count(handler):
        hits.append(handler.path)
        return {"body": SECRET.encode()}

    with serve_folder(tmp_path, routes={path: count for path in ("/e", "/p", "/fgdc.dtd")}) as base_url:
        yield base_url.rstrip("/"), hits


def _error(raw: str) -> str | None:
    result = transform_record("xml", raw, "https://x.gov/r.xml", None, {})
    assert SECRET not in (result.error or "") + str(result.dataset)
    return result.error


def test_billion_laughs_is_refused_before_parsing():
    assert (
        _error(BILLION_LAUGHS)
        == "XML document declares a DOCTYPE with a DTD subset; DTDs and entities are not accepted"
    )


def test_external_file_entity_is_never_read(secret_file):
    internal = f'<!DOCTYPE m [<!ENTITY x SYSTEM "file://{secret_file}">]>' + FGDC_WITH.format("&x;")
    external = f'<!DOCTYPE metadata SYSTEM "file://{secret_file}">' + FGDC_WITH.format("&x;")
    assert "DOCTYPE" in _error(internal)
    assert _error(external) == "XML document uses entity references; entities are not accepted"


def test_http_entities_and_dtds_are_never_fetched(entity_server):
    base, hits = entity_server
    for raw in (
        f'<!DOCTYPE m [<!ENTITY x SYSTEM "{base}/e">]>' + FGDC_WITH.format("&x;"),
        f'<!DOCTYPE m [<!ENTITY % p SYSTEM "{base}/p"> %p;]>' + FGDC_WITH.format("t"),
        f'<!DOCTYPE metadata SYSTEM "{base}/fgdc.dtd">' + FGDC_WITH.format("T"),
    ):
        _error(raw)
    assert hits == []


def test_bare_external_doctype_is_parsed_without_loading_it(entity_server):
    base, hits = entity_server
    result = transform_record(
        "xml",
        f'<!DOCTYPE metadata SYSTEM "{base}/fgdc.dtd">\n' + FGDC_WITH.format("T"),
        "https://x.gov/r.xml",
        None,
        {},
    )
    assert result.dataset["title"] == "T" and hits == []


def test_deep_nesting_and_oversize_documents_are_errors():
    assert "Excessive depth" in _error("<metadata>" + "<a>" * 5000 + "</a>" * 5000 + "</metadata>")
    with pytest.raises(XmlRejected, match="the limit is"):
        parse_xml("<metadata>" + "x" * (MAX_XML_BYTES + 1) + "</metadata>")


def test_huge_text_inside_the_limit_does_not_crash():
    error = _error(FGDC_WITH.format("t" * 12_000_000))
    assert error is None or error.startswith("XML is not well formed")


# Fragments that make hostile documents: entity declarations and references, DTDs, markup soup.
FRAGMENTS = [
    "<",
    ">",
    "/",
    "&",
    ";",
    "!",
    "?",
    "[",
    "]",
    "=",
    '"',
    " ",
    "a",
    "\n",
    "&lol;",
    "&#0;",
    "&#x41;",
    "<!ENTITY lol 'lollollol'>",
    "<!DOCTYPE metadata [",
    "<!DOCTYPE metadata SYSTEM 'file:///etc/passwd'>",
    "]>",
    "<![CDATA[",
    "]]>",
    "<?xml version='1.0'?>",
    "<!--",
    "-->",
    "\ufffd",
    "\u200b",
]
XML_TEXT = st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=XML_TEXT, body=XML_TEXT)
def test_arbitrary_text_never_crashes_and_never_expands(prefix, body):
    raw = prefix + FGDC_WITH.format(body)
    result = transform_record("xml", raw, "https://x.gov/r.xml", None, {})
    assert (result.error is None) != (result.dataset is None)
    assert "internal error" not in (result.error or "")
    if result.dataset:
        assert "lollol" not in result.dataset["title"]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data):
    result = transform_record("xml", data.decode("utf-8", errors="replace"), "https://x.gov/r.xml", None, {})
    assert result.error is not None or result.dataset is not None
