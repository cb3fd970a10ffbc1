"""Reasons grouped so a publisher can act on them: one group per kind of problem, not per record.

A reason quotes the record's own values (``$.contactPoint.hasEmail: "x@y.gov" is not a mailto:
address``), so grouping by the exact text would give one group per record. ``reason_group`` takes
those values out and generalises list positions (``$.distribution[3]`` -> ``$.distribution[*]``),
keeping the field and what is wrong with it. The harvest report (``transforms.reports.tallies``, in
the report's Spark tasks) and ``harvest validate`` (in plain Python) both group with the
functions here, so a publisher sees the same groups from either.

A record counts once in every group it has a reason (or a warning) of: a record that lacks both
``modified`` and ``publisher`` counts under each, so a publisher sees every problem of every record,
and a group's count is how many records have that problem. The error groups of a source therefore
add up to at least its ``rejected`` (exactly when every rejected record has one kind of problem).

``reason_parts`` splits one reason into the field it is about and what is wrong with it, the form
``harvest validate --json`` lists per record.
"""

import bisect
import dataclasses
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

EXAMPLES = 5  # identifiers shown per group
MAX_GROUPS = 25  # per source and kind; the rest are folded into one group, so counts still add up
NO_REASON = "(no reason recorded)"
NO_IDENTIFIER_EXAMPLE = "(no identifier)"
DCAT_US_DOCS = "https://resources.data.gov/resources/dcat-us/"

# The field anchors of the DCAT-US 1.1 page (resources.data.gov/resources/dcat-us/): dataset fields,
# and the child fields of contactPoint, distribution and publisher as "<parent>-<child>".
_TOP_ANCHORS = {
    "@type": "dataset-type",
    "conformsTo": "dataset-conformsTo",
    "describedBy": "dataset-describedBy",
    "describedByType": "dataset-describedByType",
    **{
        name: name
        for name in (
            "accessLevel accrualPeriodicity bureauCode contactPoint dataQuality description distribution "
            "identifier isPartOf issued keyword landingPage language license modified primaryITInvestmentUII "
            "programCode publisher references rights spatial systemOfRecords temporal theme title"
        ).split()
    },
}
_CHILD_FIELDS = {
    "contactPoint": ("@type", "fn", "hasEmail"),
    "distribution": (
        "@type accessURL conformsTo downloadURL describedBy describedByType description format mediaType title"
    ).split(),
    "publisher": ("@type", "name", "subOrganizationOf"),
}
_JSON_PATH = r"\$(?:\.[^\W\d]\w*|\[\d+\]|\['(?:[^'\\]|\\.)*'\])*"
_SCHEMA = re.compile(rf"^schema: (?P<path>{_JSON_PATH}): (?P<message>.*)\Z", re.S)
_JSON_VALUE_START = re.compile(r'^(?:"|\[|\{|-?\d|null\b|true\b|false\b)')
_QUOTED = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
# (pattern, replacement) applied in order to every reason that is not a schema finding.
_GENERALISE = [
    (
        re.compile(r'^identifier ".*" appears \d+ times in this source;', re.S),
        "identifier appears more than once in this source;",
    ),
    (re.compile(r"^dataset #\d+ "), "dataset "),
    (re.compile(r": byte 0x[0-9a-f]+ at offset \d+\Z"), ""),
    (re.compile(r"^(transform: XML is not well formed: .*) \(line \w+\)\Z", re.S), r"\1"),
    (re.compile(r"^transform: XML document is \d+ bytes;"), "transform: XML document is too large;"),
    (re.compile(r"^(transform: dataset is not valid JSON):.*\Z", re.S), r"\1"),
    (re.compile(r"^(transform: internal error while transforming \(\w+):.*\Z", re.S), r"\1)"),
    (re.compile(r"^(database: [^\n]*).*\Z", re.S), r"\1"),
    (re.compile(rf"(^|: |\w ){_QUOTED} (?=is not |has no scheme)"), r"\1"),
    (re.compile(r"^distribution \S+: "), "distribution: "),
    (re.compile(r"^([\w.@]+): \d+ characters cut to (\d+)\Z"), r"\1: cut to \2 characters"),
    (re.compile(r" (bounding box|usable dates)(?: in)? \[[^\]]*\]"), r" \1"),
    (re.compile(r"the period .* is open-ended"), "the period is open-ended"),
    (
        re.compile(rf"names parent {_QUOTED}; the collection's parent {_QUOTED} is used"),
        "names another parent; the collection's parent is used",
    ),
    (re.compile(rf"^possible duplicate of {_QUOTED} "), "possible duplicate of a record "),
    (re.compile(r"\[\d+\]"), "[*]"),
]
_LEADING_FIELD = re.compile(
    r"^(?:fixup: |text: |transform: record has no )?\$?\.?([A-Za-z@][\w.@\[\]*]*)(?=[: ]|\Z)"
)
_KNOWN_REASON_FIELDS = {
    "record has no identifier": "$.identifier",
    "identifier appears more than once": "$.identifier",
    "identifier already published by": "$.identifier",
    "identifier also harvested from": "$.identifier",
}


@dataclass(frozen=True)
class ReasonGroup:
    """The group of one reason: its text without the record's own values, and the field it is about."""

    reason: str
    field: str | None


def _general_schema_message(message: str) -> str:
    if message.startswith("is not valid JSON"):
        return "is not valid JSON"
    if _JSON_VALUE_START.match(message) and " is not " in message:
        return "is not " + message.rpartition(" is not ")[2]
    if message.startswith("must be ") and ", found " in message:
        return message.partition(", found ")[0]
    long_text = re.match(r"^is [\d,]+ characters long; at most ([\d,]+) allowed\Z", message)
    if long_text:
        return f"is longer than {long_text.group(1)} characters"
    many = re.match(r"^has [\d,]+ items; at most ([\d,]+) allowed\Z", message)
    return f"has more than {many.group(1)} items" if many else message


