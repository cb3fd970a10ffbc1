"""What a data.json catalog's bytes may hold that must not fail a source, handled while streaming.

- **Lone surrogate escapes** (``"it\\udc92s"``: a Windows-1252 byte that some tool turned into a
  surrogate escape and wrote out). yajl's C backend raises ``UnicodeDecodeError`` on them, so they
  are rewritten in the byte stream, before ijson sees them, into a marker: the noncharacter U+FDD0
  (which Unicode reserves for a program's internal use) and U+10FF00 plus the byte (a valid
  surrogate pair). :func:`repaired` later turns each marker into the Windows-1252 character the
  byte stands for (U+FFFD for any other lone surrogate) and names the field in a warning. The
  scan is one regular expression without backtracking.
- **Deep nesting.** ijson's prefixed events build a prefix string per event as long as the depth,
  quadratic on ``[[[[...``; the catalog checks and this module's builder use ``basic_parse`` with
  their own depth counter, and a dataset deeper than :data:`MAX_RECORD_DEPTH` is rejected.
- **Numbers yajl cannot hold** (an integer beyond 2^63): read exactly (``use_float=False``), then
  integers keep their value and other numbers become floats; one too large for a float rejects
  only its dataset.
- **Values that must reject only their dataset** (a string longer than a dataset may hold, a number
  Python cannot read, a byte no JSON string may hold) are marked in the byte stream by
  :class:`transforms.fetch.json_guard.ValueGuardStream`, which also hands ijson whole strings (yajl
  lexes a string split over many reads in time quadratic in its length); :func:`repaired` turns a
  marker into the dataset's rejection. Every catalog pass reads through a :class:`CatalogStream`.
"""

import math
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any, NamedTuple

import ijson

from transforms.fetch.json_guard import MARKER, ValueGuardStream
from transforms.isolation import bounded

MAX_RECORD_DEPTH = 32  # levels of objects and arrays in one dataset; real catalogs use at most 5
# An escaped backslash (consumed whole, so the scan never starts inside one), a valid surrogate pair
# (kept), or a lone \uD800-\uDFFF escape (rewritten).
_ESCAPES = re.compile(
    rb"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
)
_LONGEST_ESCAPE = 12
_MARKER_BASE = 0x10FF00  # after U+FDD0: U+10FF80..U+10FFFF a lone \udc80..\udcff, U+10FF00 any other
_SURROGATE = re.compile("[\ud800-\udfff]")
_DAMAGE = re.compile("[\ud800-\udfff]|\ufdd0[\U0010ff00-\U0010ffff]")
_UNREADABLE = re.compile(f"{MARKER}([^{MARKER}]*){MARKER}")
_CONTAINER_STARTS = ("start_map", "start_array")
_CONTAINER_ENDS = ("end_map", "end_array")


class TooDeep:
    """Stands for a dataset nested deeper than MAX_RECORD_DEPTH: ``value`` is what of it was built
    (every value deeper than the limit left out, as null), enough to read its identifier."""

    def __init__(self, value: Any):
        self.value = value


class Markers(NamedTuple):
    """Which markers the byte stream may hold: lone surrogates rewritten, unreadable values marked."""

    surrogates: bool = False
    values: bool = False


def _marker_escape(unit: int) -> bytes:
    low_byte = unit - 0xDC00 if 0xDC80 <= unit <= 0xDCFF else 0
    code = _MARKER_BASE + low_byte - 0x10000
    return b"\\ufdd0\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def _fixed(match: re.Match) -> bytes:
    text = match.group()
    return _marker_escape(int(text[2:], 16)) if len(text) == 6 else text


class SurrogateRepairStream:
    """A readable byte stream that rewrites lone surrogate escapes of the stream below into markers.

    ``repairs`` counts them. A read holds back the last few bytes (an escape may straddle two reads).
    """

    def __init__(self, raw: IO[bytes] | ValueGuardStream):
        self.raw, self.carry, self.repairs = raw, b"", 0

    def tell(self) -> int:
        """Where the stream below is: roughly how far parsing got, for error messages."""
        return self.raw.tell()

    def _rewrite(self, buffer: bytes, final: bool) -> bytes:
        cut = len(buffer) if final else max(0, len(buffer) - _LONGEST_ESCAPE)
        parts, position = [], 0
        for match in _ESCAPES.finditer(buffer):
            if match.start() >= cut:
                break
            fixed = _fixed(match)
            if fixed != match.group():
                self.repairs += 1
                parts += [buffer[position : match.start()], fixed]
                position = match.end()
            cut = max(cut, match.end())
        parts.append(buffer[position:cut])
        self.carry = buffer[cut:]
        return b"".join(parts)

    def read(self, size: int = -1) -> bytes:
        """Up to about ``size`` bytes, rewritten; empty only at the end of the stream (or for ``size`` 0)."""
        if size == 0:
            return b""  # ijson reads 0 bytes to learn whether the stream gives bytes or text
        while True:
            chunk = self.raw.read(size if size > 0 else 64 * 1024)
            buffer = self.carry + chunk
            if b"\\" not in buffer:
                self.carry = b""
                return buffer
            data = self._rewrite(buffer, final=not chunk)
            if data or not chunk:
                return data


