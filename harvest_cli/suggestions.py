"""The "did you mean" of every name a person types: subcommands, source ids, record identifiers.

One rule (difflib's closeness, at most three names) so each refusal suggests the same way.
"""

import difflib

from harvest_cli.exit_codes import UsageError

SUGGESTED = 3  # how many near names a refusal offers
CLOSENESS = 0.5  # difflib's ratio a name needs to be offered


def near_names(name: str, names) -> list[str]:
    """The names closest to ``name``, closest first (none when nothing is close)."""
    return difflib.get_close_matches(name, sorted(set(names)), n=SUGGESTED, cutoff=CLOSENESS)


def did_you_mean(name: str, names) -> str:
    """ "; did you mean a or b?" for the names near ``name``, or "" when none is."""
    near = near_names(name, names)
    return f"; did you mean {' or '.join(near)}?" if near else ""


def unknown_source(lake_root: str, source_id: str, known) -> UsageError:
    """The refusal of a source id no run of the lake harvested, with the near ones (else every one)."""
    hint = did_you_mean(source_id, known) or f"; its sources: {', '.join(sorted(known)) or 'none'}"
    return UsageError(f"no run in {lake_root} harvested source {source_id!r}{hint}")