def _field_of(text: str) -> str | None:
    """The JSON path of the DCAT-US field a (generalised) non-schema reason is about, when it names one."""
    for start, path in _KNOWN_REASON_FIELDS.items():
        if start in text:
            return path
    leading = _LEADING_FIELD.match(text)
    if not leading:
        return None
    token = leading.group(1).rstrip(".")
    return "$." + token if re.split(r"[.\[]", token)[0] in _TOP_ANCHORS else None


# A run's reasons and warnings are mostly the same few texts over and over (the report counts them
# per record): each distinct text is generalised once per process.
@functools.lru_cache(maxsize=8192)
def reason_group(reason: str | None) -> ReasonGroup:
    """The group of one reason or warning (see the module docstring)."""
    if not reason:
        return ReasonGroup(NO_REASON, None)
    schema = _SCHEMA.match(reason)
    if schema:
        path = re.sub(r"\[\d+\]", "[*]", schema.group("path"))
        return ReasonGroup(f"schema: {path}: {_general_schema_message(schema.group('message'))}", path)
    text = reason
    for pattern, replacement in _GENERALISE:
        text = pattern.sub(replacement, text)
    return ReasonGroup(text, _field_of(text))


def field_doc_url(field_path: str | None) -> str | None:
    """The DCAT-US 1.1 documentation of a field (``$.distribution[*].downloadURL``), or None."""
    if not field_path or not field_path.startswith("$"):
        return None
    names = [
        part.strip("'")
        for part in re.split(r"\.|\[\*\]|\[|\]", field_path[1:])
        if part and part not in ("*",) and not part.isdigit()
    ]
    if not names or names[0] not in _TOP_ANCHORS:
        return None
    if len(names) > 1 and names[1] in _CHILD_FIELDS.get(names[0], ()):
        child = "type" if names[1] == "@type" else names[1]
        return f"{DCAT_US_DOCS}#{names[0]}-{child}"
    return f"{DCAT_US_DOCS}#{_TOP_ANCHORS[names[0]]}"


def reason_parts(reason: str | None) -> tuple[str | None, str]:
    """(field, what is wrong) of one reason: a schema finding's exact JSON path and message, or for
    another stage's reason the field it names (None when it names none) and its whole text."""
    if not reason:
        return None, NO_REASON
    schema = _SCHEMA.match(reason)
    if schema:
        return schema.group("path"), schema.group("message")
    return reason_group(reason).field, reason


def _distinct_groups(texts: list[str | None]) -> list[ReasonGroup]:
    return list(dict.fromkeys(reason_group(text) for text in texts))


def record_groups(
    rejected: bool, reasons: list[str] | None, warnings: list[str] | None
) -> list[tuple[str, ReasonGroup]]:
    """("error" | "warning", group) pairs one record contributes: each distinct group of its reasons when
    it is rejected (a rejected record with no reason recorded still counts, under ``NO_REASON``), and
    each distinct group of its warnings."""
    errors = _distinct_groups([*(reasons or [])] or [None]) if rejected else []
    return [("error", group) for group in errors] + [
        ("warning", group) for group in _distinct_groups(list(warnings or []))
    ]


@dataclass
class GroupTally:
    """One group being counted: how many records, and the first few identifiers in sort order."""

    reason: str
    field: str | None
    count: int = 0
    examples: list[str] = dataclasses.field(default_factory=list)


def ordered_groups(tallies: Iterable[GroupTally], limit: int = MAX_GROUPS) -> list[dict]:
    """The report's group entries, largest first (then by reason); past ``limit`` groups the rest are one
    group, so the counts still add up."""
    ranked = sorted(tallies, key=lambda tally: (-tally.count, tally.reason))
    entries = [
        {
            "reason": tally.reason,
            "count": tally.count,
            "examples": sorted(tally.examples)[:EXAMPLES],
            "field": tally.field,
        }
        for tally in ranked[:limit]
    ]
    rest = ranked[limit:]
    if rest:
        examples = sorted(example for tally in rest for example in tally.examples)[:EXAMPLES]
        entries.append(
            {
                "reason": f"{len(rest)} other reasons (every record is in the CSV)",
                "count": sum(tally.count for tally in rest),
                "examples": examples,
                "field": None,
            }
        )
    return entries


def keep_smallest(examples: list[str], example: str, limit: int, distinct: bool = False) -> None:
    """Put ``example`` into ``examples``, the sorted list of the ``limit`` smallest examples seen so far,
    if it is one of them (once only, when ``distinct``)."""
    if (distinct and example in examples) or (len(examples) >= limit and example >= examples[-1]):
        return
    bisect.insort(examples, example)
    del examples[limit:]


def group_records(records: Iterable[tuple[str | None, bool, list[str], list[str]]]) -> dict[str, list[dict]]:
    """{"error_groups": [...], "warning_groups": [...]} of (example, rejected, reasons, warnings) records,
    in plain Python (the validator's; the harvest counts the same groups per source: ``tallies.SourceCount``)."""
    tallies: dict[tuple[str, ReasonGroup], GroupTally] = {}
    for example, rejected, reasons, warnings in records:
        for kind, group in record_groups(rejected, reasons, warnings):
            tally = tallies.setdefault((kind, group), GroupTally(group.reason, group.field))
            tally.count += 1
            keep_smallest(tally.examples, example or NO_IDENTIFIER_EXAMPLE, EXAMPLES)
    return {
        f"{kind}_groups": ordered_groups(tally for (k, _), tally in tallies.items() if k == kind)
        for kind in ("error", "warning")
    }
