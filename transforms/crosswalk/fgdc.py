"""FGDC CSDGM records to DCAT-US 1.1 datasets (POD v1.1 CSDGM crosswalk, and what it leaves out).

The result has no fix-ups applied (no default theme, access level or contact); see transforms.crosswalk.fixups.
"""

from transforms.crosswalk import common, dates, licences, parties
from transforms.crosswalk.fixups import frequency_code
from transforms.crosswalk.placeholders import published
from transforms.crosswalk.xml_kinds import first, first_value, values, walk

BOX_CORNERS = ("westbc", "southbc", "eastbc", "northbc")  # spdom/bounding, in W,S,E,N order


def _party(cntinfo, role: str) -> dict:
    """A cntinfo as a party: organisation and person of cntorgp (else cntperp), position and email."""
    org = person = None
    for holder in ("cntorgp", "cntperp"):
        org, person = first_value(cntinfo, f"{holder}/cntorg"), first_value(cntinfo, f"{holder}/cntper")
        if org or person:
            break
    return parties.party(role, person, org, first_value(cntinfo, "cntpos"), first_value(cntinfo, "cntemail"))


def _compiled(party: dict) -> str | None:
    """'organisation, person' as the POD crosswalk compiles a CSDGM contact; else the position."""
    return ", ".join(n for n in (party["organisation"], party["person"]) if n) or party["position"]


def _parties(root, idinfo, citeinfo, warnings: list[str]) -> dict:
    """publisher (POD: publisher, distributor, originator; then point of contact, metadata contact) and
    contactPoint (POD: point of contact, metadata contact; then the distributor), the first with an email."""
    points = [_party(c, "pointOfContact") for c in walk(idinfo, "ptcontac/cntinfo")]
    metadata = [_party(c, "pointOfContact") for c in walk(root, "metainfo/metc/cntinfo")]
    distributors = [_party(c, "distributor") for c in walk(root, "distinfo/distrib/cntinfo")]
    names = [parties.given(first_value(citeinfo, "pubinfo/publish"))] + [_compiled(p) for p in distributors]
    names += [parties.given(first_value(citeinfo, "origin"))] + [p["organisation"] for p in points + metadata]
    name = next((n for n in names if n), None)
    return {
        "publisher": {"@type": "org:Organization", "name": name} if name else None,
        "contactPoint": parties.contact_point(points + metadata + distributors, _compiled, warnings),
    }


def _temporal(idinfo, warnings: list[str]) -> str | None:
    """temporal: range of dates, else the lowest and highest of multiple dates, else the single date."""
    info = first(idinfo, "timeperd/timeinfo")
    if info is None:
        return None
    starts = values(info, "rngdates/begdate")
    ends = values(info, "rngdates/enddate")
    if not starts and not ends:
        singles = values(info, "mdattim/sngdate/caldate") + values(info, "sngdate/caldate")
        starts, ends = singles, singles
    return dates.temporal_range(starts, ends, warnings)  # FGDC dates (YYYYMMDD, ...) read as ISO ones


def _themes(idinfo) -> list[str]:
    """theme: ISO 19115 topic categories written as theme keywords of an ISO topic category thesaurus."""
    found: list[str] = []
    for block in walk(idinfo, "keywords/theme"):
        thesaurus = (first_value(block, "themekt") or "").lower()
        if "19115" in thesaurus or "topic categor" in thesaurus or thesaurus == "iso":
            for word in values(block, "themekey"):
                category = common.topic_category(word)
                if category and category not in found:
                    found.append(category)
    return found


