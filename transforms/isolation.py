"""Fault isolation: the one way a stage turns what one record (or one source) raises into a reason.

Every stage has exactly one guard where a row becomes a row (and extract one more per source):
whatever the code under it raises, a ``RecursionError`` from a record nested too deep or a bug a
strange value finds, becomes that row's rejection with a short reason naming the stage and the
error class (``transform: internal error (RecursionError)``), never the job's failure. Reasons
never echo a publisher's text at length: the exception's message can hold a page of it, so only
its class is named, and every reason that quotes a publisher is cut by :func:`bounded`.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_REASON_CHARS = 300  # a reason a publisher reads in a report, not the text that caused it


def bounded(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters, and always valid Unicode (a lone surrogate becomes ``?``).

    Everything a reason carries ends in an Arrow column, which refuses text that is not valid UTF-8.
    """
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if not text.isascii():
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def internal_error(stage: str, error: BaseException, what: str = "internal error") -> str:
    """The reason for an exception nobody expected: the stage and the error class, nothing the publisher wrote."""
    return f"{stage}: {what} ({type(error).__name__})"


def isolated(stage: str, build: Callable[[], T], on_error: Callable[[str], T], subject: object = None) -> T:
    """``build()``, or ``on_error(reason)`` when it raises: the guard of one stage boundary.

    ``subject`` (a record URL or identifier) only goes to the log, so an operator can find the record.
    """
    try:
        return build()
    except Exception as error:  # the stage's one guard: nothing one record raises may leave the task
        log.warning("%s: %s raised %s", stage, bounded(str(subject)), bounded(repr(error)))
        log.debug("%s: traceback", stage, exc_info=True)
        return on_error(internal_error(stage, error))


def require_utf8(row: dict) -> dict:
    """``row`` unchanged; UnicodeEncodeError when a text value (or a text in a list) is not valid Unicode.

    Called inside a row's guard on what it built, so a lone surrogate rejects that row instead of
    failing the Arrow batch (and the task) it would have been written with.
    """
    for value in row.values():
        for text in value if isinstance(value, list) else (value,):
            if isinstance(text, str) and not text.isascii():
                text.encode("utf-8")
    return row
