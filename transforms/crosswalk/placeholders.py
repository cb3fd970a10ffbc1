"""Values that stand for no value, recognised once for every field of the ISO and FGDC crosswalks.

Publishers fill required elements with OGC's nil URIs (http://www.opengis.net/def/nil/OGC/0/missing)
or with words ("Unknown", "N/A", "none"). Published as they are, they become a landing page that
is no page, a keyword "Unknown", a publisher "N/A". :func:`published` leaves them out of a
crosswalked dataset, each with a warning naming the field and the value.
"""

import re

# Values that stand for "no value" where one had to be written: OGC's nil URIs
# (http://www.opengis.net/def/nil/OGC/0/missing, .../unknown, .../withheld) and the words for them.
_NIL_URI = re.compile(r"^https?://www\.opengis\.net/def/nil/", re.IGNORECASE)
PLACEHOLDERS = frozenset(
    {
        "missing",
        "unknown",
        "unk",
        "n/a",
        "na",
        "none",
        "null",
        "nil",
        "not applicable",
        "not available",
        "not provided",
        "unavailable",
        "withheld",
        "inapplicable",
        "tbd",
        "to be determined",
        "-",
        "--",
    }
)
# Fields whose value names the record itself: a placeholder there is kept, for the reviewer to see.
_KEPT_AS_WRITTEN = frozenset({"@type", "title", "description", "identifier"})
_LINKS = ("downloadURL", "accessURL")


def is_placeholder(text: str | None) -> bool:
    """True for a value that stands for no value: an OGC nil URI, or 'missing', 'unknown', 'N/A', ...."""
    if not text:
        return False
    text = text.strip()
    return bool(_NIL_URI.match(text)) or " ".join(text.strip(" .[]()<>").split()).lower() in PLACEHOLDERS


def _without_placeholders(field: str, item, warnings: list[str]):
    """`item` with its placeholder values left out (each reported); a distribution whose link is a
    placeholder is left out whole, and so is an object left with nothing but its @type."""
    if isinstance(item, str):
        if is_placeholder(item):
            warnings.append(f"{field}: {item!r} is a placeholder; left out")
            return None
        return item
    if isinstance(item, list):
        parts = [_without_placeholders(field, part, warnings) for part in item]
        return [part for part in parts if part is not None]
    if isinstance(item, dict):
        kept = {
            key: part
            for key, value in item.items()
            if (part := value if key == "@type" else _without_placeholders(f"{field}.{key}", value, warnings))
            is not None
        }
        if any(key in item and key not in kept for key in _LINKS) or set(kept) <= {"@type"}:
            return None
        return kept
    return item


def published(dataset: dict, warnings: list[str]) -> dict:
    """The fields of a crosswalked dataset that say something: empty values and placeholders left out,
    each placeholder with a warning naming the field and the value (title, description and identifier
    are kept as written)."""
    out = {}
    for key, item in dataset.items():
        if key not in _KEPT_AS_WRITTEN:
            item = _without_placeholders(key, item, warnings)
        if item not in (None, [], "", {}):
            out[key] = item
    return out
