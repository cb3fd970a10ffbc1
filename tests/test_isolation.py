"""Fault isolation, by property: whatever a publisher serves, each stage's row function gives exactly
one outcome per input and raises nothing; and the work it costs grows with the input, not faster."""

import codecs
import json
import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.rows import valid_dataset
from transforms.crosswalk.normalize import normalize_text
from transforms.crosswalk.transform import transform_row
from transforms.fetch.datajson import CatalogInfo
from transforms.fetch.http import FetchResult
from transforms.fetch.source_pass import dataset_item
from transforms.fetch.waf_listing import parse_listing
from transforms.fetch.xml_files import xml_record
from transforms.gate.schema_check import checker
from transforms.gate.validate import schema_findings
from transforms.isolation import MAX_REASON_CHARS, bounded, isolated, require_utf8
from transforms.publish.slugs import slugify
from transforms.registry import Source
from transforms.schemas import Action

SOURCE = Source(
    "hostile", "Hostile", "Agency", "https://x.gov/data.json", "datajson", "dcatus1.1-non-federal"
)
SETTINGS = {"hostile": ({}, "Agency")}
VALID = valid_dataset(
    identifier="w-1", distribution=[{"downloadURL": "https://x.gov/w.csv", "mediaType": "text/csv"}]
)
DCATUS_FIELDS = [
    *VALID,
    "@type",
    "bureauCode",
    "programCode",
    "license",
    "rights",
    "spatial",
    "temporal",
    "accrualPeriodicity",
    "conformsTo",
    "dataQuality",
    "describedBy",
    "describedByType",
    "isPartOf",
    "issued",
    "language",
    "landingPage",
    "primaryITInvestmentUII",
    "references",
    "systemOfRecords",
    "theme",
]
# Text as a JSON reader may hand it over: lone surrogates included (the Python backend keeps them).
TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=20)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=12,
)


def test_reasons_are_bounded_and_always_valid_unicode():
    assert bounded("x" * 1000) == "x" * (MAX_REASON_CHARS - 3) + "..."
    assert bounded("it\udc92s") == "it?s"
    assert (
        isolated("transform", lambda: [][1], lambda reason: reason)
        == "transform: internal error (IndexError)"
    )


def change_row(item: dict) -> dict:
    """The CHANGES values transform reads for an extracted record that compare found new."""
    return {
        "source_id": "hostile",
        "identifier": item["identifier"],
        "record_url": item.get("record_url"),
        "file_identifier": None,
        "parent_identifier": None,
        "raw_format": item["raw_format"],
        "raw": item["raw"],
        "action": Action.CREATE,
        "reasons": [],
        "warnings": item.get("warnings") or [],
    }


def transformed_and_checked(item: dict) -> None:
    """Transform, validate and load's slug on one extracted record: one outcome each, nothing raised."""
    out = transform_row(change_row(item), SETTINGS)
    require_utf8(out)
    rejected = out.get("action") == Action.REJECT
    assert rejected != (out["dcat_json"] is not None)
    assert all(len(reason) <= MAX_REASON_CHARS + len("transform: ") for reason in out.get("reasons") or [])
    if not rejected:
        errors, warnings = schema_findings(checker("non-federal"), out["dcat_json"])
        assert all(isinstance(text, str) and len(text) <= MAX_REASON_CHARS for text in errors + warnings)
        assert slugify(out["title"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(DCATUS_FIELDS), value=JSON_VALUES)
@example(field="distribution", value=5)  # a fix-up iterated it: the transform task failed (issue 13)
@example(field="description", value="it\udc92s")
@example(field="spatial", value=123456789012345678901234567890)
def test_any_json_value_in_any_dcatus_field_gives_one_outcome_per_stage(field, value):
    item = dataset_item(SOURCE, 0, {**VALID, field: value}, CatalogInfo())
    require_utf8(item)
    assert (item["raw"] is None) != (item["error"] is None)
    if item["raw"] is not None:
        transformed_and_checked(item)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON_VALUES, depth=st.integers(1, 3000))
def test_values_nested_past_the_recursion_limit_are_rejected_not_raised(value, depth):
    # Written by hand: the json module itself cannot write what it cannot read back.
    chain = '{"name": "o", "subOrganizationOf": ' * depth + json.dumps(value) + "}" * depth
    raw = json.dumps({**VALID, "publisher": None}).replace('"publisher": null', f'"publisher": {chain}')
    transformed_and_checked({"identifier": "w-1", "raw_format": "json", "raw": raw})
    errors, _warnings = schema_findings(checker("non-federal"), raw)
    assert all(len(text) <= MAX_REASON_CHARS for text in errors)


DECLARED = ["utf-8", "UTF-16", "utf-16le", "UTF-32", "ISO-8859-1", "windows-1252", "ASCII", "utf-7", "rot13"]
WRITTEN_IN = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "utf-7"]
FGDC = "<metadata><idinfo><citation><citeinfo><title>{}</title></citeinfo></citation></idinfo></metadata>"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    declared=st.one_of(
        st.none(), st.sampled_from(DECLARED), st.from_regex(r"[A-Za-z][A-Za-z0-9._:-]{0,12}", fullmatch=True)
    ),
    charset=st.one_of(st.none(), st.sampled_from(DECLARED)),
    written_in=st.sampled_from(WRITTEN_IN),
    bom=st.sampled_from(
        [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE]
    ),
    title=TEXT,
    noise=st.binary(max_size=40),
)
def test_any_bytes_and_encoding_declaration_give_one_outcome_per_stage(
    declared, charset, written_in, bom, title, noise
):
    head = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    text = head + FGDC.format(title)
    try:
        written = text.encode(written_in, errors="surrogatepass")
    except UnicodeEncodeError:  # a character Latin-1 or Windows-1252 has no byte for
        written = text.encode(written_in, errors="replace")
    body = bom + written + noise
    result = FetchResult(
        url="https://x.gov/waf/r.xml",
        status=200,
        body=body,
        content_type=f"application/xml; charset={charset}" if charset else "application/xml",
    )
    item = xml_record({"source_id": "hostile", "record_url": result.url, "position": 0}, result)
    require_utf8(item)
    assert item["fetch_status"] == "fetched" and (item["raw"] is None) != (item["error"] is None)
    assert len(item["error"] or "") <= MAX_REASON_CHARS
    if item["raw"] is not None:
        transformed_and_checked(item)


def seconds(work, *args) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def test_a_listing_of_unclosed_anchors_parses_in_linear_time():
    """The old anchor regex took about 20 minutes on 1 MB of unclosed <a href=...>; the parser is linear."""
    small, large = ('<a href="f.xml">' * n for n in (640, 64_000))  # 10 kB and 1 MB
    assert seconds(parse_listing, large, "https://x.gov/waf/") < 10
    assert len(parse_listing(large, "https://x.gov/waf/").entries) == 1
    ratio = seconds(parse_listing, large, "https://x.gov/waf/") / max(
        seconds(parse_listing, small, "https://x.gov/waf/"), 1e-4
    )
    assert ratio < 1000  # 100 times the input; quadratic work would be about 10,000 times


def test_trailing_spaces_are_stripped_in_linear_time():
    """The old trailing-space regex took hours on a 2 MB description of spaces that ends in a letter."""
    text = " " * 2_000_000 + "x"
    assert seconds(normalize_text, text, True) < 1
    assert normalize_text("a  \t\nb \n", True) == "a\nb"
