"""Reading the parts of an ISO 19115 identification that 19139 (gmd/gmi) and 19115-3 (mdb) share.

Both standards name these elements alike (MD_Keywords, CI_Date, EX_Extent, MD_LegalConstraints,
MD_DigitalTransferOptions), so one reader serves both; the crosswalks add what differs.
"""

import re

from transforms.crosswalk import common, licences
from transforms.crosswalk.fixups import frequency_code
from transforms.crosswalk.xml_kinds import (
    children,
    code,
    descendants,
    first,
    first_value,
    href,
    value,
    values,
    walk,
)

NON_PUBLIC_ACCESS = {"restricted"}
NON_PUBLIC_CLASSES = {"restricted", "confidential", "secret", "topSecret"}
RESTRICTED_PUBLIC_ACCESS = {
    "copyright",
    "patent",
    "patentPending",
    "trademark",
    "license",
    "intellectualPropertyRights",
}
RESTRICTION_CODES = (
    RESTRICTED_PUBLIC_ACCESS
    | NON_PUBLIC_ACCESS
    | {
        "otherRestrictions",
        "unrestricted",
        "licenceUnrestricted",
        "licenceEndUser",
        "licenceDistributor",
        "private",
        "statutory",
        "confidential",
        "SBU",
        "in-confidence",
    }
)
LANGUAGES = {
    "eng; USA": "en-US",
    "eng; US": "en-US",
    "spa; USA": "es-US",
    "eng; CAN": "en-CA",
    "fre; CAN": "fr-CA",
    "spa; MEX": "es-MX",
}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{2}|-[0-9]{3})?$")
_PROGRAM = re.compile(r"^[0-9]{3}:[0-9]{3}$")
BOX_CORNERS = ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")
_REVISED = ("revision", "lastRevision", "lastUpdate", "lastRevised", "lastUpdated")
_ISSUED = ("publication", "distribution", "released")


def keywords(ident) -> tuple[list[str], list[str]]:
    """(keywords, program codes); keywords deduplicated in order, as the POD validator expects."""
    words, programs = [], []
    for block in walk(ident, "descriptiveKeywords/MD_Keywords"):
        thesaurus = first_value(block, "thesaurusName/CI_Citation/title") or ""
        for word in values(block, "keyword"):
            if "Federal Program Inventory" in thesaurus and _PROGRAM.match(word) and word not in programs:
                programs.append(word)
            if word not in words:
                words.append(word)
    return words, programs


def citation_dates(citation) -> dict[str, list[str]]:
    """Citation dates by date type, each normalised to ISO 8601 (unreadable dates skipped)."""
    dates: dict[str, list[str]] = {}
    for node in walk(citation, "date/CI_Date"):
        when = common.iso_date(first_value(node, "date"))
        if when:
            dates.setdefault(code(first(node, "dateType")) or "", []).append(when)
    return dates


def modified_and_issued(dates: dict[str, list[str]], fallback: str | None) -> tuple[str | None, str | None]:
    """modified: latest revision date, else latest citation date, else the metadata date stamp."""
    revised = [d for kind in _REVISED for d in dates.get(kind, [])]
    issued = sorted(d for kind in _ISSUED for d in dates.get(kind, []))
    every = [d for found in dates.values() for d in found]
    modified = max(revised) if revised else max(every) if every else common.iso_date(fallback)
    return modified, (issued[0] if issued else None)


def access(ident, warnings: list[str]) -> dict:
    """accessLevel, rights and license from the resource constraints.

    accessLevel follows the POD v1.1 crosswalk's codes. rights keeps what the record says about use and
    access (otherConstraints, useLimitation and the 19115-3 releasability statement, which mdTranslator
    maps to rights), after the codes that explain a level other than public; license is the licence
    those texts name (transforms.crosswalk.licences).
    """
    codes, classes, others, limits, texts = [], [], [], [], []
    for constraint in walk(ident, "resourceConstraints/*"):
        codes += [c for node in children(constraint, "accessConstraints") if (c := code(node))]
        classes += [c for node in children(constraint, "classification") if (c := code(node))]
        others += values(constraint, "otherConstraints")
        limits += values(constraint, "useLimitation")
        limits += values(constraint, "releasability/MD_Releasability/statement")  # 19115-3
        texts += [h for node in descendants(constraint, "Anchor") if (h := href(node))]
        texts += [
            v for name in ("linkage", "title") for node in descendants(constraint, name) if (v := value(node))
        ]
    # otherConstraints explain the access and use codes, so they come first; a use limitation that
    # holds a restriction code instead of text (NOAA records do) is no statement.
    statements = [text for text in others + limits if text not in RESTRICTION_CODES]
    out: dict = {}
    # A classification word written as an access constraint (topSecret) still means non-public.
    if (NON_PUBLIC_ACCESS | NON_PUBLIC_CLASSES) & set(codes) or NON_PUBLIC_CLASSES & set(classes):
        out["accessLevel"] = "non-public"
    elif RESTRICTED_PUBLIC_ACCESS & set(codes):
        out["accessLevel"] = "restricted public"
    licence = licences.licence_url(statements + texts)
    if licence:
        out["license"] = licence
    explained = [", ".join(dict.fromkeys(codes + classes))] if "accessLevel" in out else []
    rights = common.rights(explained + [s for s in statements if s != licence], warnings)
    if rights:
        out["rights"] = rights
    return out


