"""Pieces shared by the ISO and FGDC crosswalks: URLs, distributions, media types, placeholders, bounded text."""

import re
from urllib.parse import urlsplit

from rfc3986_validator import validate_rfc3986

from transforms.crosswalk.formats import formats_of_link
from transforms.crosswalk.placeholders import is_placeholder

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
# The DCAT-US schema's own tests: format "uri" (the rules jsonschema and the validate stage apply),
# the mediaType pattern and the hasEmail pattern, so the crosswalk never emits what the gate refuses.
# "uri" is the check jsonschema's format checker runs (rfc3986-validator, installed with
# jsonschema[format-nongpl]), called directly: importing jsonschema builds rfc3987-syntax's IRI
# grammar, about 1.5 s of CPU in every Python worker that runs the crosswalk.
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
        return _is_uri(f"https://{text}")
    return "://" in text and _is_uri(text)


def _is_uri(text: str) -> bool:
    """jsonschema's format "uri": an absolute URI by RFC 3986."""
    return bool(validate_rfc3986(text, rule="URI"))


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
    ('none', an unfilled template) left out, joined as sentences (or with '; '). Text over 255
    characters is cut by the rights_length fix-up, as a data.json record's is
    (transforms.crosswalk.fixups.fit_rights)."""
    cleaned = dict.fromkeys(" ".join(part.split()) for part in parts)
    kept = []
    for part in cleaned:
        if not part or _says_nothing(part):
            # "None" says there is no constraint; a template or a placeholder says nothing, and is reported.
            body = _LABEL.sub("", part).strip(_FILLER)
            if part and not any(c.isalnum() for c in body):
                warnings.append(f"rights: {part!r} is an empty template; left out")
            elif part and is_placeholder(body) and not _NO_CONSTRAINT.match(body):
                warnings.append(f"rights: {part!r} is a placeholder; left out")
            continue
        kept.append(part)
    if not kept:
        return None
    text = kept[0]
    for part in kept[1:]:
        text += (" " if text[-1] in ".!?" else "; ") + part
    return text


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
    if not is_url(url) or is_placeholder(url):
        why = "a placeholder" if is_placeholder(url) else "not a URL"
        warnings.append(f"distribution: {url!r} is {why}; left out")
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
