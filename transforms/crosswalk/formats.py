"""Which format names belong on which link of an ISO or FGDC distribution.

ISO 19139 lists formats per MD_Distribution (or per distributor), not per link, and FGDC per
digital form, whose online links often include a landing page or a document. Copying every format
onto every link publishes a PDF, a KMZ and a web page as "CSV, fixed-length ASCII text", or a
THREDDS catalog page as NetCDF. So a format goes on a link only when the link's own type agrees
with it: the link's media type, the extension of its file, its protocol (OGC:WMS, OPeNDAP) or the
service its query names (``service=WMS``). A link whose type says nothing (a page with no
extension and no protocol) gets no format.

Agreement is by family: the words a format name, a media subtype, an extension or a protocol use
for one kind of file or service (``nc``, ``netCDF-4``, ``application/x-netcdf`` are all netcdf).
"""

import re
from urllib.parse import parse_qsl, urlsplit

_FAMILIES = {
    "netcdf": ("netcdf", "netcdf3", "netcdf4", "nc", "nc4", "cdf"),
    "csv": ("csv", "comma"),
    "text": ("txt", "text", "ascii", "plain"),
    "tsv": ("tsv",),
    "shapefile": ("shp", "shapefile", "shapefiles", "shape"),
    "tiff": ("tif", "tiff", "geotiff", "geotif", "cog"),
    "kml": ("kml", "kmz"),
    "pdf": ("pdf",),
    "json": ("json", "geojson"),
    "xml": ("xml", "gml"),
    "html": ("html", "htm", "xhtml"),
    "excel": ("xls", "xlsx", "excel", "ms-excel"),
    "jpeg": ("jpg", "jpeg", "jpeg2000", "jp2"),
    "png": ("png",),
    "las": ("las", "laz", "laszip"),
    "geopackage": ("gpkg", "geopackage"),
    "geodatabase": ("gdb", "geodatabase", "filegdb", "mdb"),
    "hdf": ("hdf", "hdf4", "hdf5", "h5", "he5"),
    "grib": ("grib", "grib2", "grb", "grb2"),
    "mrsid": ("sid", "mrsid"),
    "zip": ("zip",),
    "gzip": ("gz", "gzip", "tgz"),
    "tar": ("tar",),
    "7z": ("7z",),
    "wms": ("wms",),
    "wmts": ("wmts",),
    "wcs": ("wcs",),
    "wfs": ("wfs",),
    "opendap": ("opendap", "dods", "dap"),
    "esri-rest": ("arcgis", "mapserver", "featureserver", "imageserver"),
}
_FAMILY_OF = {word: family for family, words in _FAMILIES.items() for word in words}
# A container holds files of whatever format the record names; a page or a service is no container.
_CONTAINERS = {"zip", "gzip", "tar", "7z"}
_SERVICES = {"wms", "wmts", "wcs", "wfs", "opendap", "esri-rest"}
_NOT_CONTAINED = _SERVICES | {"html"}
_MEDIA_TYPE = re.compile(r"^\s*[a-z]+/[-+.\w]+\s*$", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)?")


# Names written out in words ("OGC Web Map Service", "comma-separated values").
_PHRASES = (
    (re.compile(r"web\s+map\s+tile\s+service"), " wmts "),
    (re.compile(r"web\s+map\s+service"), " wms "),
    (re.compile(r"web\s+coverage\s+service"), " wcs "),
    (re.compile(r"web\s+feature\s+service"), " wfs "),
    (re.compile(r"comma[\s-]+separated"), " csv "),
)


def _families(text: str | None) -> set[str]:
    """The families the words of a name, subtype or protocol name ("netCDF-4 classic" -> netcdf)."""
    found = set()
    text = (text or "").lower()
    for phrase, word in _PHRASES:
        text = phrase.sub(word, text)
    for word in _WORD.findall(text):
        for part in (word, *word.split("-")):
            if part in _FAMILY_OF:
                found.add(_FAMILY_OF[part])
    return found


def link_families(url: str, media: str | None, protocol: str | None) -> set[str]:
    """What a link says of its own type: its media subtype, file extension, protocol and service."""
    parts = urlsplit(url)
    name = parts.path.rstrip("/").rpartition("/")[2]
    found = _families(media.partition("/")[2] if media else None)
    if "." in name:
        found |= _families(name.rpartition(".")[2])
    # A protocol written as a media type (text/html) says its type by its subtype alone, as `media` does.
    found |= _families(protocol.partition("/")[2] if protocol and _MEDIA_TYPE.match(protocol) else protocol)
    # A service names itself in its path: .../arcgis/rest/services/x/MapServer, .../MapServer/WMTS/1.0.0/.
    found |= {f for segment in parts.path.split("/") if (f := _FAMILY_OF.get(segment.lower())) in _SERVICES}
    found |= _families(" ".join(v for k, v in parse_qsl(parts.query) if k.lower() == "service"))
    return found


def agrees(format_name: str, families: set[str]) -> bool:
    """True when a format name is one of the link's families, or may be what a container link holds
    (a zip holds files of any format, not a page or a service)."""
    named = _families(format_name)
    if named & families:
        return True
    return bool(families & _CONTAINERS) and not named & _NOT_CONTAINED


def formats_of_link(
    names: list[str], url: str, media: str | None, protocol: str | None, warnings: list[str]
) -> str | None:
    """The format names that agree with the link, joined with ', '; the others are reported."""
    if not names:
        return None
    families = link_families(url, media, protocol)
    kept = [name for name in names if agrees(name, families)]
    left = [name for name in names if name not in kept]
    if left:
        said = ", ".join(sorted(families)) or "no type"
        warnings.append(
            f"distribution {url}: format {', '.join(left)!r} does not match the link ({said}); left out"
        )
    return ", ".join(kept) or None


def service_format(url: str, described: str | None) -> str | None:
    """The format of a service endpoint: the word of its protocol or service type that names the service
    (WMS in "OGC:WMS"), else of its URL's service query or path (wms, MapServer), as written; else None."""
    parts = urlsplit(url)
    query = " ".join(v for k, v in parse_qsl(parts.query) if k.lower() == "service")
    for text in (described or "", query, parts.path.replace("/", " ")):
        for word in re.findall(r"[A-Za-z0-9]+", text):
            if _FAMILY_OF.get(word.lower()) in _SERVICES:
                return word
    return None
