"""`harvest validate`: a publisher checks a data.json, an XML record or a WAF before publishing it.

The document goes through the harvest's own code, record by record, with no lake and no Spark:
extract's per-source pass (``transforms.fetch.source_pass``: the same fetch policy and address
guard, the same data.json splitting, the same XML decoding), compare's identifier rules, the
transform's row function (``transforms.crosswalk.transform.transform_row``) and the DCAT-US schema
check (``transforms.gate.validate.schema_findings``, with the schema of the record's DCAT-US version
and class, as the validate stage chooses it), each with its stage's guard. The reasons are worded as
a harvest words them and grouped as the report groups them (``reason_groups``); every reason of every
record is kept, and ``summary`` lists them per record as (field, reason).
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import yaml

from transforms.compare.changes import DUPLICATE_IN_SOURCE, NO_IDENTIFIER
from transforms.crosswalk.transform import transform_row, transform_settings
from transforms.fetch.http import FetchPolicy
from transforms.fetch.source_pass import source_items
from transforms.fetch.xml_files import fetch_xml_records
from transforms.gate.schema_check import checker, checker_name
from transforms.gate.validate import schema_findings
from transforms.registry import RegistryError, Source, literal_host_problem, parse_registry, published_version
from transforms.reports.reason_groups import group_records, reason_parts
from transforms.schemas import CHANGES, Action, FetchStatus, Outcome, RecordType, SourceState

SOURCE_ID = "validate"
PUBLISHABLE = "publishable"  # a record's outcome in the summary when nothing would reject it
# A refused private address, in the words of the command rather than of a registry entry.
PRIVATE_NETWORK_HINT = "pass --allow-private-network to validate it"


@dataclass
class CheckedRecord:
    """One record as the harvest would judge it: rejected with its reasons, or publishable, and its warnings."""

    identifier: str | None
    record_url: str | None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.reasons)

    def summary(self) -> dict:
        """The record as JSON: identifier, URL, outcome, and every error and warning as {field, reason}."""
        return {
            "identifier": self.identifier,
            "record_url": self.record_url,
            "outcome": Outcome.REJECTED.value if self.rejected else PUBLISHABLE,
            **{
                name: [dict(zip(("field", "reason"), reason_parts(text), strict=True)) for text in texts]
                for name, texts in (("errors", self.reasons), ("warnings", self.warnings))
            },
        }


@dataclass
class Validation:
    """What a harvest of the document would find."""

    url: str
    source_type: str
    schema: str
    status: str = SourceState.COMPLETE
    reason: str | None = None
    records: list[CheckedRecord] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)  # WAF files that could not be read

    @property
    def rejected(self) -> int:
        return sum(1 for record in self.records if record.rejected)

    @property
    def passed(self) -> bool:
        """True when the document was read and no record would be rejected."""
        return self.status == SourceState.COMPLETE and not self.rejected and not self.file_errors

    def summary(self) -> dict:
        """The result as JSON: counts, the source's failure if any, the grouped errors and warnings, and
        ``records``: each record with all of its errors and warnings."""
        groups = group_records(
            (r.identifier or r.record_url, r.rejected, r.reasons, r.warnings) for r in self.records
        )
        return {
            "url": self.url,
            "type": self.source_type,
            "schema": self.schema,
            "status": self.status,
            "reason": self.reason,
            "extracted": len(self.records),
            "rejected": self.rejected,
            "warnings": sum(1 for record in self.records if record.warnings),
            "file_errors": self.file_errors,
            **groups,
            "records": [record.summary() for record in self.records],
        }


def _private_url_problem(url: str) -> str | None:
    """Why the registry's rules refuse ``url`` without the permission, in the command's words: the
    publisher has a flag to pass, not a registry entry to edit."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        return f"{url} is a file:// URL; give the file's path instead, or {PRIVATE_NETWORK_HINT}"
    problem = literal_host_problem(url)
    return f"{url} points at {parts.hostname}, which {problem}; {PRIVATE_NETWORK_HINT}" if problem else None