def spatial_and_temporal(ident, warnings: list[str]) -> dict:
    """spatial (first bounding box, W,S,E,N) and temporal (earliest begin / latest end)."""
    out: dict = {}
    boxes = descendants(ident, "EX_GeographicBoundingBox")
    if boxes:
        box = common.bounding_box(*(first_value(boxes[0], name) for name in BOX_CORNERS), warnings)
        if box:
            out["spatial"] = box
    starts, ends = [], []
    for extent in descendants(ident, "EX_TemporalExtent"):
        for period in descendants(extent, "TimePeriod"):
            starts += [v for n in descendants(period, "beginPosition") if (v := value(n))]
            ends += [v for n in descendants(period, "endPosition") if (v := value(n))]
            for side, found in (("begin", starts), ("end", ends)):
                # gml:begin/gml:end wrap a TimeInstant; some writers (mdTranslator) put the date inline.
                found += [v for n in children(period, side) if (v := value(n))]
                found += [v for n in walk(period, f"{side}/TimeInstant/timePosition") if (v := value(n))]
        holder = first(extent, "extent")
        for instant in children(extent if holder is None else holder, "TimeInstant"):
            moments = [v for n in children(instant, "timePosition") if (v := value(n))]
            starts += moments
            ends += moments
    temporal = common.temporal_range(starts, ends, warnings)
    if temporal:
        out["temporal"] = temporal
    return out


def frequency(ident) -> str | None:
    """accrualPeriodicity from the maintenance frequency code."""
    found = code(first(ident, "resourceMaintenance/MD_MaintenanceInformation/maintenanceAndUpdateFrequency"))
    return frequency_code(found)  # the one frequency table every path shares


def languages(found: list[str], warnings: list[str]) -> list[str]:
    """RFC 5646 tags from ISO language values; values that are not tags are reported, not guessed."""
    out = []
    for text in found:
        tag = LANGUAGES.get(text, text)
        if _LANGUAGE.match(tag):
            if tag not in out:
                out.append(tag)
        else:
            warnings.append(f"language: {text!r} is not an RFC 5646 language tag; left out")
    return out


def urls(candidates: list[str], field: str, warnings: list[str]) -> list[str]:
    """Every URL the candidates hold (a link field may join several), deduplicated; others are reported."""
    out: list[str] = []
    for text in candidates:
        found = common.urls_in(text)
        if not found:
            warnings.append(f"{field}: {text!r} is not a URL; left out")
        out += [url for url in found if url not in out]
    return out


def _formats(holder, path: str) -> list[str]:
    """The format names at `path` (…/MD_Format): each format's name, else its specification's title."""
    found: list[str] = []
    for node in walk(holder, f"{path}/MD_Format"):
        name = first_value(node, "name") or first_value(node, "formatSpecificationCitation/CI_Citation/title")
        if name and name not in found:
            found.append(name)
    return found


def _link_groups(dist) -> list[tuple[list, list[str]]]:
    """(online resources, their formats) of one MD_Distribution: formats stated with the transfer options
    (19115-3), else with their distributor, else with the distribution."""
    names = _formats(dist, "distributionFormat")
    groups = [
        (walk(options, "onLine/CI_OnlineResource"), _formats(options, "distributionFormat") or names)
        for options in walk(dist, "transferOptions/MD_DigitalTransferOptions")
    ]
    for distributor in walk(dist, "distributor/MD_Distributor"):
        own = _formats(distributor, "distributorFormat") or names
        groups += [
            (walk(options, "onLine/CI_OnlineResource"), _formats(options, "distributionFormat") or own)
            for options in walk(distributor, "distributorTransferOptions/MD_DigitalTransferOptions")
        ]
    return groups


def _is_download(function: str, protocol: str, stated: str | None, url: str) -> bool:
    """A link is a file to download when its function or protocol says so, when the protocol names a
    file's media type, or (no function given) when its extension names a data file."""
    if function == "download" or "DOWNLOAD" in protocol.upper():
        return True
    if stated:
        return stated.lower() != "text/html"
    return not function and common.media_type_of(url) not in (None, "application/xml")


def online_resources(root, warnings: list[str]) -> tuple[list[dict], list[str]]:
    """(distributions, information URLs) from every MD_Distribution's digital transfer options.

    A distribution's format is every format its MD_Distribution lists ("SHP, html"): ISO does not say
    which link carries which. A media type written as the protocol (text/csv) is the link's mediaType.
    """
    items: list[dict] = []
    information: list[str] = []
    for dist in walk(root, "distributionInfo/MD_Distribution"):
        for resources, formats in _link_groups(dist):
            for resource in resources:
                linkage = first_value(resource, "linkage")
                function = code(first(resource, "function")) or ""
                protocol = first_value(resource, "protocol") or ""
                stated = protocol if common.is_media_type(protocol) else None
                for url in common.urls_in(linkage) or ([linkage] if linkage else []):
                    if function == "information" and common.is_url(url):
                        information.append(url)
                    download = _is_download(function, protocol, stated, url)
                    item = common.distribution(
                        url,
                        first_value(resource, "name"),
                        first_value(resource, "description"),
                        ", ".join(formats) or None,
                        download,
                        warnings,
                        stated,
                    )
                    common.add_distribution(items, item)
    return items, information