def _replacement(match: re.Match) -> str:
    """The character a lone surrogate (or its marker) stands for: Windows-1252 for a byte, else U+FFFD."""
    text = match.group()
    byte = ord(text[-1]) - (_MARKER_BASE if len(text) == 2 else 0xDC00)
    if 0x80 <= byte <= 0xFF:
        try:
            return bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: no character in Windows-1252
            pass
    return "\ufffd"


class CatalogStream(SurrogateRepairStream):
    """What ijson reads of a catalog: its bytes with unreadable values marked (and strings whole, see
    ValueGuardStream), then lone surrogate escapes rewritten. ``raw`` is at the JSON text's start;
    ``check_values`` looks into every string and number (CatalogInfo.check_values)."""

    def __init__(self, raw: IO[bytes], check_values: bool = False):
        self.guard = ValueGuardStream(raw, check_values)
        super().__init__(self.guard)

    @property
    def marked(self) -> int:
        """How many values the stream replaced by a marker so far."""
        return self.guard.marked


class UnreadableValue(ValueError):
    """A value that rejects its dataset (a number no float holds, a marked value); the message names the field."""


def repaired(value, path: str, warnings: list[str], markers: Markers):
    """``value`` with lone surrogates (and the stream's surrogate markers) repaired and exact numbers
    made plain, one warning per repaired field; UnreadableValue for a number no float holds or a
    value the stream marked unreadable."""
    if isinstance(value, str):
        unreadable = _UNREADABLE.search(value) if markers.values else None
        if unreadable:
            raise UnreadableValue(bounded(f"{path or 'a field name'} {unreadable.group(1)}"))
        damage = _damage(markers.surrogates)
        found = damage.findall(value)
        if not found:
            return value
        fixed = damage.sub(_replacement, value)
        characters = "".join(dict.fromkeys(_replacement(damage.match(c)) for c in found))  # type: ignore[arg-type]
        warnings.append(
            bounded(
                f"extract: {path or 'a field name'} had {len(found)} invalid \\u escape(s) "
                f"(a lone surrogate); replaced with {characters!r}"
            )
        )
        return fixed
    if isinstance(value, dict):
        return {
            repaired(key, path, warnings, markers): repaired(
                item, f"{path}.{key}" if path else str(key), warnings, markers
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [repaired(item, f"{path}[{index}]", warnings, markers) for index, item in enumerate(value)]
    if isinstance(value, Decimal):
        number = float(value)
        if math.isinf(number):
            raise UnreadableValue(bounded(f"{path} is a number too large to keep"))
        return number
    return value


def _damage(markers: bool) -> re.Pattern:
    return _DAMAGE if markers else _SURROGATE


def needs_repair(text: str, markers: Markers) -> bool:
    """True when the canonical text of a dataset holds a lone surrogate or a marker the stream may hold."""
    if text.isascii():  # neither is ASCII: most records are, seen so in C at a fraction of the pattern's scan
        return False
    return bool(_damage(markers.surrogates).search(text)) or (markers.values and MARKER in text)


def built(event: str, value: Any, events: Iterator[tuple[str, Any]]) -> Any:
    """The JSON value that starts with basic event (event, value), built from the events that follow; a
    value nested deeper than MAX_RECORD_DEPTH comes back as a TooDeep holding what was built of it."""
    builder, depth, too_deep = ijson.ObjectBuilder(), 0, False
    while True:
        if event in _CONTAINER_STARTS:
            depth += 1
            too_deep = too_deep or depth > MAX_RECORD_DEPTH
        if depth <= MAX_RECORD_DEPTH:  # depth: the level of the container the event opens, closes or is in
            builder.event(event, value)
        elif depth == MAX_RECORD_DEPTH + 1 and event in _CONTAINER_STARTS:
            builder.event("null", None)  # the first container too deep to build stands as null
        if event in _CONTAINER_ENDS:
            depth -= 1
        if not depth:
            return TooDeep(builder.value) if too_deep else builder.value
        event, value = next(events)


def _array_items(events: Iterator[tuple[str, Any]]) -> Iterator[Any]:
    """The entries of the array whose start_array was just read, each built; ends after its end_array."""
    for event, value in events:
        if event == "end_array":
            return
        yield built(event, value, events) if event in _CONTAINER_STARTS else value


def datasets_built(
    stream: SurrogateRepairStream | IO[bytes], use_float: bool
) -> Iterator[tuple[int, object]]:
    """(index, value) of every top-level ``dataset`` array entry, built from basic events; an entry
    deeper than MAX_RECORD_DEPTH comes back as a TooDeep."""
    events = iter(ijson.basic_parse(stream, use_float=use_float))
    depth, top_key, index = 0, None, 0
    for event, value in events:
        if depth == 1 and event == "map_key":
            top_key = value
        elif depth == 1 and top_key == "dataset" and event == "start_array":
            for item in _array_items(events):  # the walk is at depth 1 again after the array
                yield index, item
                index += 1
        elif event in _CONTAINER_STARTS:
            depth += 1
        elif event in _CONTAINER_ENDS:
            depth -= 1
