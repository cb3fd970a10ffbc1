"""DCAT-US 3.0 content problems that are warnings, not rejections, as data.gov reports them.

The 3.0 schema accepts these values, but they are very likely wrong: a dataset issued after it was
last modified, a media type nobody registered, a language code that is no language. data.gov's
harvester reports them as warnings (its ``detect_dcat_warnings``); so does this gate. A warning never
changes the decision on a record.

Every object in the record is checked by its class: the record itself by its ``record_type``, an
embedded object by its ``@type`` (``dcat:Distribution`` counts as ``Distribution``) or else by the
field it sits in (``distribution`` holds Distributions, ``contactPoint`` Kinds, ...). The reference
lists (registered media types, ISO 639-1 codes) are snapshots in ``transforms/reference/``.
"""

import codecs
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime

from transforms.reference import reference_set

ContentWarning = tuple[list, str]  # (JSON path parts, message)

# The class an untyped object has from the field it sits in.
FIELD_CLASSES = {
    "distribution": "Distribution",
    "contactPoint": "Kind",
    "temporal": "PeriodOfTime",
    "spatial": "Location",
    "address": "Address",
    "seriesMember": "Dataset",
    "first": "Dataset",
    "last": "Dataset",
    "servesDataset": "Dataset",
    "describedBy": "Distribution",
    "landingPage": "Document",
}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_DURATION = re.compile(r"^-?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?!$)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_YEAR, _MONTH = re.compile(r"^\d{4}$"), re.compile(r"^\d{4}-\d{2}$")
_WKT = re.compile(
    r"^\s*(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|ENVELOPE|BOX)\s*(Z|M|ZM)?\s*\(",
    re.IGNORECASE,
)
_WKT_NUMBERS = re.compile(r"^[\s\d.,()+eE-]*$")
_LEGACY_ACCESS = {"restricted public", "non-public"}
_LETTER = re.compile(r"[A-Za-z]")


def _when(value) -> date | None:
    """The date of a schema-valid date value (a year is its 1 January), for comparing; else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if _YEAR.match(text):
            return date(int(text), 1, 1)
        if _MONTH.match(text):
            return date(int(text[:4]), int(text[5:]), 1)
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _order(record: dict, earlier: str, later: str, why: str) -> Iterator[ContentWarning]:
    first, second = _when(record.get(earlier)), _when(record.get(later))
    if first and second and first > second:
        yield (
            [earlier],
            f'"{record[earlier]}" is later than {later} "{record[later]}": {why}',
        )


def _resolutions(record: dict) -> Iterator[ContentWarning]:
    meters = record.get("spatialResolutionInMeters")
    if meters is not None and not (
        isinstance(meters, int | float) and not isinstance(meters, bool) and meters > 0
    ):
        if not (isinstance(meters, str) and _NUMBER.match(meters.strip()) and float(meters) > 0):
            yield ["spatialResolutionInMeters"], f"{meters!r} is not a positive number of meters"
    duration = record.get("temporalResolution")
    if isinstance(duration, str) and not _DURATION.match(duration.strip()):
        yield ["temporalResolution"], f'"{duration}" is not an ISO 8601 duration (such as P1D)'


def _languages(record: dict) -> Iterator[ContentWarning]:
    given = record.get("language")
    codes = given if isinstance(given, list) else [given]
    for index, code in enumerate(codes):
        if not isinstance(code, str) or len(code) > 2:
            continue  # not a string, or too long: the schema rejects it
        if code.lower() not in reference_set("iso639_1"):
            path = ["language", index] if isinstance(given, list) else ["language"]
            yield path, f'"{code}" is not an ISO 639-1 language code'


def _media_type(record: dict) -> Iterator[ContentWarning]:
    given = record.get("mediaType")
    if isinstance(given, str) and given.strip():
        if given.split(";")[0].strip().lower() not in reference_set("media_types"):
            yield ["mediaType"], f'"{given}" is not a registered (IANA) media type'


def _dataset(record: dict) -> Iterator[ContentWarning]:
    keywords = [k.strip().lower() for k in record.get("keyword") or [] if isinstance(k, str) and k.strip()]
    repeated = sorted(k for k, count in Counter(keywords).items() if count > 1)
    if repeated:
        yield ["keyword"], f"repeats {', '.join(map(repr, repeated))}"
    access = record.get("accessRights")
    if isinstance(access, str) and access.strip().lower() in _LEGACY_ACCESS:
        yield ["accessRights"], f'"{access}" is a DCAT-US 1.1 accessLevel value, not an access statement'
    yield from _order(record, "created", "modified", "a dataset cannot be created after it was last modified")
    yield from _order(record, "created", "issued", "a dataset cannot be created after it was issued")
    yield from _order(record, "issued", "modified", "a dataset cannot be issued after it was last modified")
    yield from _resolutions(record)
    yield from _languages(record)


def _distribution(record: dict) -> Iterator[ContentWarning]:
    size = record.get("byteSize")
    if size is not None and not (
        (isinstance(size, int | float) and not isinstance(size, bool))
        or (isinstance(size, str) and _NUMBER.match(size.strip()))
    ):
        yield ["byteSize"], f"{size!r} is not a number of bytes"
    encoding = record.get("characterEncoding")
    if isinstance(encoding, str) and encoding.strip():
        try:
            codecs.lookup(encoding.strip())
        except LookupError:
            yield ["characterEncoding"], f'"{encoding}" is not a known character set'
    yield from _media_type(record)
    yield from _resolutions(record)
    yield from _languages(record)


def _kind(record: dict) -> Iterator[ContentWarning]:
    tel = record.get("tel")
    if isinstance(tel, str) and _LETTER.search(tel.removeprefix("tel:")):
        yield ["tel"], f'"{tel}" has letters; a telephone number has digits'


def _resolvable(value) -> bool:
    if isinstance(value, dict):
        return isinstance(value.get("type"), str) and isinstance(value.get("coordinates"), list)
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.startswith("{"):
        return '"coordinates"' in text
    parts = text.split(",")
    if len(parts) == 4 and all(_NUMBER.match(p.strip()) for p in parts):
        return True  # west,south,east,north
    return bool(_WKT.match(text)) and bool(_WKT_NUMBERS.match(text[text.index("(") :]))


def _location(record: dict) -> Iterator[ContentWarning]:
    for name in ("bbox", "geometry", "centroid"):
        value = record.get(name)
        if value is not None and not _resolvable(value):
            yield [name], f"{str(value)[:80]!r} is neither WKT nor GeoJSON nor a west,south,east,north box"


def _period(record: dict) -> Iterator[ContentWarning]:
    yield from _order(record, "startDate", "endDate", "a period cannot end before it starts")


def _address(record: dict) -> Iterator[ContentWarning]:
    fields = ("street-address", "locality", "region", "postal-code", "country-name")
    if not any(isinstance(record.get(f), str) and record[f].strip() for f in fields):
        yield [], "is empty: none of street-address, locality, region, postal-code, country-name"
    code, country = record.get("postal-code"), str(record.get("country-name") or "").strip().lower()
    if isinstance(code, str) and country in ("us", "usa", "united states") and _LETTER.search(code):
        yield ["postal-code"], f'"{code}" has letters; a US ZIP code has digits'


def _metric(record: dict) -> Iterator[ContentWarning]:
    kind = record.get("expectedDataType")
    if isinstance(kind, str) and not kind.startswith("xsd:"):
        yield ["expectedDataType"], f'"{kind}" is not an XML Schema datatype (xsd:...)'


def _cui(record: dict) -> Iterator[ContentWarning]:
    marking = record.get("cuiBannerMarking")
    if isinstance(marking, str) and not marking.startswith("CUI//"):
        yield ["cuiBannerMarking"], f'"{marking}" does not start with CUI//'


RULES: dict[str, Callable[[dict], Iterator[ContentWarning]]] = {
    "Dataset": _dataset,
    "Distribution": _distribution,
    "DataService": lambda record: (w for f in (_resolutions, _languages) for w in f(record)),
    "Document": _media_type,
    "Kind": _kind,
    "Location": _location,
    "PeriodOfTime": _period,
    "Address": _address,
    "Metric": _metric,
    "CUIRestriction": _cui,
}


def _class_of(node: dict, field: str | None) -> str | None:
    given = node.get("@type")
    if isinstance(given, str) and given:
        return given.rsplit(":", 1)[-1]
    return FIELD_CLASSES.get(field or "")


def _walk(node, path: list, record_class: str | None, field: str | None, found: list[ContentWarning]) -> None:
    # Into objects and lists only: most values are text, and a call per value was most of the walk's time.
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict | list):
                _walk(item, [*path, index], None, field, found)
        return
    if not isinstance(node, dict):
        return
    rule = RULES.get(record_class or _class_of(node, field) or "")
    if rule:
        found += [([*path, *where], message) for where, message in rule(node)]
    for name, value in node.items():
        if isinstance(value, dict | list):
            _walk(value, [*path, name], None, name, found)


def content_warnings(record: dict, record_type: str) -> list[ContentWarning]:
    """(path parts, message) of every 3.0 content problem in a record of class ``record_type``."""
    found: list[ContentWarning] = []
    _walk(record, [], record_type, None, found)
    return found
