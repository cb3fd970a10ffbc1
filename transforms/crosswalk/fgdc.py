"""FGDC CSDGM records to DCAT-US 1.1 datasets (POD v1.1 CSDGM crosswalk).

The result has no fix-ups applied (no default theme, access level or contact); see transforms.crosswalk.fixups.
"""

from transforms.crosswalk import common
from transforms.crosswalk.xml_kinds import first, first_value, values, walk

_UNKNOWN_DATES = {"unknown", "unpublished", "present", "not complete", "none"}
_NO_CONSTRAINT = {"none", "none.", "no restrictions", "n/a"}


def _date(text: str | None) -> str | None:
    """An FGDC calendar date (YYYYMMDD, YYYYMM, YYYY or already dashed) as ISO 8601."""
    if not text or text.strip().lower() in _UNKNOWN_DATES:
        return None
    return common.iso_date(text.strip())


def _contact(cntinfo, warnings: list[str]) -> dict | None:
    """contactPoint from a cntinfo: 'organisation, person' as the crosswalk compiles it, and the email."""
    if cntinfo is None:
        return None
    for holder in ("cntorgp", "cntperp"):
        org = first_value(cntinfo, f"{holder}/cntorg")
        person = first_value(cntinfo, f"{holder}/cntper")
        names = [n for n in (org, person) if n]
        if names:
            point = {"@type": "vcard:Contact", "fn": ", ".join(names)}
            email = common.mailto(first_value(cntinfo, "cntemail"), warnings)
            if email:
                point["hasEmail"] = email
            return point
    return None


def _publisher(root, citeinfo) -> dict | None:
    """publisher: citation publisher, else the distributor (organisation, person), else the originator."""
    name = first_value(citeinfo, "pubinfo/publish")
    if not name:
        distributor = first(root, "distinfo/distrib/cntinfo")
        for holder in ("cntorgp", "cntperp"):
            names = (
                [
                    n
                    for n in (
                        first_value(distributor, f"{holder}/cntorg"),
                        first_value(distributor, f"{holder}/cntper"),
                    )
                    if n
                ]
                if distributor is not None
                else []
            )
            if names:
                name = ", ".join(names)
                break
    name = name or first_value(citeinfo, "origin")
    return {"@type": "org:Organization", "name": name} if name else None


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
    return common.temporal_range([_date(s) or s for s in starts], [_date(e) or e for e in ends], warnings)


def _distributions(root, warnings: list[str]) -> list[dict]:
    """One distribution per online network resource of each standard order's digital form."""
    items: list[dict] = []
    for order in walk(root, "distinfo/stdorder"):
        for form in walk(order, "digform"):
            fmt = first_value(form, "digtinfo/formname")
            for url in values(form, "digtopt/onlinopt/computer/networka/networkr"):
                item = common.distribution(
                    url, None, None, fmt, common.media_type_of(url) is not None, warnings
                )
                common.add_distribution(items, item)
    return items


def fgdc_to_dcat(root) -> tuple[dict, list[str], None]:
    """Crosswalk a parsed FGDC record to (DCAT-US dataset without fix-ups, warnings, no fileIdentifier)."""
    warnings: list[str] = []
    idinfo = first(root, "idinfo")
    citeinfo = first(idinfo, "citation/citeinfo")
    words: list[str] = []
    for path in ("theme/themekey", "place/placekey", "stratum/stratkey", "temporal/tempkey"):
        words += (
            [w for w in values(first(idinfo, "keywords"), path) if w not in words]
            if idinfo is not None
            else []
        )
    pubdate = first_value(citeinfo, "pubdate")
    modified = _date(pubdate) or _date(first_value(root, "metainfo/metd"))
    if pubdate and not _date(pubdate):
        warnings.append(f"modified: publication date {pubdate!r} is not a date; used the metadata date")
    dataset: dict = {
        "@type": "dcat:Dataset",
        "title": first_value(citeinfo, "title"),
        "description": first_value(idinfo, "descript/abstract"),
        "keyword": words,
        "modified": modified,
        "publisher": _publisher(root, citeinfo),
        "contactPoint": (
            _contact(first(idinfo, "ptcontac/cntinfo"), warnings)
            or _contact(first(root, "metainfo/metc/cntinfo"), warnings)
        ),
    }
    box = first(idinfo, "spdom/bounding")
    if box is not None:
        dataset["spatial"] = common.bounding_box(
            *(first_value(box, name) for name in ("westbc", "southbc", "eastbc", "northbc")), warnings
        )
    dataset["temporal"] = _temporal(idinfo, warnings) if idinfo is not None else None
    access = first_value(idinfo, "accconst")
    if access and access.strip().lower() not in _NO_CONSTRAINT:
        dataset["rights"] = access if len(access) <= 255 else access[:254] + "…"
    use = values(idinfo, "useconst") + values(idinfo, "accconst")
    dataset["license"] = common.license_url(use)
    links = values(citeinfo, "onlink")
    dataset["landingPage"] = next((u for u in links if "://" in u or u.startswith("www.")), None)
    distributions = _distributions(root, warnings)
    for url in links[1:]:
        common.add_distribution(distributions, common.distribution(url, None, None, None, False, warnings))
    dataset["distribution"] = distributions or None
    return {key: item for key, item in dataset.items() if item not in (None, [], "")}, warnings, None
