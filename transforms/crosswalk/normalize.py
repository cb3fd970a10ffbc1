"""Normalising a DCAT-US 1.1 dataset without changing its meaning.

Strings are trimmed; one-line fields (titles, names, keywords) have whitespace runs collapsed to
one space; descriptions keep their line breaks but lose trailing spaces. Nothing is dropped.
Text damage found in real catalogs (mojibake such as "Ã©", zero-width characters, U+FFFD) is
left as written and reported as a warning, so the publisher can fix it at the source.
"""

import re

MULTILINE_FIELDS = {"description"}
_SPACES = re.compile(r"\s+")
_TRAILING_SPACE = " \t\f\v"  # stripped from line ends with str.rstrip: a regex backtracks over long runs
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]|â€|Ã[ƒ‚]")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_REPLACEMENT = "\ufffd"


_ANY_DAMAGE = re.compile(f"{_MOJIBAKE.pattern}|{_ZERO_WIDTH.pattern}|{_REPLACEMENT}")
_NEEDS_COLLAPSE = re.compile(r"\s\s|[^\S ]")  # a whitespace run, or whitespace other than a space


def _problems(text: str) -> list[str]:
    if not _ANY_DAMAGE.search(text):  # one scan for the common case: nothing to report
        return []
    found = []
    mojibake = _MOJIBAKE.search(text)
    if mojibake:
        found.append(f"mojibake ({mojibake.group()!r}, UTF-8 read as Latin-1)")
    zero = _ZERO_WIDTH.findall(text)
    if zero:
        names = ", ".join(sorted({f"U+{ord(c):04X}" for c in zero}))
        found.append(f"{len(zero)} zero-width character(s) ({names})")
    if _REPLACEMENT in text:
        found.append("U+FFFD replacement character(s) (text lost in an earlier decoding)")
    return found


def normalize_text(text: str, multiline: bool) -> str:
    """Trim; collapse whitespace runs (one-line fields) or strip trailing spaces per line (multi-line)."""
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return "\n".join(line.rstrip(_TRAILING_SPACE) for line in text.split("\n")).strip()
    return (_SPACES.sub(" ", text) if _NEEDS_COLLAPSE.search(text) else text).strip()


def _walk(node, path: str, key: str, warnings: list[str]):
    if isinstance(node, str):
        cleaned = normalize_text(node, key in MULTILINE_FIELDS)
        for problem in _problems(cleaned):
            warnings.append(f"text: {path} contains {problem}; left as written")
        return cleaned
    if isinstance(node, list):
        return [_walk(item, f"{path}[{index}]", key, warnings) for index, item in enumerate(node)]
    if isinstance(node, dict):
        return {
            name: _walk(item, f"{path}.{name}" if path else name, name, warnings)
            for name, item in node.items()
        }
    return node


def normalize_dataset(dataset: dict) -> tuple[dict, list[str]]:
    """A normalised copy of a DCAT-US dataset and the warnings about text damage found in it."""
    warnings: list[str] = []
    return _walk(dataset, "", "", warnings), warnings
