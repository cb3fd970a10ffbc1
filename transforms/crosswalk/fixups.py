"""Fix-ups: the explicit step that fills gaps and mends values so a harvested record can be published.

data.gov fills some gaps in what publishers send. Each fix-up here is named, documented,
switched per source (``Source.fixups``, e.g. ``{"default_contact": false}``), and leaves a
warning on the record (``fixup: contactPoint missing; filled with default``) so the harvest
report tells publishers what their records lack. Fix-ups run after the crosswalk and
normalisation, on data.json and XML records alike (docs/CROSSWALK.md, "Fix-up policy"): a default
never overwrites a value the publisher gave, and a value the schema refuses is rewritten only when
its meaning is unambiguous (``Weekly`` is ``R/P1W``), or left out when an optional field cannot
hold it; each warning names the field and the value as written.
"""

import re

from transforms.crosswalk.common import RIGHTS_LIMIT, bounded, is_url
from transforms.isolation import bounded as bounded_text
from transforms.registry import FIXUPS

DEFAULT_CONTACT = {
    "@type": "vcard:Contact",
    "fn": "Data.gov Support",
    "hasEmail": "mailto:datagovhelp@gsa.gov",
}
GEOSPATIAL = "geospatial"
_HOST_LIKE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?([/?#]|$)")
# Frequency words and codes with one meaning, keyed as frequency_code spells them (lower case, no
# spaces, hyphens or underscores): the FGDC update words, the ISO 19115 MD_MaintenanceFrequencyCode
# codes and the words data.json publishers write. "Biweekly", "bimonthly" and "semimonthly" mean
# two different things each and are not here. The codes that say there is no schedule map to
# "irregular", as the POD v1.1 crosswalk and data.gov map them.
FREQUENCY_WORDS = {
    **dict.fromkeys(("continual", "continually", "continuous", "continuously"), "R/PT1S"),
    "hourly": "R/PT1H",
    "daily": "R/P1D",
    "weekly": "R/P1W",
    "fortnightly": "R/P2W",
    "monthly": "R/P1M",
    "quarterly": "R/P3M",
    **dict.fromkeys(("semiannual", "semiannually", "biannually"), "R/P6M"),  # ISO's biannually: twice a year
    **dict.fromkeys(("annual", "annually", "yearly"), "R/P1Y"),
    **dict.fromkeys(("biennial", "biennially"), "R/P2Y"),
    "triennial": "R/P3Y",
    "decennial": "R/P10Y",
    **dict.fromkeys(("irregular", "asneeded", "notplanned", "noneplanned", "unknown"), "irregular"),
}
_WORD_SEPARATORS = re.compile(r"[\s_-]+")
# A range of two years ("2023-2024", "2023 – 2024"): only the separator is wrong.
_YEAR_RANGE = re.compile(r"^([0-9]{4})\s*[-\u2013\u2014]\s*([0-9]{4})$")
_LONGEST_WORD = 40  # longer text names no frequency: not scanned
_SHOWN_CHARS = 120  # of a value quoted in a warning


def frequency_code(text) -> str | None:
    """The DCAT-US 1.1 accrualPeriodicity a frequency word or code names ("Weekly", "asNeeded",
    "As needed"), or None when it names none with one meaning."""
    if not isinstance(text, str) or len(text) > _LONGEST_WORD:
        return None
    return FREQUENCY_WORDS.get(_WORD_SEPARATORS.sub("", text).lower())


def fix_frequency(dataset: dict, warnings: list[str]) -> None:
    """accrualPeriodicity written as a word becomes the ISO 8601 duration (or "irregular") it names."""
    given = dataset.get("accrualPeriodicity")
    code = frequency_code(given)
    if code is not None and code != given:
        dataset["accrualPeriodicity"] = code
        warnings.append(
            f"fixup: accrualPeriodicity {given!r} is not an ISO 8601 duration; written as {code!r}"
        )


def fix_year_range(dataset: dict, warnings: list[str]) -> None:
    """temporal written as a range of years ("2023-2024") becomes the interval "2023/2024"."""
    given = dataset.get("temporal")
    match = _YEAR_RANGE.match(given) if isinstance(given, str) else None
    if match and match.group(1) <= match.group(2):  # a range running backwards says two things
        dataset["temporal"] = f"{match.group(1)}/{match.group(2)}"
        warnings.append(
            f"fixup: temporal {given!r} is not an ISO 8601 interval; the years written as start/end"
        )


def drop_text_described_by(dataset: dict, warnings: list[str]) -> None:
    """describedBy (optional) holding text that is no URL cannot be valid: left out, its text in the warning."""
    given = dataset.get("describedBy")
    if isinstance(given, str) and not is_url(given):
        del dataset["describedBy"]
        warnings.append(f"fixup: describedBy {bounded_text(given, _SHOWN_CHARS)!r} is not a URL; left out")


def fit_rights(dataset: dict, warnings: list[str]) -> None:
    """rights longer than the schema's 255 characters is cut at a word, ends with '…', and the
    warning names its original length (``rights: 599 characters cut to 255``)."""
    given = dataset.get("rights")
    if isinstance(given, str):
        dataset["rights"] = bounded(given, RIGHTS_LIMIT, "rights", warnings)


# The value rules in the order they run (after url_scheme, so "www." links are links).
VALUE_RULES = {
    "frequency_words": fix_frequency,
    "year_range": fix_year_range,
    "text_described_by": drop_text_described_by,
    "rights_length": fit_rights,
}


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


def apply_fixups(
    dataset: dict, kind: str, options: dict, organization: str | None = None, native_3_0: bool = False
) -> list[str]:
    """Apply the enabled fix-ups in place to a dataset from an "xml" or "json" record; return warnings.

    ``native_3_0``: the record came from a DCAT-US 3.0 catalog, whose values follow 3.0's rules
    (``annual`` is a valid 3.0 frequency): the value rules, written for 1.1, leave it alone.
    """
    warnings: list[str] = []
    on = {name for name in FIXUPS if _enabled(options, name, kind)}
    if "url_scheme" in on:
        _fix_urls(dataset, warnings)
    for name, rule in VALUE_RULES.items():
        if name in on and not native_3_0:
            rule(dataset, warnings)
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
