"""Fix-ups: the explicit step that fills gaps so a harvested record can be published.

data.gov fills some gaps in what publishers send. Each fix-up here is named, documented,
switched per source (``Source.fixups``, e.g. ``{"default_contact": false}``), and leaves a
warning on the record (``fixup: contactPoint missing; filled with default``) so the harvest
report tells publishers what their records lack. Fix-ups run after the crosswalk and
normalisation; they never overwrite a value the publisher gave.
"""

import re

from transforms.registry import FIXUPS

DEFAULT_CONTACT = {
    "@type": "vcard:Contact",
    "fn": "Data.gov Support",
    "hasEmail": "mailto:datagovhelp@gsa.gov",
}
GEOSPATIAL = "geospatial"
_HOST_LIKE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?([/?#]|$)")


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
