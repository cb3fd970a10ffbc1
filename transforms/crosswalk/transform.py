"""The transform stage: created and updated records become DCAT-US 1.1 datasets, or DCAT-US 3.0 records.

XML records (ISO 19115-2, ISO 19139, ISO 19115-3, FGDC) go through a crosswalk, then
normalisation, then the per-source fix-ups; DCAT-US JSON records are normalised and get the
fix-ups that apply to JSON. Records of a 3.0 source stay 3.0 (each of its own class); records
to be published as 3.0 from 1.1 or XML are upgraded last (``transforms.crosswalk.dcatus3_upgrade``).
A record that cannot be transformed becomes a "reject" row with a reason a publisher can act on;
no single record fails the job: :func:`transform_row` is the stage's one guard, and whatever one
record raises (a crosswalk bug, a field of a type no one expected, a dataset nested too deep) makes
that record a reject naming the error class.
"""

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import to_arrow_schema

from transforms.crosswalk.dcatus3_records import finish_native_3_0, series_identifiers
from transforms.crosswalk.dcatus3_upgrade import upgrade_in_place
from transforms.crosswalk.dcatus3_xml import enrich_from_xml
from transforms.crosswalk.fgdc import fgdc_to_dcat
from transforms.crosswalk.fixups import apply_fixups
from transforms.crosswalk.iso19115 import iso_to_dcat
from transforms.crosswalk.normalize import normalize_dataset
from transforms.crosswalk.xml_kinds import FGDC, UnknownRoot, detect_kind, record_root
from transforms.isolation import bounded, isolated, require_utf8
from transforms.registry import DCATUS3, Source
from transforms.safety.xml_safety import XmlRejected, parse_xml
from transforms.schemas import CHANGES, CHANGING_ACTIONS, TRANSFORMED, Action, DcatVersion, RecordType

LOG = logging.getLogger(__name__)
NEW_COLUMNS = [f.name for f in TRANSFORMED.fields[len(CHANGES.fields) :]]


@dataclass
class TransformResult:
    """What one record became: a dataset and its warnings, or the reason it could not be transformed."""

    source_format: str | None = None
    dataset: dict | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    file_identifier: str | None = None
    record_type: str = RecordType.DATASET
    root: Any = field(default=None, repr=False)  # the parsed XML, for what 3.0 reads beyond the 1.1 crosswalk


@dataclass(frozen=True)
class RecordContext:
    """What transform knows of a record besides its text: its class and key, and the version it is published in."""

    record_type: str = RecordType.DATASET
    identifier: str | None = None
    dcat_version: str = DcatVersion.V1_1
    native_3_0: bool = False  # the record came from a DCAT-US 3.0 catalog: already 3.0
    series: frozenset[str] = frozenset()  # identifiers that records of its source name as their isPartOf


DEFAULT_CONTEXT = RecordContext()


def _from_xml(raw: str, record_url: str | None) -> TransformResult:
    root = record_root(parse_xml(raw))
    kind = detect_kind(root)
    dataset, warnings, file_identifier = fgdc_to_dcat(root) if kind == FGDC else iso_to_dcat(root, kind)
    # The DCAT-US identifier of an XML record is its fileIdentifier, stable across moves of the
    # file; without one (FGDC has none), the record's URL, which the WAF keeps unique.
    if not dataset.get("identifier") and record_url:
        dataset["identifier"] = record_url
    return TransformResult(kind, dataset, warnings, None, file_identifier, root=root)


def _from_json(raw: str) -> TransformResult:
    try:
        dataset = json.loads(raw)
    except (TypeError, ValueError) as error:
        return TransformResult("dcatus", error=f"dataset is not valid JSON: {error}")
    if not isinstance(dataset, dict):
        return TransformResult("dcatus", error=f"dataset is a JSON {type(dataset).__name__}, not an object")
    return TransformResult("dcatus", dataset)


