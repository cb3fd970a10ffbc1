"""Reference lists the DCAT-US 3.0 checks and upgrade read: snapshots of public registries, as text files.

Each ``<name>.txt`` names its origin in its ``#`` header lines; every other line is one entry.
"""

from functools import cache
from importlib import resources


@cache
def reference_lines(name: str) -> tuple[str, ...]:
    """The entries of transforms/reference/<name>.txt, stripped, without the ``#`` header lines."""
    text = resources.files("transforms.reference").joinpath(f"{name}.txt").read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def reference_set(name: str) -> frozenset[str]:
    """The entries of a reference list, lowercased, for membership tests."""
    return frozenset(line.lower() for line in reference_lines(name))


@cache
def reference_map(name: str) -> dict[str, str]:
    """A two-column reference list as a dict: first word -> second word."""
    return dict(line.split()[:2] for line in reference_lines(name) if len(line.split()) >= 2)
