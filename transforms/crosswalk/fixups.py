"""Fix-ups: the explicit step that fills gaps so a harvested record can be published.

data.gov fills some gaps in what publishers send. Each fix-up here is named, documented,
switched per source (``Source.fixups``, e.g. ``{"default_contact": false}``), and leaves a
warning on the record (``fixup: contactPoint missing; filled with default``) so the harvest
report tells publishers what their records lack. Fix-ups run after the crosswalk and
normalisation; they never overwrite a value the publisher gave.
"""

import re

DEFAULT_CONTACT = {
    "@type": "vcard:Contact",
    "fn": "Data.gov Support",
    "hasEmail": "mailto:datagovhelp@gsa.gov",
}
GEOSPATIAL = "geospatial"
_HOST_LIKE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?([/?#]|$)")

# name -> (description, applies to "xml" and/or "json" records)
FIXUPS = {
    "default_contact": ("contactPoint missing or without name/email: fill from the default contact", {"xml"}),
    "default_publisher": ("publisher missing: use the source's organization", {"xml"}),
    "default_access_level": ("accessLevel missing: 'public' (ISO/FGDC have no such field)", {"xml"}),
    "default_keyword": ("no keywords: 'geospatial' (POD v1.1 CSDGM crosswalk)", {"xml"}),
    "geospatial_theme": ("add 'geospatial' to theme (POD asks it of geospatial records)", {"xml"}),
    "landing_page_distribution": ("add the landing page as a distribution when not already one", {"xml"}),
    "url_scheme": ("prefix https:// to URLs written without a scheme (www.agency.gov/...)", {"xml", "json"}),
}


def validate_fixup_options(options) -> list[str]:
    """Problems with a source's fix-up options: unknown names and bad values (empty when fine)."""
    if not isinstance(options, dict):
        return ["fixups must be a mapping of fix-up name to true/false"]
    problems = []
    for name, setting in options.items():
        if name not in FIXUPS:
            problems.append(f"unknown fix-up {name!r}; known: {', '.join(sorted(FIXUPS))}")
        elif name == "default_contact" and isinstance(setting, dict):
            extra = set(setting) - {"fn", "hasEmail"}
            if extra or not all(isinstance(v, str) and v.strip() for v in setting.values()):
                problems.append(
                    "fix-up 'default_contact' takes true/false or {fn: name, hasEmail: mailto:...}"
                )
        elif not isinstance(setting, bool):
            problems.append(f"fix-up {name!r} must be true or false, found {setting!r}")
    return problems


def _enabled(options: dict, name: str, kind: str) -> bool:
    return kind in FIXUPS[name][1] and options.get(name, True) is not False


def _with_scheme(url, field: str, warnings: list[str]):
    if isinstance(url, str) and "://" not in url and _HOST_LIKE.match(url):
        warnings.append(f"fixup: {field} {url!r} has no scheme; filled with https://")
        return f"https://{url}"
    return url


def _fix_urls(dataset: dict, warnings: list[str]) -> None:
    for field in ("landingPage", "license", "describedBy", "conformsTo"):
        if field in dataset:
            dataset[field] = _with_scheme(dataset[field], field, warnings)
    if isinstance(dataset.get("references"), list):
        dataset["references"] = [_with_scheme(u, "references", warnings) for u in dataset["references"]]
    for item in dataset.get("distribution") or []:
        if isinstance(item, dict):
            for field in ("downloadURL", "accessURL"):
                if field in item:
                    item[field] = _with_scheme(item[field], f"distribution.{field}", warnings)


def _fix_contact(dataset: dict, setting, warnings: list[str]) -> None:
    default = {**DEFAULT_CONTACT, **setting} if isinstance(setting, dict) else DEFAULT_CONTACT
    contact = dataset.get("contactPoint")
    if not isinstance(contact, dict):
        dataset["contactPoint"] = dict(default)
        warnings.append("fixup: contactPoint missing; filled with default")
        return
    for field in ("fn", "hasEmail"):
        if not contact.get(field):
            contact[field] = default[field]
            warnings.append(f"fixup: contactPoint.{field} missing; filled with default")


def apply_fixups(dataset: dict, kind: str, options: dict, organization: str | None = None) -> list[str]:
    """Apply the enabled fix-ups in place to a dataset from an "xml" or "json" record; return warnings."""
    warnings: list[str] = []
    on = {name for name in FIXUPS if _enabled(options, name, kind)}
    if "url_scheme" in on:
        _fix_urls(dataset, warnings)
    if "default_contact" in on:
        _fix_contact(dataset, options.get("default_contact"), warnings)
    if "default_publisher" in on and not dataset.get("publisher") and organization:
        dataset["publisher"] = {"@type": "org:Organization", "name": organization}
        warnings.append("fixup: publisher missing; filled with the source's organization")
    if "default_access_level" in on and not dataset.get("accessLevel"):
        dataset["accessLevel"] = "public"
        warnings.append("fixup: accessLevel missing; filled with 'public'")
    if "default_keyword" in on and not dataset.get("keyword"):
        dataset["keyword"] = [GEOSPATIAL]
        warnings.append("fixup: keyword missing; filled with 'geospatial'")
    if "geospatial_theme" in on:
        themes = dataset.get("theme") if isinstance(dataset.get("theme"), list) else []
        if GEOSPATIAL not in themes:
            dataset["theme"] = [*themes, GEOSPATIAL]
            warnings.append("fixup: theme lacks 'geospatial'; added")
    landing = dataset.get("landingPage")
    if "landing_page_distribution" in on and isinstance(landing, str) and landing:
        items = dataset.get("distribution") if isinstance(dataset.get("distribution"), list) else []
        known = {i.get("accessURL") or i.get("downloadURL") for i in items if isinstance(i, dict)}
        if landing not in known:
            dataset["distribution"] = [
                *items,
                {"@type": "dcat:Distribution", "accessURL": landing, "title": "Landing page"},
            ]
            warnings.append("fixup: landingPage is not a distribution; added as one")
    return warnings
