"""What the report and history pages share: every value escaped as HTML text, counts as whole numbers."""

from html import escape


def html_text(value) -> str:
    """A value as HTML text: None is empty; everything is escaped, quotes too (safe inside attributes)."""
    return escape("" if value is None else str(value), quote=True)


def count(value) -> int:
    """A count read from a report: missing or null is 0."""
    return int(value or 0)