def document_source(url: str, source_type: str, schema: str, allow_private_network: bool) -> Source:
    """The document as a registry entry, checked by the registry's own rules (RegistryError if wrong).

    A private or on-disk URL without ``allow_private_network`` is refused before the registry's check,
    so the reason names the command's flag; a name that only resolves to a private address is refused
    by the fetch, with the same advice (``PRIVATE_NETWORK_HINT``)."""
    problem = None if allow_private_network else _private_url_problem(url)
    if problem:
        raise RegistryError(problem)
    entry = {
        "id": SOURCE_ID,
        "title": "harvest validate",
        "organization": "harvest validate",
        "url": url,
        "type": source_type,
        "schema": schema,
        "allow_private_network": allow_private_network,
    }
    [source] = parse_registry(yaml.safe_dump({"sources": [entry]}))
    return source


def _extracted(source: Source, policy: FetchPolicy, validation: Validation) -> Iterator[dict]:
    """Extract's record rows of the document (WAF files fetched as the second pass does)."""
    todos = []
    for item in source_items(source, policy, {}):
        if item["kind"] == "status":
            validation.status, validation.reason = item["status"], item["reason"]
        elif item["kind"] == "todo":
            todos.append(item)
        else:
            yield item
    yield from fetch_xml_records(todos, policy, [source])


def _checked(row: dict, occurrences: Counter, source: Source) -> CheckedRecord:
    """Compare's identifier rules, then the transform stage's and the schema check's own guards."""
    # What extract repaired (when it says so) follows the record, as in the harvest.
    record = CheckedRecord(
        row.get("identifier"), row.get("record_url"), warnings=list(row.get("warnings") or [])
    )
    identifier = record.identifier
    if row.get("error"):
        record.reasons.append(row["error"])
    elif identifier is None:
        record.reasons.append(NO_IDENTIFIER)
    if identifier is not None and occurrences[identifier] > 1:
        record.reasons.append(DUPLICATE_IN_SOURCE % (identifier, occurrences[identifier]))
    if record.reasons:
        return record
    # As a CHANGES row: extract's rows leave out the columns a data.json record does not have, and
    # extract's job gives every record its class (a Dataset unless a 3.0 catalog said otherwise) and
    # its source's DCAT-US version.
    change = {
        **dict.fromkeys(CHANGES.fieldNames()),
        **row,
        "record_type": row.get("record_type") or RecordType.DATASET,
        "dcat_version": published_version(source),
        "reasons": [],
        "warnings": record.warnings,
    }
    # No series: those are the parents a 1.1 source names when it is published as 3.0, which a
    # document validated on its own is not.
    transformed = transform_row(change, transform_settings([source], {}))
    record.warnings = list(transformed.get("warnings") or [])
    if transformed.get("action") == Action.REJECT:
        record.reasons = list(transformed["reasons"])
        return record
    name = checker_name(source.schema, change["dcat_version"], transformed["record_type"])
    errors, warnings = schema_findings(checker(name), transformed["dcat_json"])
    record.reasons += errors
    record.warnings += warnings
    return record


def validate_document(source: Source, policy: FetchPolicy | None = None) -> Validation:
    """Every record of the document judged as a harvest of ``source`` would judge it."""
    validation = Validation(source.url, source.type, source.schema)
    rows = []
    policy = policy or FetchPolicy(private_network_hint=PRIVATE_NETWORK_HINT)
    for row in _extracted(source, policy, validation):
        if row["fetch_status"] == FetchStatus.ERROR:  # a file that could not be read is no record
            validation.file_errors.append(row["error"] or f"could not read {row.get('record_url')}")
        else:
            rows.append(row)
    occurrences = Counter(row["identifier"] for row in rows if row.get("identifier") is not None)
    validation.records = [_checked(row, occurrences, source) for row in rows]
    return validation
