"""The values of a data.json that must reject only their dataset, found in the byte stream before ijson.

Some values, if yajl or Python met them, would fail the whole catalog, or cost time that grows
with the square of their size. :class:`ValueGuardStream` sits under ijson, finds each one with
a few passes of C code per read (no Python per byte or per token), and writes in its place a
*marker*: the noncharacter U+FDD1, a phrase saying what was wrong, U+FDD1 again, all as JSON
escapes, so the document stays valid JSON and the rest of it parses as before.
:func:`transforms.fetch.json_stream.repaired` then rejects the dataset holding a marker, with the
field's name and the phrase as the reason.

- **Long strings and numbers.** yajl lexes a token that spans two reads again from its start at
  every read, so one string of n bytes cost n²/64 KiB. The guard holds back an open string or
  number until it ends and hands it on whole (one lexing pass); one longer than
  :data:`MAX_TOKEN_BYTES` becomes a marker and its remaining bytes are skipped unread.
- **Numbers Python cannot read**, which a catalog read exactly (an integer beyond 2^63 somewhere)
  would hand to Python: an integer of more than :data:`MAX_NUMBER_DIGITS` digits (Python's
  int-string conversion limit) becomes a marker; so does a number with an exponent of
  :data:`HUGE_EXPONENT_DIGITS` digits or more (``decimal`` refuses the largest), unless it is zero
  or its exponent negative, when it becomes ``0.0``, as a double reads it.
- **Bytes no JSON string may hold**: a byte that is not UTF-8 and a raw control character (a tab or
  a newline not written as ``\\t`` or ``\\n``). The string's content becomes a marker naming the
  first such byte and where it is in the document.

Numbers and strings' bytes are looked into only when ``check_values``: the first pass sets it when
reading without it raised (``transforms.fetch.datajson.inspect_catalog``), so a catalog without
such values pays for neither; and each rule marks only what would have raised, so a value's
verdict never depends on what else its catalog holds.

Quotes are told apart from escaped ones by replacing every backslash escape with two plain bytes
(:func:`_masked`), which keeps every offset: a quote left is the start or the end of a string.
"""

import re
import sys
from typing import IO

# One string's or number's bytes: 25 times the longest value in the real catalogs of the test data
# (a 310 KB polygon), a third of the 20 MB an XML record may have.
MAX_TOKEN_BYTES = 8 << 20
MAX_NUMBER_DIGITS = min(4300, sys.get_int_max_str_digits() or 4300)  # Python's own limit, 4,300
HUGE_EXPONENT_DIGITS = 17  # 1e10000000000000000: far beyond a double, and near decimal's limit (10^18)
READ_SIZE = 64 * 1024

MARKER = "\ufdd1"
_MARKER_ESCAPE = b"\\ufdd1"
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NUMBER_CHARS = b"-+.eE0123456789"
_NUMBER_RUN = re.compile(rb"[-+.eE0-9]*")
# The look-behind makes a try inside a run of digits fail at once: each run is read once, not once per digit.
_SUSPECT_NUMBER = re.compile(
    rb"(?<![-0-9])[-0-9]{%d,}|[eE][-+]?0*[1-9][0-9]{%d,}" % (MAX_NUMBER_DIGITS + 1, HUGE_EXPONENT_DIGITS - 1)
)
_NUMBER = re.compile(rb"(-?)([0-9]*)\.?([0-9]*)(?:[eE]([-+]?)0*([0-9]*))?\Z")
# Every suspect holds a run of ten digits: looked for first in the bytes with every digit made a 9,
# which is C's fast substring search (the regular expression alone costs more than the parse).
_DIGITS_AS_NINES = bytes(0x39 if 0x30 <= byte <= 0x39 else 0x78 for byte in range(256))
_TEN_DIGITS = b"9" * 10
_CONTROL = re.compile(rb"[\x00-\x1f]")


def _masked(data: bytes) -> bytes:
    """``data`` with every backslash escape replaced by two plain bytes: its quotes are the unescaped ones."""
    return _ESCAPE.sub(b"__", data) if b"\\" in data else data


def _marker(phrase: str) -> bytes:
    return _MARKER_ESCAPE + phrase.encode("ascii") + _MARKER_ESCAPE


