"""The baseline: data.gov's current harvester loop, serial, one record at a time, over the same records.

One loop (`run_loop`) over a record iterator, in one of two modes:

- ``full``: per record, sha256 of the key- and list-sorted JSON (the harvester's change detection),
  then jsonschema Draft 2020-12 validation with format checking against the DCAT-US 1.1 dataset
  schema. What the harvester does on a first harvest.
- ``hash-only``: per record, the same hash, compared with the hash the previous run stored; only
  records whose hash changed (or that are new) are validated. What the harvester does for records
  it has already seen: an unchanged re-harvest validates nothing.

Two record sources feed it: `disk_records` reads a generated tree from disk (data.json datasets, then
the DCAT-US JSON the generator wrote beside each WAF record: the real harvester sends XML to a
separate translation service first, so this skips XML parsing and the crosswalk and is flattered);
`http_records` fetches each data.json over HTTP with urllib, one request per source, as the
harvester does. Both are lazy, so the loop's time includes reading, fetching and parsing.
"""

import hashlib
import json
import time
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[1]
HARVESTER_SCHEMA = (
    REPO.parent / "shared" / "realdata" / "schema" / "datagov-harvester-dcatus1.1" / "federal_dataset.json"
)
PROJECT_SCHEMA = REPO / "transforms" / "gate" / "dcatus_schema" / "dataset-federal.json"
LOOP_MODES = ("full", "hash-only")

# (source id, record) pairs: a record is known by its source and identifier, as in the harvester.
SourcedRecords = Iterable[tuple[str, dict]]


@dataclass
class BaselineResult:
    """What the loop did: records seen, validated, invalid, changed; seconds; schema; the hashes it stored."""

    records: int
    invalid: int
    seconds: float
    schema: str
    mode: str = "full"
    validated: int = 0
    changed: int = 0
    hashes: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def rate(self) -> float:
        """Records per second."""
        return self.records / self.seconds if self.seconds else 0.0


def schema_path() -> Path:
    """datagov-harvester's own federal dataset schema when ../shared is there, else the project's."""
    return HARVESTER_SCHEMA if HARVESTER_SCHEMA.is_file() else PROJECT_SCHEMA


def sort_dataset(value):
    """Keys sorted and lists sorted (by their JSON), recursively, as the harvester does before hashing."""
    if isinstance(value, dict):
        return {key: sort_dataset(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return sorted(
            (sort_dataset(item) for item in value), key=lambda item: json.dumps(item, sort_keys=True)
        )
    return value


def disk_records(root: Path) -> Iterator[tuple[str, dict]]:
    """Every record of a generated tree, read from disk: data.json datasets, then the WAF records' DCAT-US JSON."""
    root = Path(root)
    for path in sorted((root / "www" / "datajson").glob("*/data.json")):
        for record in json.loads(path.read_text("utf-8"))["dataset"]:
            yield path.parent.name, record
    for path in sorted((root / "baseline").glob("*.jsonl")):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                yield path.stem, json.loads(line)


def datajson_urls(root: Path, base_url: str) -> dict[str, str]:
    """Source id -> URL of its data.json, for a generated tree served (its ``www`` folder) at ``base_url``."""
    base = base_url.rstrip("/")
    return {
        path.parent.name: f"{base}/datajson/{path.parent.name}/data.json"
        for path in sorted((Path(root) / "www" / "datajson").glob("*/data.json"))
    }


def http_records(urls: dict[str, str], timeout_s: float = 300.0) -> Iterator[tuple[str, dict]]:
    """Every dataset of each source's data.json, fetched with one urllib request per source and parsed."""
    for source, url in urls.items():
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - http(s) only
            catalog = json.loads(response.read())
        for record in catalog["dataset"]:
            yield source, record


def harvester_validator(schema: Path | None = None) -> Draft202012Validator:
    """The loop's validator: Draft 2020-12 with format checking, on ``schema`` (default: schema_path())."""
    schema = schema or schema_path()
    return Draft202012Validator(
        json.loads(Path(schema).read_text("utf-8")), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def record_digest(record: dict) -> str:
    """The harvester's change-detection hash of one record: sha256 of its key- and list-sorted JSON."""
    return hashlib.sha256(json.dumps(sort_dataset(record)).encode("utf-8")).hexdigest()


def run_loop(
    records: SourcedRecords,
    mode: str = "full",
    previous: dict[str, str] | None = None,
    schema: Path | None = None,
) -> BaselineResult:
    """Hash every record and validate it (``full``) or only if its hash differs from ``previous`` (``hash-only``).

    Timed end to end, consuming ``records`` included. ``previous`` maps "source/identifier" to the
    sha256 a previous run stored (`BaselineResult.hashes`); in hash-only mode a record absent from it
    is new, so it is validated.
    """
    if mode not in LOOP_MODES:
        raise ValueError(f"mode must be one of {LOOP_MODES}, not {mode!r}")
    schema = schema or schema_path()
    validator = harvester_validator(schema)
    previous = previous or {}
    hashes: dict[str, str] = {}
    started = time.perf_counter()
    seen = validated = invalid = changed = 0
    for source, record in records:
        digest = record_digest(record)
        key = f"{source}/{record.get('identifier')}"
        hashes[key] = digest
        seen += 1
        if previous.get(key) != digest:
            changed += 1
        elif mode == "hash-only":
            continue  # seen before, same content: the harvester neither validates nor transforms it
        validated += 1
        invalid += bool(list(validator.iter_errors(record)))  # every error, as the harvester reports them
    seconds = time.perf_counter() - started
    return BaselineResult(seen, invalid, seconds, str(schema), mode, validated, changed, hashes)


def run_baseline(root: Path, schema: Path | None = None) -> BaselineResult:
    """The full loop over a generated tree read from disk (the per-size baseline of `make bench`)."""
    return run_loop(disk_records(root), "full", schema=schema)
