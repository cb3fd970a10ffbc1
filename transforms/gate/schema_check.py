"""Record-level gate: a DCAT-US 1.1 dataset against the project's JSON Schema, a 3.0 record against its class's.

The 1.1 schemas (``transforms/gate/dcatus_schema/dataset-{federal,non-federal}.json``, Draft 2020-12)
reproduce the data.gov harvester's valid/invalid decisions (tests/test_schema_agreement.py). The 3.0
schemas are GSA's class definitions as data.gov's harvester ships them
(``dcatus_schema/3.0/<Class>.json``, one per class, referring to each other by ``$id``); a 3.0
record is checked against its own class: Dataset, DataService, CatalogRecord or DatasetSeries.

Speed: ``jsonschema-rs`` decides valid/invalid (about 40x the pure-Python ``jsonschema``
on real catalogs, same decisions on every real fixture, same ``uri`` format rules as
``rfc3986-validator``); only records it rejects go through ``jsonschema`` again, which gives
the error tree the readable messages are built from.

Severity: every schema violation is an ``error`` (the record is rejected). Fields the
DCAT-US 1.1 vocabulary does not define are ``warning``s: the specification allows
publishers to extend the schema, and the reference schema does not forbid extra fields,
so rejecting them would refuse records data.gov accepts; they are kept and reported.
A 3.0 record's warnings are the content problems data.gov reports as warnings
(``transforms.gate.dcatus3_warnings``); 3.0 is meant to be extended, so extra fields are not.
"""

import json
import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

import jsonschema_rs

from transforms.gate.dcatus3_warnings import content_warnings
from transforms.iri_grammar import defer_iri_grammar
from transforms.schemas import DcatVersion, RecordType

FEDERAL, NON_FEDERAL = "federal", "non-federal"
V3_PREFIX = "3.0/"  # checker names of 3.0 classes: "3.0/Dataset", "3.0/DataService", ...
V3_DEFINITIONS = "https://resources.data.gov/dcat-us/3.0.0/definitions/"
ERROR, WARNING = "error", "warning"
_IDENTIFIER = re.compile(r"^[^\W\d]\w*\Z")
_TYPE_WORDS = {
    "string": "a string",
    "array": "a list",
    "object": "an object",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}
# Type or constant mismatches of an anyOf branch mean "the value is not this kind of thing":
# that branch says nothing about what is wrong with the value.
_NOT_THIS_KIND = ("type", "const", "enum")


@dataclass(frozen=True)
class Finding:
    """One problem with a record, at one JSON path."""

    path: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def schema_for(source_schema: str | None) -> str:
    """Which dataset schema checks a source's records: federal, or non-federal (also for XML sources)."""
    return FEDERAL if source_schema == "dcatus1.1-federal" else NON_FEDERAL


def checker_name(source_schema: str | None, dcat_version: str | None, record_type: str | None) -> str:
    """The checker of one record: its class's 3.0 schema, or its source's 1.1 dataset schema."""
    if dcat_version == DcatVersion.V3_0:
        return V3_PREFIX + (record_type or RecordType.DATASET)
    return schema_for(source_schema)


@cache
def v3_schemas() -> tuple[dict, ...]:
    """GSA's DCAT-US 3.0 class definitions, from package data (each with its ``$id``)."""
    folder = resources.files("transforms.gate").joinpath("dcatus_schema", "3.0")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".json")), key=lambda e: e.name
    )
    return tuple(json.loads(entry.read_text("utf-8")) for entry in files)


def _v3_fast(record_type: str) -> jsonschema_rs.Draft202012Validator:
    """The fast validator of one 3.0 class; every definition registered by its ``$id``."""
    schemas = v3_schemas()
    return jsonschema_rs.Draft202012Validator(
        _v3_root(record_type),
        registry=jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas]),
        validate_formats=True,
        offline=True,
    )


def _v3_root(record_type: str) -> dict:
    """The schema of one 3.0 class: a reference to its definition."""
    if record_type not in set(RecordType):
        raise ValueError(f"no DCAT-US 3.0 schema for record type {record_type!r}")
    return {"$ref": V3_DEFINITIONS + record_type.lower()}


