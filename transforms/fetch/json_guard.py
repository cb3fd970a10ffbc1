"""The values of a data.json that must reject only their dataset, found in the byte stream before ijson.

Some values, if yajl or Python met them, would fail the whole catalog, or cost time that grows
with the square of their size. :class:`ValueGuardStream` sits under ijson, finds each one with
a few passes of C code per read (no Python per byte or per token), and writes in its place a
*marker*: the noncharacter U+FDD1, a phrase saying what was wrong, U+FDD1 again, all as JSON
escapes, so the document stays valid JSON and the rest of it parses as before.
:func:`transforms.fetch.json_stream.repaired` then rejects the dataset holding a marker, with the
field's name and the phrase as the reason.

- **Long strings.** yajl lexes a token that spans two reads again from its start at every read,
  so one string of n bytes costs n²/64 KiB. The guard holds back an open string until it ends and
  hands it to ijson whole (one lexing pass); a string longer than :data:`MAX_STRING_BYTES` is
  replaced by a marker and its remaining bytes are skipped unread.
- **Numbers Python cannot read**: an integer of more than :data:`MAX_NUMBER_DIGITS` digits (Python's
  int-string conversion limit: ijson's conversion raises and ends the parse) and an exponent of more
  than :data:`MAX_EXPONENT_DIGITS` digits (``decimal`` refuses it). A number too is held back until
  it ends, and one held longer than that is a marker at once.
- **Bytes no JSON string may hold**: a byte that is not UTF-8 and a raw control character (a tab or a
  newline not written as ``\\t`` or ``\\n``). The string's content becomes a marker naming the
  first such byte and where it is in the document.

Numbers and strings' bytes are looked into only when ``check_values``: the first pass sets it when
reading without it raised (``transforms.fetch.datajson.inspect_catalog``), so a catalog without
such values pays for neither.

Quotes are told apart from escaped ones by replacing every backslash escape with two plain bytes
(:func:`_masked`), which keeps every offset: a quote left is the start or the end of a string.
"""

import re
import sys
from typing import IO

MAX_STRING_BYTES = 1 << 20  # one string's bytes in one dataset; real catalogs stay under 100 KB
MAX_NUMBER_DIGITS = min(4300, sys.get_int_max_str_digits() or 4300)  # Python's own limit, 4,300
MAX_EXPONENT_DIGITS = 9  # 1e999999999 is far beyond a double already
_HELD_NUMBER = MAX_NUMBER_DIGITS + 64  # characters of one number (sign, point, exponent) held at most
READ_SIZE = 64 * 1024

MARKER = "\ufdd1"
_MARKER_ESCAPE = b"\\ufdd1"
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NUMBER_CHARS = b"-+.eE0123456789"
_NUMBER_RUN = re.compile(rb"[-+.eE0-9]*")
_SUSPECT_NUMBER = re.compile(
    rb"[-+.eE0-9]{%d,}|[eE][-+]?0*[1-9][0-9]{%d,}" % (MAX_NUMBER_DIGITS + 1, MAX_EXPONENT_DIGITS)
)
_EXPONENT = re.compile(rb"[eE][-+]?0*([0-9]*)")
# Both kinds of suspect hold a run of ten digits (a valid number of more than 4,300 digits has one of
# at least 1,434): looked for first in the bytes with every digit made a 9, which is C's fast search.
_DIGITS_AS_NINES = bytes(0x39 if 0x30 <= byte <= 0x39 else 0x78 for byte in range(256))
_TEN_DIGITS = b"9" * (MAX_EXPONENT_DIGITS + 1)
_CONTROL = re.compile(rb"[\x00-\x1f]")


def _masked(data: bytes) -> bytes:
    """``data`` with every backslash escape replaced by two plain bytes: its quotes are the unescaped ones."""
    return _ESCAPE.sub(b"__", data) if b"\\" in data else data


def _marker(phrase: str) -> bytes:
    return _MARKER_ESCAPE + phrase.encode("ascii") + _MARKER_ESCAPE