def _number_replacement(token: bytes) -> bytes | None:
    """What a number token Python cannot read becomes (a marker, or 0.0), or None for one it can."""
    number = _NUMBER.match(token)
    if not number:
        return None  # not a number at all: yajl refuses the document
    sign, whole, fraction, exponent_sign, exponent = number.groups()
    if exponent is None and not fraction and len(whole) > MAX_NUMBER_DIGITS and b"." not in token:
        return b'"' + _marker(f"is a number of more than {MAX_NUMBER_DIGITS:,} digits") + b'"'
    if exponent is None or len(exponent) < HUGE_EXPONENT_DIGITS:
        return None
    if exponent_sign == b"-" or not (whole + fraction).strip(b"0"):
        return sign + b"0.0"
    return b'"' + _marker("is a number too large to keep") + b'"'


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _run_start(masked: bytes, position: int) -> int:
    """Where the run of number characters that reaches ``position`` starts (looking back in doubling
    windows, so the cost is that of the run)."""
    width = 64
    while True:
        low = max(0, position - width)
        kept = masked[low:position].rstrip(_NUMBER_CHARS)
        if kept or not low:
            return low + len(kept)
        width *= 2


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
    return more than ``size`` bytes (a token of up to MAX_TOKEN_BYTES) or, at the end, less.
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
        """What goes on of ``chunk`` (the document from byte ``at``) and of what was held before it."""
        parts: list[bytes] = []
        if self.state != "out":
            end = self._token_end(chunk)
            held = self.state in ("string", "number")
            if end < 0:
                if held:
                    self._hold(chunk, parts)
                return b"".join(parts)
            if held:
                self._hold(chunk[:end], parts, ended=True)
            if self.state in ("string", "number"):  # within the bound: the token goes on whole, checked
                parts.append(self._checked(b"".join(self.held), self.held_at))
            chunk, at, self.state, self.held = chunk[end:], at + end, "out", []
        parts.append(self._out_of_string(chunk, at))
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _token_end(self, chunk: bytes) -> int:
        """Just past where the held (or skipped) string or number ends in ``chunk``, or -1."""
        if self.state.endswith("number"):
            run = _NUMBER_RUN.match(chunk).end()  # type: ignore[union-attr]
            return -1 if run == len(chunk) else run
        first = 1 if self.escaped else 0
        masked = _masked(chunk[first:])
        quote = masked.find(b'"')
        self.escaped = quote < 0 and masked.endswith(b"\\")
        return -1 if quote < 0 else first + quote + 1

    def _hold(self, data: bytes, parts: list[bytes], ended: bool = False) -> None:
        """Hold ``data`` as more of the open string or number; past MAX_TOKEN_BYTES (a string's quotes
        not counted) it becomes a marker in ``parts``, and the rest of it is skipped."""
        self.held.append(data)
        self.held_bytes += len(data)
        kind = self.state
        if self.held_bytes - (1 + ended if kind == "string" else 0) > MAX_TOKEN_BYTES:
            parts.append(b'"' + _marker(f"is a {kind} of more than {MAX_TOKEN_BYTES:,} bytes") + b'"')
            self.marked += 1
            self.held, self.state = [], f"skip-{kind}"

    def _out_of_string(self, data: bytes, at: int) -> bytes:
        """``data``, which starts outside any string, checked up to where an open string or a number
        at its end starts; that tail is held."""
        masked = _masked(data)
        if masked.count(b'"') % 2:
            start, self.state = masked.rfind(b'"'), "string"
            self.escaped = masked.endswith(b"\\")
        else:
            start = len(data.rstrip(_NUMBER_CHARS))
            self.state = "number" if start < len(data) else "out"
        parts = [self._checked(data[:start], at)]
        if self.state != "out":
            self.held, self.held_at, self.held_bytes = [], at + start, 0
            self._hold(data[start:], parts)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _checked(self, data: bytes, at: int) -> bytes:
        """``data`` (whole strings and numbers only, starting outside a string) with its bad values marked.

        Bytes that are not UTF-8 are looked for always (yajl lets some through, and Python's error
        then, raised inside ijson's C callback, leaves the parser broken); the rest when ``check_values``.
        """
        utf8 = _is_utf8(data)
        if utf8 and not self.check_values:
            return data
        masked = _masked(data)
        spans = self._bad_numbers(masked) if self.check_values else []
        if not utf8 or (self.check_values and _CONTROL.search(b'"'.join(masked.split(b'"')[1::2]))):
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
            start = _run_start(masked, position)
            end = _NUMBER_RUN.match(masked, position).end()  # type: ignore[union-attr]
            replacement = _number_replacement(masked[start:end])
            if replacement is not None:
                spans.append((start, end, replacement))
        return spans

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
