"""Crosswalk coverage: what the ISO/FGDC crosswalk keeps of every real XML record.

Reads every ``*.xml`` file under ../shared/realdata/waf in-process with
transforms.crosswalk.transform.transform_record (no Spark) and prints a table:

- how many files produce a dataset, and how many of those pass the non-federal DCAT-US 1.1
  schema with format checks (transforms.gate.schema_check);
- the share of required fields filled from the source rather than by a fix-up default
  (accessLevel aside: ISO and FGDC have no such field, its default is by design);
- for each recommended field, how many datasets have it from the source.

A field counts as a default when a fix-up filled it: fix-ups leave a ``fixup: <field> missing``
or ``fixup: <field>.<part> missing`` warning (transforms.crosswalk.fixups). The theme fix-up
adds 'geospatial' to every record, so theme counts only when another theme is there. An XML
record without a fileIdentifier (every FGDC record) is identified by its URL: counted as from
the source (no fix-up is involved), and shown on a line of its own.

Last, every value published for a record is looked up in the record
(benchmarks.crosswalk_coverage_provenance): the crosswalk may reformat what the XML says, never
add to it, so "published values absent from the XML" should stay 0 (--files names each).

    python -m benchmarks.crosswalk_coverage [--files]
"""

import argparse
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.crosswalk_coverage_provenance import absent_values, record_text
from transforms.crosswalk.transform import transform_record
from transforms.crosswalk.xml_kinds import record_root
from transforms.gate.schema_check import NON_FEDERAL, checker
from transforms.safety.xml_safety import parse_xml

WAF = Path(__file__).resolve().parents[1].parent / "shared" / "realdata" / "waf"
REQUIRED = ("title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier")
RECOMMENDED = (
    "rights",
    "license",
    "isPartOf",
    "issued",
    "accrualPeriodicity",
    "theme",
    "distribution mediaType or format",
    "temporal",
    "spatial",
)
_DEFAULTED = re.compile(r"^fixup: (\w+)(?:\.\w+)? missing")
_LANDING_PAGE_ADDED = "fixup: landingPage is not a distribution"


@dataclass
class FileCoverage:
    """What one file became: its rejection, or its dataset's schema errors and field sources."""

    path: str
    error: str | None = None
    schema_errors: int = 0
    identifier_is_url: bool = False
    required: dict[str, bool] = field(default_factory=dict)
    recommended: dict[str, bool] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)


def _recommended(dataset: dict) -> dict[str, bool]:
    items = [i for i in dataset.get("distribution") or [] if isinstance(i, dict)]
    found = {name: bool(dataset.get(name)) for name in RECOMMENDED}
    found["theme"] = any(theme != "geospatial" for theme in dataset.get("theme") or [])
    found["distribution mediaType or format"] = any(i.get("mediaType") or i.get("format") for i in items)
    return found


def measure_file(path: Path) -> FileCoverage:
    """Transform one XML file as a WAF record with default fix-ups and measure what it kept."""
    relative = path.relative_to(WAF).as_posix()
    raw = path.read_text(encoding="utf-8", errors="replace")
    result = transform_record(
        "xml", raw, f"https://example.gov/waf/{relative}", None, {}, "Example Organization"
    )
    if result.error:
        return FileCoverage(relative, result.error)
    dataset = result.dataset or {}
    defaulted = {match.group(1) for w in result.warnings if (match := _DEFAULTED.match(w))}
    identifier_is_url = dataset.get("identifier") == f"https://example.gov/waf/{relative}"
    by_default = defaulted | ({"identifier"} if identifier_is_url else set())
    if any(w.startswith(_LANDING_PAGE_ADDED) for w in result.warnings):
        by_default.add("landingPage distribution")
    absent = absent_values(dataset, record_text(record_root(parse_xml(raw))), by_default)
    return FileCoverage(
        relative,
        schema_errors=len(checker(NON_FEDERAL).errors(dataset)),
        identifier_is_url=identifier_is_url,
        required={name: bool(dataset.get(name)) and name not in defaulted for name in REQUIRED},
        recommended=_recommended(dataset),
        absent=absent,
    )


def measure(root: Path = WAF) -> list[FileCoverage]:
    """Coverage of every XML file under `root`, in path order."""
    return [measure_file(path) for path in sorted(root.rglob("*.xml"))]


def _share(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / total:.1f}%)" if total else "0/0"


def table(found: list[FileCoverage]) -> str:
    """The coverage table as text."""
    datasets = [f for f in found if f.error is None]
    required = [ok for f in datasets for ok in f.required.values()]
    lines = [
        f"XML files                                   {len(found)}",
        f"produce a dataset                           {len(datasets)}",
        f"pass the non-federal DCAT-US 1.1 schema     {sum(f.schema_errors == 0 for f in datasets)}",
        f"required fields from the source             {_share(sum(required), len(required))}"
        "  (accessLevel aside)",
    ]
    for name in REQUIRED:
        lines.append(f"  {name:<42}{_share(sum(f.required[name] for f in datasets), len(datasets))}")
    lines.append(
        f"    of which the record's URL (no fileIdentifier) {sum(f.identifier_is_url for f in datasets)}"
    )
    lines.append("recommended fields from the source (of datasets)")
    for name in RECOMMENDED:
        lines.append(f"  {name:<42}{_share(sum(f.recommended[name] for f in datasets), len(datasets))}")
    absent = [a for f in datasets for a in f.absent]
    lines.append(f"published values absent from the XML         {len(absent)}")
    for name, count in sorted(Counter(a.partition(":")[0] for a in absent).items()):
        lines.append(f"  {name:<42}{count}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--files", action="store_true", help="also list each file's rejection or missing fields"
    )
    args = parser.parse_args()
    if not WAF.is_dir():
        raise SystemExit(f"{WAF} is absent: the coverage is measured on the real WAF samples there")
    found = measure()
    print(table(found))
    if args.files:
        for item in found:
            missing = [n for n, ok in {**item.required, **item.recommended}.items() if not ok]
            state = item.error or f"{item.schema_errors} schema errors; not from source: {', '.join(missing)}"
            print(f"{item.path}: {state}")
            for value in item.absent:
                print(f"    absent from the XML: {value}")


if __name__ == "__main__":
    main()