def transform_record(
    raw_format: str,
    raw: str | None,
    record_url: str | None,
    parent_identifier: str | None,
    fixups: dict | None,
    organization: str | None = None,
    context: RecordContext = DEFAULT_CONTEXT,
) -> TransformResult:
    """Transform one record ("json" DCAT-US text or "xml" document) into a DCAT-US dataset, or an error.

    Records that cannot be read are an ``error``; anything else raised here (a bug) is left to the
    stage's guard, :func:`transform_row`.
    """
    if raw is None or not raw.strip():
        return TransformResult(error="record is empty")
    try:
        if raw_format == "xml":
            result = _from_xml(raw, record_url)
        elif raw_format == "json":
            result = _from_json(raw)
        else:
            return TransformResult(error=f"unknown raw format {raw_format!r}; expected json or xml")
    except (XmlRejected, UnknownRoot) as error:
        return TransformResult(error=bounded(str(error)))  # libxml2 quotes the document's own names
    if result.error:
        return result
    dataset, text_warnings = normalize_dataset(result.dataset)
    if parent_identifier:  # the harvest's collection names a record the catalog holds; it wins
        if dataset.get("isPartOf") not in (None, parent_identifier):
            result.warnings.append(
                f"isPartOf: the record names parent {dataset['isPartOf']!r}; "
                f"the collection's parent {parent_identifier!r} is used"
            )
        dataset["isPartOf"] = parent_identifier
    title = dataset.get("title")
    # A catalog record (3.0) describes another record; its title is optional.
    if context.record_type != RecordType.CATALOG_RECORD and (not isinstance(title, str) or not title):
        return TransformResult(
            result.source_format, error="record has no title", file_identifier=result.file_identifier
        )
    kind = "json" if raw_format == "json" else "xml"
    fixed = apply_fixups(dataset, kind, fixups or {}, organization, native_3_0=context.native_3_0)
    result.record_type = context.record_type
    if context.native_3_0:
        finish_native_3_0(dataset, context.record_type, context.identifier)
    elif context.dcat_version == DcatVersion.V3_0:
        # The dataset is this record's own (normalize_dataset made it), so it is upgraded in place.
        result.record_type, upgraded = upgrade_in_place(
            dataset, series=dataset.get("identifier") in context.series
        )
        if result.root is not None:
            upgraded += enrich_from_xml(dataset, result.root, result.source_format or "")
        fixed += upgraded
    result.dataset, result.root = dataset, None
    # Warnings quote the publisher's values: each is cut here, once, whichever rule wrote it.
    result.warnings = [bounded(warning) for warning in result.warnings + text_warnings + fixed]
    return result


def _string(value: Any) -> str | None:
    """``value`` when it is a string, else None: a typed column holds only the dataset's string values."""
    return value if isinstance(value, str) else None


def typed_columns(dataset: dict) -> dict:
    """The TRANSFORMED columns taken from a dataset's own values, for the batch expectations and the
    duplicates check: each a string value of the dataset (a value of another type is none)."""
    contact = dataset.get("contactPoint")
    if isinstance(contact, list):  # DCAT-US 3.0 allows a list of contacts
        contact = contact[0] if contact else None
    contact = contact if isinstance(contact, dict) else {}
    distribution = dataset.get("distribution")
    items = (
        [item for item in distribution if isinstance(item, dict)] if isinstance(distribution, list) else []
    )
    return {
        "title": _string(dataset.get("title")),
        "access_level": _string(dataset.get("accessLevel")),
        "modified": _string(dataset.get("modified")),
        "has_email": _string(contact.get("hasEmail")),
        "distribution_urls": [
            url
            for item in items
            for key in ("downloadURL", "accessURL")
            if (url := _string(item.get(key))) is not None
        ],
        "landing_page": _string(dataset.get("landingPage")),
        "download_urls": [url for item in items if (url := _string(item.get("downloadURL"))) is not None],
    }


