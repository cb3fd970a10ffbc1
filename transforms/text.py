"""Small text helpers shared by the stages."""

import codecs
import re
import unicodedata

# The character encodings real metadata uses (Python's names for them; every alias maps to one).
# Anything else a document or a server declares (UTF-7, which smuggles lone surrogates in, or a
# codec that is not a text encoding at all) is refused for that document.
ACCEPTED_CODECS = frozenset(
    {
        "utf-8",
        "utf-8-sig",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "utf-32-le",
        "utf-32-be",
        "iso8859-1",
        "cp1252",
        "ascii",
    }
)
ACCEPTED_NAMES = "UTF-8, UTF-16, UTF-32, ISO-8859-1, Windows-1252 or ASCII"
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)


def content_type_charset(content_type: str | None) -> str | None:
    """The ``charset`` label of an HTTP Content-Type header, as written (``text/html; charset=UTF-8``), or None."""
    found = _CHARSET.search(content_type or "")
    return found.group(1) if found else None


def accepted_codec(label: str) -> str | None:
    """Python's codec name for an encoding label (``latin-1``, ``Windows-1252``, ``utf8``...), or None
    when the label is unknown or names an encoding that is not accepted."""
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):
        return None
    return name if name in ACCEPTED_CODECS else None


def fold_to_ascii(text: str) -> str:
    """Accents folded to their base letters and every other non-ASCII character dropped ("Café" -> "Cafe")."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


# The characters a terminal acts on instead of showing, or that make text read other than it is
# stored: C0 and C1 controls (escape sequences, carriage returns, line feeds), format characters
# (bidi embeddings, overrides and isolates, marks, zero-width spaces and joiners, soft hyphens, tag
# characters), line and paragraph separators, and lone surrogates (which a terminal cannot encode).
UNSHOWN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def plain_text(value: object, width: int | None = None) -> str:
    """Text safe to print as written: every unshown character (``UNSHOWN_CATEGORIES``) becomes a space.

    The one rule for publisher text on a terminal (``harvest report``, ``validate``, progress lines,
    error lines) and in a CSV cell: no escape sequence, line break or bidi override gets through.
    None is shown as "-"; with ``width`` the text is cut to that many characters, ending in "…".
    """
    text = "-" if value is None else str(value)
    if not text.isprintable():  # printable text has none of them: most text skips the per-character pass
        text = "".join(" " if unicodedata.category(c) in UNSHOWN_CATEGORIES else c for c in text)
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def plain_lines(text: str) -> str:
    """``plain_text`` of each line, the line feeds between them kept (a carriage return becomes a space)."""
    return "\n".join(plain_text(line) for line in text.split("\n"))
