"""Small text helpers shared by the stages."""

import unicodedata


def fold_to_ascii(text: str) -> str:
    """Accents folded to their base letters and every other non-ASCII character dropped ("Café" -> "Cafe")."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
