"""Pieces shared by the ISO and FGDC crosswalks: distributions, media types, dates, licences."""

import re
from urllib.parse import urlsplit

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
_LICENSE_HINTS = ("creativecommons.org", "opendatacommons.org", "/publicdomain/", "/licenses/", "/license")


def media_type_of(url: str) -> str | None:
    """The IANA media type implied by a URL's file extension, or None when it names no file type."""
    path = urlsplit(url).path.lower() if "://" in url else url.lower()
    name = path.rstrip("/").rpartition("/")[2]
    if "." not in name:
        return None
    return MEDIA_TYPES.get(name.rpartition(".")[2])


def is_url(text: str) -> bool:
    """True for absolute URLs and for scheme-less web addresses the url_scheme fix-up can complete."""
    return "://" in text and " " not in text.strip() or text.startswith("www.")


def mailto(email: str | None, warnings: list[str]) -> str | None:
    """hasEmail as mailto:, or None (with a warning) when the value is not an email address."""
    if not email:
        return None
    address = email.strip()
    address = address[7:] if address.lower().startswith("mailto:") else address
    if "@" not in address or " " in address:
        warnings.append(f"contactPoint: {email!r} is not an email address; left out")
        return None
    return f"mailto:{address}"


def distribution(
    url: str, title: str | None, description: str | None, fmt: str | None, download: bool, warnings: list[str]
) -> dict | None:
    """One DCAT-US distribution (None when the link is no URL); a download needs a media type."""
    if not is_url(url):
        warnings.append(f"distribution: {url!r} is not a URL; left out")
        return None
    item: dict = {"@type": "dcat:Distribution"}
    media = media_type_of(url)
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
    for key, text in (("title", title), ("description", description), ("format", fmt)):
        if text:
            item[key] = text
    return item


def add_distribution(items: list[dict], item: dict | None) -> None:
    """Append unless None or a distribution with the same URL is already there (ISO repeats links)."""
    if item is None:
        return
    url = item.get("downloadURL") or item.get("accessURL")
    if all((other.get("downloadURL") or other.get("accessURL")) != url for other in items):
        items.append(item)


def iso_date(text: str | None) -> str | None:
    """An ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD, optionally with time) from ISO or FGDC forms; else None."""
    if not text:
        return None
    match = _DATE.match(text.strip())
    if not match:
        return None
    year, month, day, time = match.groups()
    if (month and not 1 <= int(month) <= 12) or (day and not 1 <= int(day) <= 31):
        return None
    date = "-".join(part for part in (year, month, day) if part)
    return date + time if time and day else date


def license_url(texts: list[str]) -> str | None:
    """The first constraint text that is (or contains) a licence URL; constraints are free text."""
    for text in texts:
        for word in text.split():
            word = word.strip("<>()[],;\"'")
            if word.startswith(("http://", "https://")) and any(
                hint in word.lower() for hint in _LICENSE_HINTS
            ):
                return word
    return None


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
    begin = sorted(d for d in map(iso_date, starts) if d)
    end = sorted(d for d in map(iso_date, ends) if d)
    if not begin and not end:
        if starts or ends:
            warnings.append(f"temporal: no usable dates in {starts + ends}; left out")
        return None
    if not begin or not end:
        warnings.append(f"temporal: range {starts} to {ends} is open-ended; left out")
        return None
    return f"{begin[0]}/{end[-1]}"