@cache
def load_schema(name: str) -> dict:
    """The project's DCAT-US 1.1 dataset schema ("federal" or "non-federal"), from package data."""
    text = (
        resources.files("transforms.gate")
        .joinpath("dcatus_schema", f"dataset-{name}.json")
        .read_text("utf-8")
    )
    return json.loads(text)


def json_path(parts) -> str:
    """A JSONPath like jsonschema's ``ValidationError.json_path`` for a sequence of keys and indexes."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += "." + part
        else:
            path += "['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return path


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _type_words(types) -> str:
    """A schema's ``type`` in words; null is left out of a list of types (3.0 allows null almost everywhere)."""
    names = [name for name in types if name != "null"] if isinstance(types, list) else [types]
    return " or ".join(_TYPE_WORDS.get(name, str(name)) for name in names) or "null"


def _forms(branches) -> str | None:
    """The forms an anyOf of formats and patterns accepts, in words (3.0 dates); None for other anyOfs."""
    forms = []
    for branch in branches if isinstance(branches, list) else []:
        if branch == {"type": "null"}:
            continue
        if not isinstance(branch, dict) or not ({"format", "pattern"} & set(branch)):
            return None
        forms.append(f"a {branch['format']}" if "format" in branch else f"of the form {branch['pattern']}")
    return ", ".join(forms[:-1]) + f" or {forms[-1]}" if len(forms) > 1 else None


def _missing(error) -> list[str]:
    return [
        name
        for name in error.validator_value
        if isinstance(error.instance, dict) and name not in error.instance
    ]


def _is_redacted_branch(error) -> bool:
    return error.validator == "pattern" and "REDACTED" in str(error.validator_value)


def _relevant_branch(error) -> list | None:
    """The errors of the one anyOf branch whose kind the value has, or None when that is ambiguous."""
    branches: dict[int, list] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    depth = len(error.absolute_path)
    relevant = [
        subs
        for subs in branches.values()
        if not any(
            len(s.absolute_path) == depth and (s.validator in _NOT_THIS_KIND or _is_redacted_branch(s))
            for s in subs
        )
    ]
    return relevant[0] if len(relevant) == 1 else None


def _explain(error, expected: str | None = None) -> list[Finding]:
    """Readable findings for one jsonschema error, descending into anyOf where one branch applies."""
    expected = error.schema.get("x-expected", expected) if isinstance(error.schema, dict) else expected
    path, value, kind = error.json_path, error.instance, error.validator
    if kind == "required":
        base = list(error.absolute_path)
        why = (
            " (a distribution with a downloadURL must have one)"
            if "dependentSchemas" in error.schema_path
            else ""
        )
        return [
            Finding(json_path(base + [name]), "required field is missing" + why) for name in _missing(error)
        ]
    if kind in ("anyOf", "oneOf"):
        branch = _relevant_branch(error)
        if branch is not None:
            return [finding for sub in branch for finding in _explain(sub, expected)]
        expected = expected or _forms(error.validator_value)
        return [Finding(path, f"{_show(value)} is not {expected}" if expected else error.message)]
    if kind in ("pattern", "format"):
        words = expected or (
            f"a valid {error.validator_value.upper()}"
            if kind == "format"
            else f"in the expected form ({error.validator_value})"
        )
        return [Finding(path, f"{_show(value)} is not {words}")]
    if kind == "type":
        return [Finding(path, f"must be {_type_words(error.validator_value)}, found {_show(value)}")]
    if kind == "const":
        return [Finding(path, f"must be {_show(error.validator_value)}, found {_show(value)}")]
    if kind == "enum":
        return [Finding(path, f"{_show(value)} is not one of {', '.join(map(_show, error.validator_value))}")]
    if kind == "maxLength":
        return [
            Finding(path, f"is {len(value):,} characters long; at most {error.validator_value:,} allowed")
        ]
    if kind == "minLength":
        return [Finding(path, "must not be empty")]
    if kind == "minItems":
        return [Finding(path, f"must have at least {error.validator_value} item(s)")]
    if kind == "maxItems":
        return [Finding(path, f"has {len(value):,} items; at most {error.validator_value:,} allowed")]
    if kind == "uniqueItems":
        return [Finding(path, "has duplicate items")]
    return [Finding(path, error.message)]


