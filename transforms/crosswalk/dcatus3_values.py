"""Single values in their DCAT-US 3.0 form: dates, bounding boxes, language codes.

Shared by the 1.1 -> 3.0 upgrade (``dcatus3_upgrade``) and the 3.0 reading of ISO and FGDC XML
(``dcatus3_xml``), so a date or a box reads the same whichever way a record arrived.
"""

import re
from datetime import date, datetime

from transforms.reference import reference_map, reference_set

_YEAR_MONTH = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_LANGUAGE_SEPARATOR = re.compile(r"[-_;\s]")
NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
PERIODICITY = {  # an ISO 8601 duration (a 1.1 modified like R/P1D) -> the 3.0 accrualPeriodicity term
    "P1D": "daily",
    "P1W": "weekly",
    "P2W": "fortnightly",
    "P1M": "monthly",
    "P3M": "quarterly",
    "P6M": "biannually",
    "P1Y": "annually",
    "PT1S": "continual",
}


def schema_date(text: str) -> str | None:
    """A date as 3.0 writes one (YYYY, YYYY-MM, YYYY-MM-DD or an RFC 3339 date-time), or None.

    A date-time without a time zone becomes its date: the schema needs a zone, and guessing one
    would move the moment.
    """
    text = text.strip()
    if _YEAR_MONTH.match(text):
        return text
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        if _DATE_TIME.match(text):
            moment = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
            return text if _RFC3339.match(text) else moment.date().isoformat()
    except ValueError:
        return None
    return None


def bbox_wkt(west, south, east, north) -> str | None:
    """A bounding box as the WKT polygon 3.0 writes in Location.bbox (numbers as given), or None."""
    parts = [str(part).strip() for part in (west, south, east, north)]
    if not all(NUMBER.match(part) for part in parts):
        return None
    w, s, e, n = parts
    return f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"


def two_letter_language(tag) -> str | None:
    """The ISO 639-1 code of a language tag (en-US -> en, eng -> en), or None."""
    if not isinstance(tag, str):
        return None
    primary = _LANGUAGE_SEPARATOR.split(tag.strip())[0].lower()
    primary = reference_map("iso639_2_to_1").get(primary, primary)
    return primary if primary in reference_set("iso639_1") else None


def frequency_of(duration: str) -> str | None:
    """The accrualPeriodicity term of an ISO 8601 duration (P1D -> daily; others irregular), or None."""
    return PERIODICITY.get(duration, "irregular") if duration.startswith("P") else None


def _period_side(text: str) -> str | None:
    return schema_date(text) if text.strip() and not text.strip().startswith("P") else None


def period_of_time(text: str) -> dict | None:
    """A 1.1 temporal (start/end, an R/ repetition or a duration allowed on one side) as a PeriodOfTime."""
    sides = re.sub(r"^R\d*/", "", text.strip()).split("/")
    start, end = (_period_side(sides[0]), _period_side(sides[1])) if len(sides) == 2 else (None, None)
    return period(start, end)


def period(start: str | None, end: str | None) -> dict | None:
    """A PeriodOfTime from its dates (either may be missing), or None without either."""
    if not (start or end):
        return None
    return {
        "@type": "PeriodOfTime",
        **({"startDate": start} if start else {}),
        **({"endDate": end} if end else {}),
    }
