"""Pieces shared by the ISO and FGDC crosswalks: URLs, distributions, media types, dates, bounded text."""

import re
from urllib.parse import urlsplit

from jsonschema import FormatChecker

from transforms.crosswalk.formats import formats_of_link

# Extensions whose links are files a user downloads; anything else is published as accessURL.
MEDIA_TYPES = {
    "zip": "application/zip",
    "gz": "application/gzip",
    "tgz": "application/gzip",
    "tar": "application/x-tar",
    "7z": "application/x-7z-compressed",
    "csv": "text/csv",
    "txt": "text/plain",
    "json": "application/json",
    "geojson": "application/geo+json",
    "xml": "application/xml",
    "kml": "application/vnd.google-earth.kml+xml",
    "kmz": "application/vnd.google-earth.kmz",
    "pdf": "application/pdf",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "nc": "application/x-netcdf",
    "shp": "application/x-esri-shape",
    "gpkg": "application/geopackage+sqlite3",
    "las": "application/vnd.las",
    "laz": "application/vnd.laszip",
}
_DATE = re.compile(r"^(\d{4})(?:-?(\d{2}))?(?:-?(\d{2}))?(T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
# The DCAT-US schema's own tests: format "uri" (the rules jsonschema and the validate stage apply),
# the mediaType pattern and the hasEmail pattern, so the crosswalk never emits what the gate refuses.
_URI = FormatChecker(["uri"])
_MEDIA_TYPE = re.compile(
    r"^(application|audio|font|image|model|multipart|text|video)/[-\w]+(\.[-\w]+)*([+][-\w]+)?$"
)
_EMAIL = re.compile(r"^[\w\_\~\!\$\&\'\(\)\*\+\,\;\=\:.-]+@[\w.-]+\.[\w.-]+?$")
# A URL inside free text ends at whitespace or markup; trailing sentence punctuation is not part of it.
_URL_IN_TEXT = re.compile(r"(?:https?|ftp)://[^\s<>\"'`]+|\bwww\.[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
# Constraint statements that say there is none ("Access Constraints: None.") are no rights text, and
# neither is a template left unfilled ("Access constraints: . Use Limitation: ."): labels, punctuation.
_NO_CONSTRAINT = re.compile(r"^(?:none|n/?a|not\s+applicable|no\s+restrictions?)$", re.IGNORECASE)
_LABEL = re.compile(r"[A-Za-z][A-Za-z /()-]{0,40}:")
_FILLER = " \t\r\n.,;:-_*"
# Values that stand for "no value" where one had to be written: OGC's nil URIs
# (http://www.opengis.net/def/nil/OGC/0/missing, .../unknown, .../withheld) and the words for them.
_NIL_URI = re.compile(r"^https?://www\.opengis\.net/def/nil/", re.IGNORECASE)
PLACEHOLDERS = frozenset(
    {
        "missing",
        "unknown",
        "unk",
        "n/a",
        "na",
        "none",
        "null",
        "nil",
        "not applicable",
        "not available",
        "not provided",
        "unavailable",
        "withheld",
        "inapplicable",
        "tbd",
        "to be determined",
        "-",
        "--",
    }
)
# Fields whose value names the record itself: a placeholder there is kept, for the reviewer to see.
_KEPT_AS_WRITTEN = frozenset({"@type", "title", "description", "identifier"})
_LINKS = ("downloadURL", "accessURL")
TOPIC_CATEGORIES = {
    code.lower(): code
    for code in (  # MD_TopicCategoryCode (19115-3 adds the last two)
        "farming",
        "biota",
        "boundaries",
        "climatologyMeteorologyAtmosphere",
        "economy",
        "elevation",
        "environment",
        "geoscientificInformation",
        "health",
        "imageryBaseMapsEarthCover",
        "intelligenceMilitary",
        "inlandWaters",
        "location",
        "oceans",
        "planningCadastre",
        "society",
        "structure",
        "transportation",
        "utilitiesCommunication",
        "extraTerrestrial",
        "disaster",
    )
}
# Dates that are written as dates but say nothing: a year before any metadata could describe (the
# 0001 or 0900 of a default) or so far ahead that no schedule means it (7306, 9999), and the
# 1900-01-01 that database and spreadsheet defaults write for "no date".
EARLIEST_YEAR, LATEST_YEAR = 1000, 2500
PLACEHOLDER_DATES = frozenset({"1900-01-01"})
RIGHTS_LIMIT = 255  # DCAT-US 1.1 rights: a string of at most 255 characters


def media_type_of(url: str) -> str | None:
    """The IANA media type implied by a URL's file extension, or None when it names no file type."""
    path = urlsplit(url).path.lower() if "://" in url else url.lower()
    name = path.rstrip("/").rpartition("/")[2]
    if "." not in name:
        return None
    return MEDIA_TYPES.get(name.rpartition(".")[2])


def is_url(text: str) -> bool:
    """True for absolute URIs the schema accepts, and for www. addresses the url_scheme fix-up completes."""
    if text.startswith("www."):
        return _URI.conforms(f"https://{text}", "uri")
    return "://" in text and _URI.conforms(text, "uri")


def urls_in(text: str | None) -> list[str]:
    """Every URL a link field holds: the field itself, or each URL in text that joins several."""
    if not text:
        return []
    text = text.strip()
    if is_url(text):
        return [text]
    if "://" not in text and "www." not in text.lower():  # the common case: prose without a link
        return []
    found = []
    for match in _URL_IN_TEXT.finditer(text):
        url = match.group()
        while url and url[-1] in _TRAILING_PUNCTUATION and not (url[-1] == ")" and "(" in url):
            url = url[:-1]
        if is_url(url) and url not in found:
            found.append(url)
    return found


def is_media_type(text: str | None) -> bool:
    """True for an IANA-style media type (text/csv) that the schema's mediaType pattern accepts."""
    return text is not None and bool(_MEDIA_TYPE.match(text.strip().lower()))


def email_address(text: str | None) -> str | None:
    """The address of an email value (with or without mailto:) when hasEmail would accept it, else None."""
    if not text:
        return None
    address = text.strip()
    address = address[7:] if address.lower().startswith("mailto:") else address
    return address if _EMAIL.match(address) else None


def mailto(email: str | None, warnings: list[str]) -> str | None:
    """hasEmail as mailto:, or None (with a warning) when the value is not an email address."""
    if not email:
        return None
    address = email_address(email)
    if address is None:
        warnings.append(f"contactPoint: {email!r} is not an email address; left out")
        return None
    return f"mailto:{address}"


def bounded(text: str, limit: int, field: str, warnings: list[str]) -> str:
    """Text of at most `limit` characters: longer text is cut at a word, ends with '…' and is reported."""
    if len(text) <= limit:
        return text
    warnings.append(f"{field}: {len(text)} characters cut to {limit}")
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def is_placeholder(text: str | None) -> bool:
    """True for a value that stands for no value: an OGC nil URI, or 'missing', 'unknown', 'N/A', ...."""
    if not text:
        return False
    text = text.strip()
    return bool(_NIL_URI.match(text)) or " ".join(text.strip(" .[]()<>").split()).lower() in PLACEHOLDERS


def _without_placeholders(field: str, item, warnings: list[str]):
    """`item` with its placeholder values left out (each reported); a distribution whose link is a
    placeholder is left out whole, and so is an object left with nothing but its @type."""
    if isinstance(item, str):
        if is_placeholder(item):
            warnings.append(f"{field}: {item!r} is a placeholder; left out")
            return None
        return item
    if isinstance(item, list):
        parts = [_without_placeholders(field, part, warnings) for part in item]
        return [part for part in parts if part is not None]
    if isinstance(item, dict):
        kept = {
            key: part
            for key, value in item.items()
            if (part := value if key == "@type" else _without_placeholders(f"{field}.{key}", value, warnings))
            is not None
        }
        if any(key in item and key not in kept for key in _LINKS) or set(kept) <= {"@type"}:
            return None
        return kept
    return item


def published(dataset: dict, warnings: list[str]) -> dict:
    """The fields of a crosswalked dataset that say something: empty values and placeholders left out,
    each placeholder with a warning naming the field and the value (title, description and identifier
    are kept as written)."""
    out = {}
    for key, item in dataset.items():
        if key not in _KEPT_AS_WRITTEN:
            item = _without_placeholders(key, item, warnings)
        if item not in (None, [], "", {}):
            out[key] = item
    return out


def topic_category(word: str) -> str | None:
    """The MD_TopicCategoryCode a word writes, in any case, spacing or plural ('Utilities
    Communications' -> utilitiesCommunication), else None."""
    key = "".join(word.split()).lower()
    return TOPIC_CATEGORIES.get(key) or TOPIC_CATEGORIES.get(key.removesuffix("s"))


def _says_nothing(statement: str) -> bool:
    """True when every value after the statement's labels is empty, a 'none' word or a placeholder."""
    parts = [part.strip(_FILLER) for part in _LABEL.split(statement)]
    return all(not part or _NO_CONSTRAINT.match(part) or is_placeholder(part) for part in parts)


def rights(parts: list[str], warnings: list[str]) -> str | None:
    """DCAT-US rights from constraint statements, in order: duplicates and statements that say nothing
    ('none', an unfilled template) left out, joined as sentences (or with '; '), cut to 255 characters."""
    cleaned = dict.fromkeys(" ".join(part.split()) for part in parts)
    kept = []
    for part in cleaned:
        if not part or _says_nothing(part):
            if part and not any(c.isalnum() for c in _LABEL.sub("", part)):
                warnings.append(f"rights: {part!r} is an empty template; left out")
            continue
        kept.append(part)
    if not kept:
        return None
    text = kept[0]
    for part in kept[1:]:
        text += (" " if text[-1] in ".!?" else "; ") + part
    return bounded(text, RIGHTS_LIMIT, "rights", warnings)


def distribution(
    url: str,
    title: str | None,
    description: str | None,
    formats: list[str],
    download: bool,
    warnings: list[str],
    media: str | None = None,
    protocol: str | None = None,
) -> dict | None:
    """One DCAT-US distribution (None when the link is no URL); a download needs a media type.

    `media` is a media type the record states for the link; without one, the URL's extension decides.
    `formats` are the format names the record gives the link's group: only those the link's own type
    agrees with are its format (transforms.crosswalk.formats).
    """
    if not is_url(url):
        warnings.append(f"distribution: {url!r} is not a URL; left out")
        return None
    item: dict = {"@type": "dcat:Distribution"}
    media = media.strip().lower() if media is not None and is_media_type(media) else media_type_of(url)
    if download and media:
        item["downloadURL"] = url
        item["mediaType"] = media
    else:
        if download:
            warnings.append(
                f"distribution {url}: download link of unknown media type; published as accessURL"
            )
        item["accessURL"] = url
        if media:
            item["mediaType"] = media
    fmt = formats_of_link(formats, url, media, protocol, warnings)
    for key, text in (("title", title), ("description", description), ("format", fmt)):
        if text:
            item[key] = text
    return item


def add_distribution(items: list[dict], item: dict | None) -> None:
    """Append unless None; a link already there (ISO repeats links) gains the title, description
    and format it lacked from the repeat."""
    if item is None:
        return
    url = item.get("downloadURL") or item.get("accessURL")
    for other in items:
        if (other.get("downloadURL") or other.get("accessURL")) == url:
            for key in ("title", "description", "format"):
                if key in item and key not in other:
                    other[key] = item[key]
            return
    items.append(item)


def iso_date(text: str | None) -> str | None:
    """An ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD, optionally with time) from ISO or FGDC forms; else None.

    A value that reads as a date but cannot be one (see :func:`date_problem`) is None too.
    """
    if not text:
        return None
    match = _DATE.match(text.strip())
    if not match:
        return None
    year, month, day, time = match.groups()
    if (month and not 1 <= int(month) <= 12) or (day and not 1 <= int(day) <= 31):
        return None
    date = "-".join(part for part in (year, month, day) if part)
    if _implausible(date):
        return None
    return date + time if time and day else date


def _implausible(date: str) -> str | None:
    if date in PLACEHOLDER_DATES:
        return "is a placeholder date"
    if not EARLIEST_YEAR <= int(date[:4]) <= LATEST_YEAR:
        return f"is not a plausible date (a year from {EARLIEST_YEAR} to {LATEST_YEAR})"
    return None


def date_problem(text: str) -> str | None:
    """Why a value written as a date cannot be one (a placeholder, an impossible year), else None.

    Values that are no date at all ("unknown", "present") are not problems of this kind: each
    field says what it does without a date.
    """
    match = _DATE.match(text.strip())
    return _implausible("-".join(part for part in match.groups()[:3] if part)) if match else None


def read_date(text: str | None, field: str, warnings: list[str]) -> str | None:
    """:func:`iso_date`, reporting a date that cannot be one under the field it was meant for."""
    if not text:
        return None
    problem = date_problem(text)
    if problem:
        warnings.append(f"{field}: {text.strip()!r} {problem}; left out")
        return None
    return iso_date(text)


def bounding_box(west, south, east, north, warnings: list[str]) -> str | None:
    """The DCAT-US spatial string W,S,E,N, or None (with a warning) when a value is not a number."""
    parts = (west, south, east, north)
    if all(part is None for part in parts):
        return None
    try:
        [float(part) for part in parts]
    except (TypeError, ValueError):
        warnings.append(f"spatial: bounding box {parts} is incomplete or not numeric; left out")
        return None
    # The coordinates as written: reformatting floats would add or drop digits.
    return ",".join(part.strip() for part in parts)


def temporal_range(starts: list[str], ends: list[str], warnings: list[str]) -> str | None:
    """'begin/end' from the earliest start and latest end; one instant gives 'instant/instant'."""
    reported = len(warnings)
    read = {text: read_date(text, "temporal", warnings) for text in dict.fromkeys(starts + ends)}
    begin = sorted(d for text in starts if (d := read[text]))
    end = sorted(d for text in ends if (d := read[text]))
    if not begin and not end:
        if (starts or ends) and len(warnings) == reported:
            warnings.append(f"temporal: no usable dates in {starts + ends}; left out")
        return None
    if not begin or not end:
        # DCAT-US 1.1 temporal is start/end: no form of it says "from 2003 on" (or "until 2010").
        known = f"from {begin[0]}" if begin else f"until {end[-1]}"
        warnings.append(f"temporal: the period {known} is open-ended; DCAT-US 1.1 cannot say so; left out")
        return None
    return f"{begin[0]}/{end[-1]}"
