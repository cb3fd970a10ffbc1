"""The baseline: data.gov's current harvester loop, serial, one record at a time, over the same records.

Per record: sha256 of the key- and list-sorted JSON (the harvester's change detection), then
jsonschema Draft 2020-12 validation with format checking against the DCAT-US 1.1 dataset schema.
WAF records enter as the DCAT-US JSON the generator also wrote for them: the real harvester sends
XML to a separate translation service first, so the baseline skips XML parsing and the crosswalk
and is flattered.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[1]
HARVESTER_SCHEMA = (
    REPO.parent / "shared" / "realdata" / "schema" / "datagov-harvester-dcatus1.1" / "federal_dataset.json"
)
PROJECT_SCHEMA = REPO / "transforms" / "dcatus_schema" / "dataset-federal.json"


@dataclass
class BaselineResult:
    """What the loop did: records, how many failed validation, seconds, and which schema it used."""

    records: int
    invalid: int
    seconds: float
    schema: str

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


def _records(root: Path):
    """Every record of a generated tree as a dict: data.json datasets, then the WAF records' DCAT-US JSON."""
    for path in sorted((root / "www" / "datajson").glob("*/data.json")):
        yield from json.loads(path.read_text("utf-8"))["dataset"]
    for path in sorted((root / "baseline").glob("*.jsonl")):
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)


def run_baseline(root: Path, schema: Path | None = None) -> BaselineResult:
    """Hash and validate every record of a generated tree in one serial loop, timing it end to end."""
    schema = schema or schema_path()
    validator = Draft202012Validator(
        json.loads(schema.read_text("utf-8")), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    started = time.perf_counter()
    records = invalid = 0
    for record in _records(Path(root)):
        hashlib.sha256(json.dumps(sort_dataset(record)).encode("utf-8")).hexdigest()
        errors = list(validator.iter_errors(record))
        records += 1
        invalid += bool(errors)
    return BaselineResult(records, invalid, time.perf_counter() - started, str(schema))
