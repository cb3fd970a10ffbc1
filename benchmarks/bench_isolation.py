"""Growth of the work hostile input costs, before and after issue 13: seconds per input size.

Four inputs a publisher controls once cost time quadratic in their size: unclosed ``<a href=`` in
a WAF listing (the anchor regex), deep ``[[[[`` in a data.json (ijson's prefixed events), one long
string in a data.json (yajl lexes a string split over n reads n times; now it gets each string
whole, and one longer than 8 MiB is skipped unread) and a description of spaces that ends in a
letter (the trailing-space regex). Each is timed at growing
sizes with the old code (kept here only to be measured, and only at sizes it survives) and with
the code that replaced it. Then one real catalog through both first passes and the second pass,
to show what the new reading costs a normal catalog.

    python -m benchmarks.bench_isolation            # about a minute on one core
"""

import io
import re
import time
from pathlib import Path

import ijson

from transforms.crosswalk.normalize import normalize_text
from transforms.fetch.datajson import inspect_catalog, iter_datasets
from transforms.fetch.json_stream import SurrogateRepairStream
from transforms.fetch.waf_listing import parse_listing

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
OLD_ANCHOR = re.compile(
    r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>.*?</a\s*>""", re.IGNORECASE | re.DOTALL
)
OLD_TRAILING = re.compile(r"[ \t\f\v]+$", re.MULTILINE)


def seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def old_first_pass(body: bytes) -> None:
    """The first pass as it was: every event with its prefix."""
    for _prefix, _event, _value in ijson.parse(io.BytesIO(body), use_float=True):
        pass


def new_first_pass(body: bytes) -> None:
    inspect_catalog(io.BytesIO(body))


def old_stream_pass(body: bytes) -> None:
    """The first pass's events as they were read: the byte stream with no value guard under ijson."""
    for _event in ijson.basic_parse(SurrogateRepairStream(io.BytesIO(body))):
        pass


def one_string(mib: int) -> bytes:
    return b'{"dataset": [{"identifier": "a", "description": "' + b"x" * (mib << 20) + b'"}]}'


def nested(depth: int) -> bytes:
    return b'{"dataset": [' + b"[" * depth + b"]" * depth + b"]}"


def table(title: str, rows: list[tuple]) -> None:
    print(f"\n{title}\n{'input':>12} {'old s':>10} {'new s':>10}")
    for size, old, new in rows:
        print(f"{size:>12,} {old if isinstance(old, str) else f'{old:.3f}':>10} {new:>10.3f}")


def main() -> None:
    url = "https://x.gov/waf/"
    table(
        "WAF listing of unclosed <a href=...> (bytes)",
        [
            (
                16 * n,
                seconds(lambda n=n: list(OLD_ANCHOR.finditer('<a href="f.xml">' * n))) if n <= 4000 else "-",
                seconds(lambda n=n: parse_listing('<a href="f.xml">' * n, url)),
            )
            for n in (640, 1280, 2560, 4000, 64_000)
        ],
    )
    table(
        "data.json nested arrays (levels)",
        [
            (
                depth,
                seconds(lambda d=depth: old_first_pass(nested(d))) if depth <= 40_000 else "-",
                seconds(lambda d=depth: new_first_pass(nested(d))),
            )
            for depth in (5_000, 10_000, 20_000, 40_000, 1_000_000)
        ],  # fmt: skip
    )
    table(
        "data.json one long string (MiB)",
        [
            (
                mib,
                seconds(lambda m=mib: old_stream_pass(one_string(m))) if mib <= 16 else "-",
                seconds(lambda m=mib: new_first_pass(one_string(m))),
            )
            for mib in (2, 4, 8, 16, 64)
        ],
    )
    table(
        "description of spaces ending in a letter (characters)",
        [
            (
                n,
                seconds(lambda n=n: OLD_TRAILING.sub("", " " * n + "x")) if n <= 40_000 else "-",
                seconds(lambda n=n: normalize_text(" " * n + "x", True)),
            )
            for n in (10_000, 20_000, 40_000, 2_000_000)
        ],
    )
    catalog = REALDATA / "datajson" / "agency-normalized-2025-02" / "cms.data.json"
    if catalog.is_file():
        body = catalog.read_bytes()
        old = seconds(lambda: old_first_pass(body))
        new = seconds(lambda: new_first_pass(body))
        both = seconds(lambda: list(iter_datasets(io.BytesIO(body), inspect_catalog(io.BytesIO(body)))))
        print(
            f"\nreal catalog {catalog.name} ({len(body):,} bytes): first pass old {old:.3f} s, new {new:.3f} s"
        )
        print(f"both passes now {both:.3f} s")


if __name__ == "__main__":
    main()
