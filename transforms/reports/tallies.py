"""Every figure of the run report, counted per source by the task that holds the source's rows.

Each row of the run (and each published record the run did not see, for the warnings it shows:
``transforms.reports.published_warnings``) gives a few tallies: its outcome, its record type, each
rejection reason and warning, and each error and warning group (``transforms.reports.reason_groups``).
``SourceCount`` counts them over one source's rows, with the first few examples of each, and keeps only
the source's top reasons and warnings (and every group, as ``ordered_groups`` folds the rest into one):
that is all that reaches the driver, where ``source_tallies`` reads it. The Spark pass that feeds it,
one per run report with the record CSVs: ``transforms.reports.report_pass``.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from transforms.gate.duplicates import is_cross_source_finding
from transforms.reports.reason_groups import (
    EXAMPLES as GROUP_EXAMPLES,
)
from transforms.reports.reason_groups import (
    NO_IDENTIFIER_EXAMPLE,
    GroupTally,
    keep_smallest,
    ordered_groups,
    record_groups,
)
from transforms.schemas import RECORD_OUTCOMES, Action, Outcome, RecordType

REASON_EXAMPLES = 3  # identifiers shown per top reason or warning
TOP_REASONS = 10  # per source
# The tally kinds: what a tally counts. A "reason" and a "warning" are exact texts (each source's
# top ones are kept); a group is a kind of problem (every group is kept).
OUTCOME, RECORD_TYPE, REASON, WARNING, WARNED = "outcome", "record_type", "reason", "warning", "warned"
# A row of the run that keeps a later run from carrying its source's verdicts (transforms.repeat_run):
# held, or with a reason or warning the duplicates check wrote (it depends on other sources' records).
NOT_CARRIABLE = "not_carriable"
# A group's tally kind -> its list in report.json.
GROUP_KINDS = {"error_group": "error_groups", "warning_group": "warning_groups"}


@dataclass
class SourceTallies:
    """One source's figures: counts by outcome, record types, top reasons and warnings, and groups."""

    counts: dict[str, int] = field(default_factory=dict)
    record_types: dict[str, dict[str, int]] = field(default_factory=dict)
    warned: int = 0
    not_carriable: int = 0
    reasons: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    groups: dict[str, list[GroupTally]] = field(
        default_factory=lambda: {name: [] for name in GROUP_KINDS.values()}
    )

    def report_groups(self) -> dict[str, list[dict]]:
        """{"error_groups": [...], "warning_groups": [...]} as report.json lists them."""
        return {name: ordered_groups(tallies) for name, tallies in self.groups.items()}


def _outcome_names(action: str, outcome: str) -> list[str]:
    # Deletes are counted on their own: `deleted`, and a held delete in `deletes_held`.
    is_delete = action == Action.DELETE
    names = [outcome] if not is_delete and outcome in RECORD_OUTCOMES else []
    if outcome == Outcome.DELETED:
        names.append("deleted")
    if is_delete and outcome == Outcome.HELD:
        names.append("deletes_held")
    return names


def _cross_source(texts: list | None) -> bool:
    return any(is_cross_source_finding(text) for text in texts or [])


def _tallies_of(record: dict) -> Iterator[tuple]:
    """The tallies one report row counts in: (kind, key, detail, example)."""
    example = next(
        (value for value in (record["identifier"], record["record_url"]) if value is not None),
        NO_IDENTIFIER_EXAMPLE,
    )
    action, outcome = record["action"], record["outcome"]
    if record["of_run"]:  # the record counts: unseen published records only show their warnings
        for name in _outcome_names(action, outcome):
            yield OUTCOME, name, None, None
        if action != Action.DELETE:
            yield RECORD_TYPE, record["record_type"] or RecordType.DATASET, outcome, None
        if outcome == Outcome.REJECTED:
            for reason in record["reasons"] or []:
                yield REASON, reason, None, example
        if outcome == Outcome.HELD or _cross_source(record["reasons"]) or _cross_source(record["warnings"]):
            yield NOT_CARRIABLE, None, None, None
    if outcome == Outcome.DELETED:  # no longer published: it shows no warning
        return
    warnings = record["warnings"] or []
    for warning in warnings:
        yield WARNING, warning, None, example
    if warnings:
        yield WARNED, None, None, None
    rejected = outcome == Outcome.REJECTED and action != Action.DELETE
    for kind, group in record_groups(rejected, record["reasons"], warnings):
        yield f"{kind}_group", group.reason, group.field, example


class SourceCount:
    """One source's tallies being counted, row by row: ``add`` each report row, then ``kept``.

    A source's tallies are as many as its distinct reasons and warnings at most, each with a handful of
    examples: what a task holds is bounded by the source, never by the run.
    """

    def __init__(self) -> None:
        # (kind, key, detail) -> [count, examples in sort order]
        self._tallies: dict[tuple, list] = {}

    def add(self, record: dict) -> None:
        """Count one report row (``published_warnings.report_rows``) in every tally it belongs to."""
        for kind, key, detail, example in _tallies_of(record):
            tally = self._tallies.get((kind, key, detail))
            if tally is None:
                tally = self._tallies[(kind, key, detail)] = [0, []]
            tally[0] += 1
            if example is not None:
                # A reason's examples are distinct identifiers, a group's the first few of its records.
                distinct = kind in (REASON, WARNING)
                keep_smallest(tally[1], example, REASON_EXAMPLES if distinct else GROUP_EXAMPLES, distinct)

    def kept(self) -> Iterator[tuple[str, str | None, str | None, int, list[str]]]:
        """(kind, key, detail, count, examples) of every tally the report shows: the top ``TOP_REASONS``
        reasons and warnings by count (then text), and every other tally."""
        ranked: dict[str, list] = {REASON: [], WARNING: []}
        for (kind, key, detail), (count, examples) in self._tallies.items():
            if kind in ranked:
                ranked[kind].append((-count, key, detail, examples))
            else:
                yield kind, key, detail, count, examples
        for kind, tallies in ranked.items():
            for negative, key, detail, examples in sorted(tallies, key=lambda t: (t[0], t[1] or ""))[
                :TOP_REASONS
            ]:
                yield kind, key, detail, -negative, examples


def source_tallies(kept: Iterable[dict]) -> dict[str, SourceTallies]:
    """source_id -> its figures, from every source's ``SourceCount.kept`` rows (with their ``source_id``)."""
    by_source: dict[str, SourceTallies] = {}
    for row in sorted(kept, key=lambda row: (-row["count"], row["key"] or "")):
        source = by_source.setdefault(row["source_id"], SourceTallies())
        kind, key, count = row["kind"], row["key"], row["count"]
        if kind == OUTCOME:
            source.counts[key] = count
        elif kind == RECORD_TYPE:
            tally = source.record_types.setdefault(key, {"records": 0, **dict.fromkeys(RECORD_OUTCOMES, 0)})
            tally["records"] += count
            tally[row["detail"]] += count
        elif kind == WARNED:
            source.warned = count
        elif kind == NOT_CARRIABLE:
            source.not_carriable = count
        elif kind in (REASON, WARNING):
            entry = {"reason": key, "count": count, "examples": list(row["examples"])}
            (source.reasons if kind == REASON else source.warnings).append(entry)
        else:
            source.groups[GROUP_KINDS[kind]].append(
                GroupTally(key, row["detail"], count, list(row["examples"]))
            )
    order = [str(kind) for kind in RecordType]
    for source in by_source.values():
        source.record_types = dict(
            sorted(source.record_types.items(), key=lambda item: (order + [item[0]]).index(item[0]))
        )
    return by_source
