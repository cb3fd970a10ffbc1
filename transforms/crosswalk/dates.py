"""Dates in ISO and FGDC records: the forms they are written in, and the ones that cannot be dates.

ISO writes 2017-02-14 or 2017-02-14T10:11:12Z, FGDC 20170214, 201702 or 2017; both read as ISO 8601.
A value written as a date that cannot be one is reported under the field it was meant for and left
out, so no placeholder reaches the catalog as a real date.
"""

import re

_DATE = re.compile(r"^(\d{4})(?:-?(\d{2}))?(?:-?(\d{2}))?(T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
# Dates that are written as dates but say nothing: a year before any metadata could describe (the
# 0001 or 0900 of a default) or so far ahead that no schedule means it (7306, 9999), and the
# 1900-01-01 that database and spreadsheet defaults write for "no date".
EARLIEST_YEAR, LATEST_YEAR = 1000, 2500
PLACEHOLDER_DATES = frozenset({"1900-01-01"})


def iso_date(text: str | None) -> str | None:
    """An ISO 8601 date (YYYY, YYYY-MM, YYYY-MM-DD, optionally with time) from ISO or FGDC forms; else None.

    A value that reads as a date but cannot be one (see :func:`date_problem`) is None too.
    """
    if not text:
        return None
    match = _DATE.match(text.strip())
    if not match:
        return None
    year, month, day, time = match.groups()
    if (month and not 1 <= int(month) <= 12) or (day and not 1 <= int(day) <= 31):
        return None
    date = "-".join(part for part in (year, month, day) if part)
    if _implausible(date):
        return None
    return date + time if time and day else date


def _implausible(date: str) -> str | None:
    if date in PLACEHOLDER_DATES:
        return "is a placeholder date"
    if not EARLIEST_YEAR <= int(date[:4]) <= LATEST_YEAR:
        return f"is not a plausible date (a year from {EARLIEST_YEAR} to {LATEST_YEAR})"
    return None


def date_problem(text: str) -> str | None:
    """Why a value written as a date cannot be one (a placeholder, an impossible year), else None.

    Values that are no date at all ("unknown", "present") are not problems of this kind: each
    field says what it does without a date.
    """
    match = _DATE.match(text.strip())
    return _implausible("-".join(part for part in match.groups()[:3] if part)) if match else None


def read_date(text: str | None, field: str, warnings: list[str]) -> str | None:
    """:func:`iso_date`, reporting a date that cannot be one under the field it was meant for."""
    if not text:
        return None
    problem = date_problem(text)
    if problem:
        warnings.append(f"{field}: {text.strip()!r} {problem}; left out")
        return None
    return iso_date(text)


def temporal_range(starts: list[str], ends: list[str], warnings: list[str]) -> str | None:
    """'begin/end' from the earliest start and latest end; one instant gives 'instant/instant'."""
    reported = len(warnings)
    read = {text: read_date(text, "temporal", warnings) for text in dict.fromkeys(starts + ends)}
    begin = sorted(d for text in starts if (d := read[text]))
    end = sorted(d for text in ends if (d := read[text]))
    if not begin and not end:
        if (starts or ends) and len(warnings) == reported:
            warnings.append(f"temporal: no usable dates in {starts + ends}; left out")
        return None
    if not begin or not end:
        # DCAT-US 1.1 temporal is start/end: no form of it says "from 2003 on" (or "until 2010").
        known = f"from {begin[0]}" if begin else f"until {end[-1]}"
        warnings.append(f"temporal: the period {known} is open-ended; DCAT-US 1.1 cannot say so; left out")
        return None
    return f"{begin[0]}/{end[-1]}"
