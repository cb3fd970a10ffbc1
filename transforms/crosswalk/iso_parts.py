"""Reading the parts of an ISO 19115 identification that 19139 (gmd/gmi) and 19115-3 (mdb) share.

Both standards name these elements alike (MD_Keywords, CI_Date, EX_Extent, MD_LegalConstraints,
MD_DigitalTransferOptions), so one reader serves both; the crosswalks add what differs.
"""

import re

from transforms.crosswalk import common
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
FREQUENCIES = {  # POD v1.1 crosswalk: MD_MaintenanceFrequencyCode -> ISO 8601 repeating duration
    "continual": "R/PT1S",
    "daily": "R/P1D",
    "weekly": "R/P1W",
    "fortnightly": "R/P0.5M",
    "monthly": "R/P1M",
    "quarterly": "R/P3M",
    "biannually": "R/P0.5Y",
    "annually": "R/P1Y",
    "asNeeded": "irregular",
    "irregular": "irregular",
    "notPlanned": "irregular",
    "unknown": "irregular",
}
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
    """accessLevel, rights and license from the resource constraints (POD v1.1 crosswalk rules)."""
    codes, classes, texts, others = [], [], [], []
    for constraint in walk(ident, "resourceConstraints/*"):
        codes += [c for node in children(constraint, "accessConstraints") if (c := code(node))]
        classes += [c for node in children(constraint, "classification") if (c := code(node))]
        found = values(constraint, "otherConstraints")
        others += found
        texts += found + values(constraint, "useLimitation")
        texts += [h for node in descendants(constraint, "Anchor") if (h := href(node))]
        texts += [v for node in descendants(constraint, "linkage") if (v := value(node))]
    out: dict = {}
    # A classification word written as an access constraint (topSecret) still means non-public.
    if (NON_PUBLIC_ACCESS | NON_PUBLIC_CLASSES) & set(codes) or NON_PUBLIC_CLASSES & set(classes):
        out["accessLevel"] = "non-public"
    elif RESTRICTED_PUBLIC_ACCESS & set(codes):
        out["accessLevel"] = "restricted public"
    if "accessLevel" in out:
        rights = ", ".join(dict.fromkeys(codes + classes + [t for t in others if "://" not in t]))
        if len(rights) > 255:
            warnings.append(f"rights: {len(rights)} characters of constraints cut to 255")
            rights = rights[:254] + "…"
        out["rights"] = rights
    license_url = common.license_url(texts)
    if license_url:
        out["license"] = license_url
    return out


def spatial_and_temporal(ident, warnings: list[str]) -> dict:
    """spatial (first bounding box, W,S,E,N) and temporal (earliest begin / latest end)."""
    out: dict = {}
    boxes = descendants(ident, "EX_GeographicBoundingBox")
    if boxes:
        corners = [
            first_value(boxes[0], name)
            for name in (
                "westBoundLongitude",
                "southBoundLatitude",
                "eastBoundLongitude",
                "northBoundLatitude",
            )
        ]
        box = common.bounding_box(*corners, warnings)
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
    return FREQUENCIES.get(found or "")


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
    """The candidates that look like URLs, deduplicated; others are reported."""
    out = []
    for text in candidates:
        if "://" in text or text.startswith("www."):
            if text not in out:
                out.append(text)
        else:
            warnings.append(f"{field}: {text!r} is not a URL; left out")
    return out


def online_resources(
    distribution_info, formats: list[str], warnings: list[str]
) -> tuple[list[dict], list[str]]:
    """(distributions, information URLs) from every MD_Distribution's digital transfer options."""
    items: list[dict] = []
    information: list[str] = []
    for dist in children(distribution_info, "MD_Distribution"):
        names = (
            formats
            or values(dist, "distributionFormat/MD_Format/name")
            or values(dist, "distributionFormat/MD_Format/formatSpecificationCitation/CI_Citation/title")
        )
        groups = [(walk(dist, "transferOptions/MD_DigitalTransferOptions/onLine/CI_OnlineResource"), names)]
        for distributor in walk(dist, "distributor/MD_Distributor"):
            own = values(distributor, "distributorFormat/MD_Format/name")
            found = walk(
                distributor, "distributorTransferOptions/MD_DigitalTransferOptions/onLine/CI_OnlineResource"
            )
            groups.append((found, own or names))
        for resources, fmt_names in groups:
            for resource in resources:
                url = first_value(resource, "linkage")
                if not url:
                    continue
                function = code(first(resource, "function")) or ""
                protocol = (first_value(resource, "protocol") or "").upper()
                if function == "information":
                    information.append(url)
                download = (
                    function == "download"
                    or "DOWNLOAD" in protocol
                    or (not function and common.media_type_of(url) not in (None, "application/xml"))
                )
                item = common.distribution(
                    url,
                    first_value(resource, "name"),
                    first_value(resource, "description"),
                    fmt_names[0] if len(fmt_names) == 1 else None,
                    download,
                    warnings,
                )
                common.add_distribution(items, item)
    return items, information
