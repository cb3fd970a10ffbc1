"""Reading the parts of an ISO 19115 identification that 19139 (gmd/gmi) and 19115-3 (mdb) share.

Both standards name these elements alike (MD_Keywords, CI_Date, EX_Extent, MD_LegalConstraints,
MD_DigitalTransferOptions), so one reader serves both; the crosswalks add what differs.
"""

import re

from transforms.crosswalk import common, dates, licences
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
from transforms.reference import reference_map, reference_set

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
# ISO 3166 alpha-3 regions US records write after their language ("eng; USA"), as BCP 47 regions.
REGIONS = {"usa": "US", "can": "CA", "mex": "MX", "gbr": "GB", "fra": "FR", "deu": "DE", "esp": "ES"}
LANGUAGE_NAMES = {"english": "en", "spanish": "es", "french": "fr", "german": "de"}
_LANGUAGE_PARTS = re.compile(r"[;,_\s-]+")
_PROGRAM = re.compile(r"^[0-9]{3}:[0-9]{3}$")
BOX_CORNERS = ("westBoundLongitude", "southBoundLatitude", "eastBoundLongitude", "northBoundLatitude")
# Citation date types by role: ISO's codes and the extension names publishers write for them
# (ERDDAP's "issued", ScienceBase's "Publication Date"), compared without case, spaces or punctuation.
DATE_ROLES = {
    **dict.fromkeys(
        ("publication", "publicationdate", "published", "issued", "released", "distribution"), "publication"
    ),
    **dict.fromkeys(("creation", "creationdate", "created"), "creation"),
    **dict.fromkeys(
        (
            "revision",
            "revisiondate",
            "revised",
            "lastrevision",
            "lastrevised",
            "lastupdate",
            "lastupdated",
            "updated",
            "modified",
            "lastmodified",
        ),
        "revision",
    ),
}


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


def date_role(date_type: str | None) -> str:
    """publication, creation or revision for a citation date type (code or extension name), else other."""
    return DATE_ROLES.get(re.sub(r"[^a-z]", "", (date_type or "").lower()), "other")


def citation_dates(citation, warnings: list[str]) -> dict[str, list[str]]:
    """Citation dates by role (date_role), each normalised to ISO 8601; unreadable dates skipped and
    impossible ones reported under the field their role feeds."""
    by_role: dict[str, list[str]] = {}
    for node in walk(citation, "date/CI_Date"):
        role = date_role(code(first(node, "dateType")))
        field = "issued" if role in ("publication", "creation") else "modified"
        when = dates.read_date(first_value(node, "date"), field, warnings)
        if when:
            by_role.setdefault(role, []).append(when)
    return by_role


def modified_and_issued(
    by_role: dict[str, list[str]], stamp: str | None, warnings: list[str]
) -> tuple[str | None, str | None]:
    """modified: the latest revision date, else the latest citation date, else the metadata date stamp;
    issued: the earliest publication date, else the earliest creation date."""
    every = [d for found in by_role.values() for d in found]
    revised = by_role.get("revision") or every
    modified = max(revised) if revised else dates.read_date(stamp, "modified", warnings)
    issued = by_role.get("publication") or by_role.get("creation") or []
    return modified, (min(issued) if issued else None)


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
    licence = licences.licence_url(statements + texts, restricted="accessLevel" in out)
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
    temporal = dates.temporal_range(starts, ends, warnings)
    if temporal:
        out["temporal"] = temporal
    return out


def frequency(ident) -> str | None:
    """accrualPeriodicity from the maintenance frequency code."""
    found = code(first(ident, "resourceMaintenance/MD_MaintenanceInformation/maintenanceAndUpdateFrequency"))
    return frequency_code(found)  # the one frequency table every path shares


def language_tag(text: str) -> str | None:
    """The BCP 47 tag of an ISO language value ('eng; USA' -> en-US, 'eng' -> en, 'English' -> en),
    else None."""
    primary, *rest = [part.lower() for part in _LANGUAGE_PARTS.split(text.strip()) if part] or [""]
    primary = LANGUAGE_NAMES.get(primary, primary)
    if len(primary) == 3 and primary.isalpha():
        primary = reference_map("iso639_2_to_1").get(primary, primary)  # 639-2 codes without a 639-1 stay
    elif primary not in reference_set("iso639_1"):
        return None
    region = rest[0] if len(rest) == 1 else ""
    if region not in REGIONS and not (len(region) == 2 and region.isalpha()):
        region = region if len(region) == 3 and region.isdigit() else ""  # UN M.49 (es-419) as written
    region = REGIONS.get(region, region.upper())
    return f"{primary}-{region}" if region else primary


def languages(found: list[str], warnings: list[str]) -> list[str]:
    """BCP 47 tags from ISO language values; values that name no language are reported, not guessed."""
    out = []
    for text in found:
        tag = language_tag(text)
        if tag is None:
            warnings.append(f"language: {text!r} is not a language code; left out")
        elif tag not in out:
            out.append(tag)
    return out


def themes(found: list[str]) -> list[str]:
    """theme: ISO topic categories in the code's own form (Biota -> biota); other values as written."""
    return list(dict.fromkeys(common.topic_category(text) or text for text in found))


def urls(candidates: list[str], field: str, warnings: list[str]) -> list[str]:
    """Every URL the candidates hold (a link field may join several), deduplicated; others are reported."""
    out: list[str] = []
    for text in candidates:
        found = common.urls_in(text)
        if not found:
            warnings.append(f"{field}: {text!r} is not a URL; left out")
        out += [url for url in found if url not in out]
    return out