def _number_problem(token: bytes) -> str | None:
    """Why a number token cannot be read, or None."""
    digits = len(token) - len(token.translate(None, b"0123456789"))
    exponent = _EXPONENT.search(token)
    if digits > MAX_NUMBER_DIGITS or len(token) > _HELD_NUMBER:
        return f"is a number of more than {MAX_NUMBER_DIGITS:,} digits"
    if exponent and len(exponent.group(1)) > MAX_EXPONENT_DIGITS:
        return f"is a number whose exponent has more than {MAX_EXPONENT_DIGITS} digits"
    return None


def _string_problem(content: bytes, offset: int) -> str | None:
    """Why the raw bytes of a string's content (starting at document byte ``offset``) are no JSON, or None."""
    control = _CONTROL.search(content)
    end = control.start() if control else len(content)
    try:
        content[:end].decode("utf-8")
    except UnicodeDecodeError as error:
        return f"is not valid UTF-8: byte 0x{content[error.start]:02x} at offset {offset + error.start}"
    if control:
        byte = content[control.start()]
        return f"holds a control character JSON needs escaped: byte 0x{byte:02x} at offset {offset + control.start()}"
    return None


class ValueGuardStream:
    """A readable byte stream: the stream below with every value ijson must not see replaced by a marker.

    ``marked`` counts the markers written. A read returns whole strings and numbers, so it may
    return more than ``size`` bytes (a string of up to MAX_STRING_BYTES) or, at the end, less.
    """

    def __init__(self, raw: IO[bytes], check_values: bool = False):
        self.raw, self.check_values, self.marked = raw, check_values, 0
        self.offset = raw.tell()  # the document byte the next raw byte is
        self.held: list[bytes] = []  # the start of an open string or number, not handed on yet
        self.held_at, self.held_bytes = 0, 0
        self.state = "out"  # "out", "string" or "number" (held), "skip-string" or "skip-number"
        self.escaped = False  # inside a string, the next byte is escaped

    def tell(self) -> int:
        """Where the stream below is: roughly how far parsing got, for error messages."""
        return self.raw.tell()

    def read(self, size: int = -1) -> bytes:
        """The next bytes, guarded; empty only at the end of the stream (or for ``size`` 0)."""
        if size == 0:
            return b""
        while True:
            chunk = self.raw.read(size if size > 0 else READ_SIZE)
            at = self.offset
            self.offset += len(chunk)
            if not chunk:  # the end: what is held goes as it is (yajl names a truncated document)
                rest = b"".join(self.held) if self.state in ("string", "number") else b""
                self.held, self.state = [], "out"
                return rest
            data = self._fed(chunk, at)
            if data:
                return data

    def _fed(self, chunk: bytes, at: int) -> bytes:
        parts: list[bytes] = []
        if self.state in ("string", "skip-string"):
            end = self._string_end(chunk)
            if end < 0:
                if self.state == "string":
                    self._hold(chunk, parts)
                return b"".join(parts)
            if self.state == "string":
                self._hold(chunk[:end], parts)
                if self.state == "string":  # within the bound: the whole string goes on
                    parts.append(self._checked(b"".join(self.held), self.held_at))
            chunk, at, self.state, self.held = chunk[end:], at + end, "out", []
        elif self.state in ("number", "skip-number"):
            run = _NUMBER_RUN.match(chunk).end()  # type: ignore[union-attr]
            if self.state == "skip-number":
                if run == len(chunk):
                    return b""
                chunk, at, self.state = chunk[run:], at + run, "out"
            else:  # the held number goes on with the rest of the chunk, and is checked with it
                chunk, at, self.state = b"".join(self.held) + chunk, self.held_at, "out"
                self.held = []
        parts.append(self._out_of_string(chunk, at))
        return b"".join(parts)

    def _string_end(self, chunk: bytes) -> int:
        """Just past the unescaped quote that ends the open string in ``chunk``, or -1 (then ``escaped`` is kept)."""
        first = 1 if self.escaped and chunk else 0
        masked = _masked(chunk[first:])
        quote = masked.find(b'"')
        if quote < 0:
            self.escaped = masked.endswith(b"\\")
            return -1
        self.escaped = False
        return first + quote + 1

    def _hold(self, data: bytes, parts: list[bytes]) -> None:
        """Hold ``data`` as more of the open string; past MAX_STRING_BYTES the string becomes a marker."""
        self.held.append(data)
        self.held_bytes += len(data)
        if self.held_bytes - 2 > MAX_STRING_BYTES:
            parts.append(b'"' + _marker(f"is a string of more than {MAX_STRING_BYTES:,} bytes") + b'"')
            self.marked += 1
            self.held, self.state = [], "skip-string"

    def _out_of_string(self, data: bytes, at: int) -> bytes:
        """``data``, which starts outside any string, checked up to where an open string or a number
        at its end starts; that tail is held."""
        masked = _masked(data)
        if masked.count(b'"') % 2:
            start = masked.rfind(b'"')
            self.state, self.held, self.held_at, self.held_bytes = "string", [data[start:]], at + start, 0
            self.held_bytes = len(data) - start
            self.escaped = masked.endswith(b"\\")
        else:
            start = len(data.rstrip(_NUMBER_CHARS))
            if start < len(data):
                self.state, self.held, self.held_at = "number", [data[start:]], at + start
                self.held_bytes = len(data) - start
        checked = self._checked(data[:start], at, masked[:start])
        if self.state == "string" and self.held_bytes - 2 > MAX_STRING_BYTES:  # a read longer than the bound
            parts: list[bytes] = [checked]
            self.held_bytes, self.held = 0, []
            self._hold(data[start:], parts)
            return b"".join(parts)
        if self.state == "number" and self.held_bytes > _HELD_NUMBER:
            problem = (
                _number_problem(data[start:]) or f"is a number of more than {MAX_NUMBER_DIGITS:,} digits"
            )
            self.marked += 1
            self.held, self.state = [], "skip-number"
            return checked + b'"' + _marker(problem) + b'"'
        return checked

    def _checked(self, data: bytes, at: int, masked: bytes | None = None) -> bytes:
        """``data`` (whole strings and numbers only, starting outside a string) with its bad values marked."""
        masked = _masked(data) if masked is None else masked
        if not self.check_values:
            return data
        spans = self._bad_numbers(masked)
        if not self._strings_clean(masked):
            spans = sorted(spans + self._bad_strings(data, masked, at))
        if not spans:
            return data
        self.marked += len(spans)
        parts, position = [], 0
        for start, end, replacement in spans:
            parts += [data[position:start], replacement]
            position = end
        parts.append(data[position:])
        return b"".join(parts)

    @staticmethod
    def _bad_numbers(masked: bytes) -> list[tuple[int, int, bytes]]:
        """(start, end, marker) of every number outside a string that Python cannot read."""
        spans: list[tuple[int, int, bytes]] = []
        inside, counted = 0, 0  # whether ``counted`` is inside a string (counting quotes as it goes)
        suspects = (
            _SUSPECT_NUMBER.finditer(masked) if _TEN_DIGITS in masked.translate(_DIGITS_AS_NINES) else ()
        )
        for suspect in suspects:
            position = suspect.start()
            inside, counted = (inside + masked.count(b'"', counted, position)) % 2, position
            if inside or (spans and position < spans[-1][1]):
                continue  # inside a string (text, not a number), or in the number just marked
            before = masked[max(0, position - _HELD_NUMBER) : position]
            start = position - (len(before) - len(before.rstrip(_NUMBER_CHARS)))
            end = _NUMBER_RUN.match(masked, position).end()  # type: ignore[union-attr]
            problem = _number_problem(masked[start:end])
            if problem:
                spans.append((start, end, b'"' + _marker(problem) + b'"'))
        return spans

    @staticmethod
    def _strings_clean(masked: bytes) -> bool:
        contents = b'"'.join(masked.split(b'"')[1::2])
        if _CONTROL.search(contents):
            return False
        try:
            contents.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    @staticmethod
    def _bad_strings(data: bytes, masked: bytes, at: int) -> list[tuple[int, int, bytes]]:
        """(start, end, marker) of the content of every string in ``data`` that holds a byte no JSON string may."""
        spans, position = [], 0
        for index, piece in enumerate(masked.split(b'"')):
            if index % 2:
                problem = _string_problem(data[position : position + len(piece)], at + position)
                if problem:
                    spans.append((position, position + len(piece), _marker(problem)))
            position += len(piece) + 1
        return spans