def _distributions(root, links: list[str], warnings: list[str]) -> list[dict]:
    """One distribution per online network resource of each digital form (titled with the distribution's
    resource description), then the citation's further online links."""
    items: list[dict] = []
    for info in walk(root, "distinfo"):
        title = first_value(info, "resdesc")
        for form in walk(info, "stdorder/digform"):
            fmt = first_value(form, "digtinfo/formname")
            about = first_value(form, "digtinfo/formcont")
            for text in values(form, "digtopt/onlinopt/computer/networka/networkr"):
                for url in common.urls_in(text) or [text]:
                    download = common.media_type_of(url) is not None
                    item = common.distribution(url, title, about, [fmt] if fmt else [], download, warnings)
                    common.add_distribution(items, item)
    for url in links:
        common.add_distribution(items, common.distribution(url, None, None, [], False, warnings))
    return items


def _access(idinfo, warnings: list[str]) -> dict:
    """rights (access then use constraints, 'none' left out) and the licence the constraints name."""
    access, use = values(idinfo, "accconst"), values(idinfo, "useconst")
    licence = licences.licence_url(use + access)  # FGDC has no access codes: the texts say it all
    return {"rights": common.rights([t for t in access + use if t != licence], warnings), "license": licence}


def _links(citeinfo, path: str, warnings: list[str]) -> list[str]:
    """Every URL of the online links at `path`; a link with no URL in it is reported."""
    found: list[str] = []
    for text in values(citeinfo, path):
        urls = common.urls_in(text)
        if not urls:
            warnings.append(f"{path.rpartition('/')[2]}: {text!r} is not a URL; left out")
        found += [url for url in urls if url not in found]
    return found


def fgdc_to_dcat(root) -> tuple[dict, list[str], None]:
    """Crosswalk a parsed FGDC record to (DCAT-US dataset without fix-ups, warnings, no fileIdentifier)."""
    warnings: list[str] = []
    idinfo = first(root, "idinfo")
    citeinfo = first(idinfo, "citation/citeinfo")
    keywords = first(idinfo, "keywords")
    paths = ("theme/themekey", "place/placekey", "stratum/stratkey", "temporal/tempkey")
    words = list(dict.fromkeys(w for path in paths for w in values(keywords, path)))  # unique, as POD expects
    pubdate = first_value(citeinfo, "pubdate")
    # dates.read_date reads FGDC calendar dates (YYYYMMDD, YYYYMM, YYYY) and none of "unknown", "present", ...
    issued = dates.read_date(pubdate, "issued", warnings)
    modified = issued or dates.read_date(first_value(root, "metainfo/metd"), "modified", warnings)
    if pubdate and modified and not issued and not dates.date_problem(pubdate):
        warnings.append(f"modified: publication date {pubdate!r} is not a date; used the metadata date")
    dataset: dict = {
        "@type": "dcat:Dataset",
        "title": first_value(citeinfo, "title"),
        "description": first_value(idinfo, "descript/abstract"),
        "keyword": words,
        "modified": modified,
        "issued": issued,
        **_parties(root, idinfo, citeinfo, warnings),
    }
    box = first(idinfo, "spdom/bounding")
    if box is not None:
        dataset["spatial"] = common.bounding_box(*(first_value(box, name) for name in BOX_CORNERS), warnings)
    dataset["temporal"] = _temporal(idinfo, warnings) if idinfo is not None else None
    # idinfo/status/update words (Weekly, As needed): the one frequency table every path shares.
    dataset["accrualPeriodicity"] = frequency_code(first_value(idinfo, "status/update"))
    dataset["theme"] = _themes(idinfo)
    dataset.update(_access(idinfo, warnings))
    links = _links(citeinfo, "onlink", warnings)
    dataset["landingPage"] = links[0] if links else None
    dataset["distribution"] = _distributions(root, links[1:], warnings) or None
    # Cross references and the larger work are related documents; the larger work is no catalog record,
    # so it never fills isPartOf.
    related = _links(idinfo, "crossref/citeinfo/onlink", warnings)
    related += _links(citeinfo, "lworkcit/citeinfo/onlink", warnings)
    dataset["references"] = list(dict.fromkeys(related)) or None
    return published(dataset, warnings), warnings, None
