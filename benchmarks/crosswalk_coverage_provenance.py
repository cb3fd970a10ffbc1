"""Whether what the crosswalk published for an XML record is in the record: every value, by field.

The crosswalk may reformat a value (dates as ISO 8601, a topic category in its code's case, a
language as BCP 47, sentences of rights joined) but never add one. Each published value is looked
up in the record's text (every element's text and every attribute, whitespace collapsed, case
ignored) in the form the crosswalk derives it from:

- text and links: as written (a link the url_scheme fix-up completed, without its https://);
- rights: every word; format: as written; theme: as written (a plural or spacing aside);
- dates and temporal: the digits of each date (2017-02-14 is found as 20170214 or 2017-02-14);
- spatial: each coordinate; language: its primary subtag or the ISO 639-2 code it comes from;
- license: the URL, or a licence name in the record's text that names that URL;
- contactPoint fn and publisher name: each part FGDC's "organisation, person" joins.

Values a fix-up filled (a ``fixup: <field> missing`` warning, theme "geospatial", the landing page
added as a distribution) and the record's URL as its identifier are defaults by design and not
looked up; neither are accessLevel, accrualPeriodicity and mediaType, which are
vocabularies the crosswalk maps codes and extensions to.
"""

import re

from transforms.crosswalk import licences
from transforms.reference import reference_map

_LINK_FIELDS = ("landingPage", "describedBy", "isPartOf", "identifier")
_DATE_DIGITS = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
_WORD = re.compile(r"\w+")


def record_text(root) -> str:
    """Every element text and attribute value of a parsed record, whitespace collapsed, lowercased."""
    parts = []
    for node in root.iter():
        if isinstance(node.tag, str):
            parts += [node.text or "", *node.attrib.values()]
    return "\n".join(" ".join(part.split()) for part in parts if part.strip()).lower()


def _has(text: str, value: str) -> bool:
    value = " ".join(value.split()).lower()
    return value in text or value.removeprefix("https://") in text


def _date_in(digits_only: str, value: str) -> bool:
    match = _DATE_DIGITS.match(value)
    return match is not None and "".join(part for part in match.groups() if part) in digits_only


def _language_in(text: str, tag: str) -> bool:
    primary = tag.split("-")[0].lower()
    sources = {primary} | {three for three, two in reference_map("iso639_2_to_1").items() if two == primary}
    words = set(_WORD.findall(text))
    return bool(sources & words) or primary == "en" and "english" in words


def _licence_in(text: str, url: str) -> bool:
    return _has(text, url) or licences.licence_url(text.splitlines()) == url


def absent_values(dataset: dict, text: str, defaulted: set[str]) -> list[str]:
    """'field: value' for each published value the record's text (record_text) does not hold.

    `defaulted` names the fields a default filled (and "landingPage distribution" when the
    landing_page_distribution fix-up added one)."""
    digits_only = re.sub(r"\D", "", text)
    words = set(_WORD.findall(text))
    checks: list[tuple[str, str, bool]] = []
    for key in ("title", "description", *_LINK_FIELDS):
        if isinstance(dataset.get(key), str) and key not in defaulted:
            checks.append((key, dataset[key], _has(text, dataset[key])))
    for key in ("keyword", "references", "programCode"):
        if key not in defaulted:
            checks += [(key, v, _has(text, v)) for v in dataset.get(key) or []]
    checks += [
        ("theme", v, "".join(v.split()).lower() in text.replace(" ", ""))
        for v in dataset.get("theme") or []
        if v != "geospatial"
    ]
    for key in ("modified", "issued"):
        if dataset.get(key) and key not in defaulted:
            checks.append((key, dataset[key], _date_in(digits_only, dataset[key])))
    for side in (dataset.get("temporal") or "").split("/") if dataset.get("temporal") else []:
        checks.append(("temporal", side, _date_in(digits_only, side)))
    if dataset.get("spatial"):
        checks += [("spatial", c, c.strip().lower() in text) for c in dataset["spatial"].split(",")]
    checks += [("language", v, _language_in(text, v)) for v in dataset.get("language") or []]
    if dataset.get("rights"):
        missing = [w for w in _WORD.findall(dataset["rights"].lower()) if w not in words]
        checks.append(("rights", " ".join(missing) or dataset["rights"], not missing))
    if dataset.get("license"):
        checks.append(("license", dataset["license"], _licence_in(text, dataset["license"])))
    for key, part in (("publisher", "name"), ("contactPoint", "fn")):
        if isinstance(dataset.get(key), dict) and key not in defaulted and dataset[key].get(part):
            names = dataset[key][part].split(", ")  # FGDC's compiled "organisation, person"
            checks += [(f"{key}.{part}", n, _has(text, n)) for n in names]
    for item in dataset.get("distribution") or []:
        if "landingPage distribution" in defaulted and item.get("accessURL") == dataset.get("landingPage"):
            continue
        for part in ("downloadURL", "accessURL", "title", "description", "format"):
            if isinstance(item.get(part), str):
                checks.append((f"distribution.{part}", item[part], _has(text, item[part])))
    return [f"{name}: {value}" for name, value, found in checks if not found]