def _without_restatements(findings: list[Finding]) -> list[Finding]:
    """The findings less those another finding at the same path restates with more said: two rules
    can reject one value (a distribution's mediaType is checked as a field, and again because it has a
    downloadURL), and the publisher has one problem to fix, explained by the longer message."""
    by_path: dict[tuple[str, str], list[str]] = {}
    for finding in findings:
        by_path.setdefault((finding.path, finding.severity), []).append(finding.message)
    return [
        finding
        for finding in findings
        if not any(
            other != finding.message and other.startswith(finding.message)
            for other in by_path[(finding.path, finding.severity)]
        )
    ]


class DatasetChecker:
    """Checks records against one schema (a 1.1 dataset schema, or a 3.0 class); build once per worker."""

    def __init__(self, name: str):
        self.name = name
        self.record_type: str | None = None
        self.known_fields: frozenset[str] | None = None
        if name.startswith(V3_PREFIX):
            self.record_type = name.removeprefix(V3_PREFIX)
            self.fast = _v3_fast(self.record_type)
            return
        schema = load_schema(name)
        self.fast = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        self.known_fields = frozenset(schema["properties"])

    @cached_property
    def reference(self) -> Any:
        """jsonschema's validator of the same schema, built on first use.

        Only a record the fast validator rejects needs it, so a process whose records all pass (or
        the driver of a stage that checks none) does not import jsonschema; one that does builds
        rfc3987-syntax's IRI grammar only if it checks an IRI (transforms.iri_grammar).
        """
        defer_iri_grammar()
        import jsonschema
        import referencing
        from referencing.jsonschema import DRAFT202012

        formats = jsonschema.Draft202012Validator.FORMAT_CHECKER
        if self.record_type is None:
            return jsonschema.Draft202012Validator(load_schema(self.name), format_checker=formats)
        registry: referencing.Registry = referencing.Registry().with_resources(
            (schema["$id"], DRAFT202012.create_resource(schema)) for schema in v3_schemas()
        )
        return jsonschema.Draft202012Validator(
            _v3_root(self.record_type), registry=registry, format_checker=formats
        )

    def errors(self, record: Any) -> list:
        """The raw jsonschema errors (reference semantics); empty for a valid record."""
        if self.fast.is_valid(record):
            return []
        return list(self.reference.iter_errors(record))

    def check(self, record: Any) -> list[Finding]:
        """Every finding of one parsed record, each once: errors first, then by path (a path's own
        findings in the schema's order). A record with five problems gets five findings."""
        # A dict keeps the first of identical findings (two branches can word one problem alike).
        findings: dict[Finding, None] = {}
        for error in sorted(self.errors(record), key=lambda e: list(map(str, e.absolute_path))):
            findings.update(dict.fromkeys(_explain(error)))
        if isinstance(record, dict) and self.known_fields is not None:
            for name in sorted(set(record) - self.known_fields):
                unknown = Finding(
                    json_path([name]), "is not a DCAT-US 1.1 field; kept, but not checked", WARNING
                )
                findings[unknown] = None
        if isinstance(record, dict) and self.record_type is not None:
            for parts, message in content_warnings(record, self.record_type):
                findings[Finding(json_path(parts), message, WARNING)] = None
        return sorted(_without_restatements(list(findings)), key=lambda f: (f.severity != ERROR, f.path))

    def check_text(self, text: str) -> list[Finding]:
        """Findings for a record given as JSON text; text that is not JSON is one error."""
        try:
            record = json.loads(text)
        except (TypeError, ValueError) as error:
            return [Finding("$", f"is not valid JSON ({error})")]
        return self.check(record)


@cache
def checker(name: str) -> DatasetChecker:
    """The cached checker of a schema, so each Python worker compiles each schema once."""
    return DatasetChecker(name)