def _transformed(row: dict, settings: dict) -> dict:
    """The TRANSFORMED values of one create/update row (may raise: see transform_row)."""
    fixups, organization, schema, series = settings.get(row["source_id"], ({}, None, None, frozenset()))
    context = RecordContext(
        record_type=row["record_type"] or RecordType.DATASET,
        identifier=row["identifier"],
        dcat_version=row["dcat_version"] or DcatVersion.V1_1,
        native_3_0=schema == DCATUS3 and row["raw_format"] == "json",
        series=series,
    )
    result = transform_record(
        row["raw_format"],
        row["raw"],
        row["record_url"],
        row["parent_identifier"],
        fixups,
        organization,
        context,
    )
    out: dict[str, Any] = {name: None for name in NEW_COLUMNS}
    out["source_format"] = result.source_format
    if not row.get("file_identifier") and result.file_identifier:
        out["file_identifier"] = result.file_identifier
    out["warnings"] = [*(row.get("warnings") or []), *result.warnings]
    if result.error:
        out.update(action=Action.REJECT, reasons=[*(row["reasons"] or []), f"transform: {result.error}"])
        return out
    out["dcat_json"] = json.dumps(result.dataset, ensure_ascii=False, separators=(",", ":"))
    out["record_type"] = result.record_type
    out.update(typed_columns(result.dataset))
    return out


def transform_row(row: dict, settings: dict) -> dict:
    """The TRANSFORMED values of one create/update row: the stage's one guard.

    Whatever the record raises, it becomes this row's reject with a reason naming the error class;
    what comes back is always text Arrow can write.
    """

    def rejected(reason: str) -> dict:
        out: dict[str, Any] = {name: None for name in NEW_COLUMNS}
        return {
            **out,
            "action": Action.REJECT,
            "reasons": [*(row.get("reasons") or []), reason],
            "warnings": list(row.get("warnings") or []),
        }

    return isolated(
        "transform",
        lambda: require_utf8(_transformed(row, settings)),
        rejected,
        row.get("record_url") or row.get("identifier"),
    )


def _batches(settings_handle) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    # Arrow batches straight to dicts and back: no pandas conversion of the nested columns.
    schema = to_arrow_schema(TRANSFORMED)

    def transform_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        settings = settings_handle.value
        for batch in batches:
            rows = []
            for row in batch.to_pylist():
                row.update(dict.fromkeys(NEW_COLUMNS), warnings=row["warnings"] or [])
                row.update(transform_row(row, settings))
                # The record's text stays here: the stage drops it, and handing it back to the JVM
                # cost more than its crosswalk's JSON (60 us for an ISO record of 43 KB).
                row["raw"] = None
                rows.append(row)
            yield pa.RecordBatch.from_pylist(rows, schema=schema)

    return transform_batches


def transform_settings(sources: list[Source], series: dict[str, frozenset[str]]) -> dict:
    """What ``transform_row`` needs to know of each source: its fix-ups, organization, schema, and the
    identifiers its records name as parents (``series_identifiers``)."""
    return {
        source.id: (
            dict(source.fixups or {}),
            source.organization,
            source.schema,
            series.get(source.id, frozenset()),
        )
        for source in sources
    }


def transform_changes(changes: DataFrame, sources: list[Source], publish_as: str = "") -> DataFrame:
    """CHANGES rows in, TRANSFORMED rows out (transforms.schemas.TRANSFORMED, exact column order).

    ``publish_as``: the run's (the job argument), which with each source's own says which are upgraded.

    Only creates and updates go through Python; every other row passes by in the JVM with empty
    new columns. No row carries its ``raw`` text further: the dataset is in ``dcat_json`` now.
    """
    settings = transform_settings(sources, series_identifiers(changes, sources, publish_as))
    handle = changes.sparkSession.sparkContext.broadcast(settings)
    changing = F.col("action").isin(*CHANGING_ACTIONS)
    transformed = (
        changes.filter(changing).select(*CHANGES.fieldNames()).mapInArrow(_batches(handle), TRANSFORMED)
    )
    passed = changes.filter(~changing).select(
        *[F.col(name) for name in CHANGES.fieldNames() if name != "warnings"],
        F.coalesce("warnings", F.array().cast(TRANSFORMED["warnings"].dataType)).alias("warnings"),
        *[F.lit(None).cast(TRANSFORMED[name].dataType).alias(name) for name in NEW_COLUMNS],
    )
    return (
        transformed.unionByName(passed)
        .withColumn("raw", F.lit(None).cast(TRANSFORMED["raw"].dataType))
        .select(*TRANSFORMED.fieldNames())
    )
