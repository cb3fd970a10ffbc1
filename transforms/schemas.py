"""The stage schemas: every Parquet table a stage writes, as one StructType each.

Every stage and every test builds its frames from these, so a column added here is
added everywhere. Layout in the lake (``<lake>`` is a folder or an ``s3://`` URI):

    runs/<run_id>/extract/records      EXTRACT_RECORDS
    runs/<run_id>/extract/sources      SOURCE_STATUS
    runs/<run_id>/compare/changes      CHANGES
    runs/<run_id>/transform/records    TRANSFORMED
    runs/<run_id>/validate/records     VALIDATED
    runs/<run_id>/validate/sources     SOURCE_STATUS (status may become "held")
    runs/<run_id>/load/db_results      DB_RESULTS (with a catalog database)
    runs/<run_id>/report/outcomes      OUTCOMES
    catalog/versions/<version>/records CATALOG_STATE
"""

from pyspark.sql.types import (
    ArrayType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from transforms.vocabulary import (
    CHANGING_ACTIONS,
    COUNT_NAMES,
    NEEDS_ATTENTION,
    OUTCOME_OF_ACTION,
    RECORD_OUTCOMES,
    Action,
    DcatVersion,
    Decision,
    FetchStatus,
    Outcome,
    RecordType,
    RunOutcome,
    RunStatus,
    SourceState,
)


def _fields(*specs: tuple) -> list[StructField]:
    """Nullable StructFields from (name, type) pairs; a third element False makes one required."""
    return [StructField(spec[0], spec[1], spec[2] if len(spec) > 2 else True) for spec in specs]


STRINGS = ArrayType(StringType())


# Columns that follow a record from extract to load unchanged.
RECORD_ORIGIN = _fields(
    ("source_id", StringType(), False),
    ("identifier", StringType()),  # dataset identifier (data.json) or file URL (WAF); null when unusable
    ("record_url", StringType()),  # the URL the record was fetched from (WAF file, ISO document)
    ("file_identifier", StringType()),  # XML fileIdentifier, kept beside the URL identifier
    ("parent_identifier", StringType()),  # collection parent (waf-collection), becomes isPartOf
    ("etag", StringType()),  # HTTP validators of the record's file, for conditional requests
    ("last_modified", StringType()),
    # the record's DCAT-US class: set by extract, changed only by the 1.1 -> 3.0 upgrade (a parent becomes a series)
    ("record_type", StringType()),
    ("dcat_version", StringType()),  # the version the record is published in: "1.1" or "3.0"
)

# extract: one row per record seen in a source, including records that could not be read.
EXTRACT_RECORDS = StructType(
    RECORD_ORIGIN
    + _fields(
        ("position", LongType()),  # order within the source (dataset index or listing order)
        ("raw_format", StringType(), False),  # "json" (a data.json dataset) or "xml"
        ("raw", StringType()),  # canonical JSON text, or the decoded XML document
        ("fetch_status", StringType(), False),  # "fetched" | "not_modified" (HTTP 304) | "error"
        ("error", StringType()),  # why the record could not be read; a publisher can act on it
        ("warnings", STRINGS),  # what extract repaired (a lone surrogate escape); reported, never fatal
    )
)

# extract, validate: one row per source. status: "complete" | "partial" | "failed" | "held".
SOURCE_STATUS = StructType(
    _fields(
        ("source_id", StringType(), False),
        ("source_type", StringType()),
        ("schema", StringType()),
        ("url", StringType()),
        ("status", StringType(), False),
        ("reason", StringType()),  # why failed or held
        ("extracted", LongType()),  # records seen (fetched or not modified)
        ("errors", LongType()),  # problems that are not records: a WAF file or listing that failed
        ("error_messages", STRINGS),
        ("conforms_to", StringType()),  # catalog-level metadata of a data.json
        ("described_by", StringType()),
        ("document_sha256", StringType()),  # a data.json's bytes as fetched: a repeat run compares them
    )
)

# compare: one row per extracted record, plus one per catalog record to delete (a delete the source did
# not earn, read in part or with a record whose identifier was unreadable, carries the reason it is held).
# action: "create" | "update" | "unchanged" | "delete" | "reject"
CHANGES = StructType(
    RECORD_ORIGIN
    + _fields(
        ("action", StringType(), False),
        ("raw_format", StringType()),
        ("raw", StringType()),
        ("content_hash", StringType()),
        ("reasons", STRINGS),
        ("warnings", STRINGS),  # extract's, then transform adds its own; reported, never fatal
    )
)

# transform: the DCAT-US dataset of each create/update, plus the other rows passed through.
# Its warnings (from CHANGES) gain the fix-ups applied and the oddities noticed.
TRANSFORMED = StructType(
    CHANGES.fields
    + _fields(
        ("source_format", StringType()),  # dcatus | iso19115-2 | iso19139 | iso19115-3 | fgdc
        ("dcat_json", StringType()),  # the DCAT-US 1.1 dataset as JSON text
        # typed columns the batch expectations read
        ("title", StringType()),
        ("access_level", StringType()),
        ("modified", StringType()),
        ("has_email", StringType()),
        ("distribution_urls", STRINGS),  # downloadURLs and accessURLs
        # typed columns the duplicates check matches on, beside the title (not parsed from dcat_json again)
        ("landing_page", StringType()),
        ("download_urls", STRINGS),
    )
)

# validate (in flight, not written): TRANSFORMED plus what the record's schema check found.
CHECKED = StructType(TRANSFORMED.fields + _fields(("schema_errors", STRINGS), ("schema_warnings", STRINGS)))

# validate: decision per row. decision: "accept" | "reject" | "held"
VALIDATED = StructType(TRANSFORMED.fields + _fields(("decision", StringType(), False)))

# load: the final word on every row the run touched.
# outcome: "created" | "updated" | "deleted" | "unchanged" | "rejected" | "held"
OUTCOMES = StructType(
    _fields(
        ("source_id", StringType(), False),
        ("identifier", StringType()),
        ("record_url", StringType()),
        ("action", StringType(), False),
        ("outcome", StringType(), False),
        ("reasons", STRINGS),
        ("warnings", STRINGS),
        ("record_type", StringType()),
        ("dcat_version", StringType()),
    )
)

# load: what the catalog database did with each accepted change (runs/<run_id>/load/db_results).
# db_status: "ok" | "refused"
DB_RESULTS = StructType(
    _fields(
        ("source_id", StringType(), False),
        ("identifier", StringType()),
        ("db_status", StringType(), False),
        ("db_error", StringType()),
    )
)

# catalog state: the published records, one row per (source_id, identifier).
CATALOG_STATE = StructType(
    _fields(
        ("source_id", StringType(), False),
        ("identifier", StringType(), False),
        ("content_hash", StringType(), False),
        ("dcat_json", StringType()),
        ("source_format", StringType()),
        ("slug", StringType()),
        ("record_url", StringType()),
        ("file_identifier", StringType()),
        ("etag", StringType()),
        ("last_modified", StringType()),
        ("first_harvested", TimestampType()),
        ("last_harvested", TimestampType()),
        ("last_changed_run", StringType()),
        ("record_type", StringType()),  # null in catalog versions written before DCAT-US 3.0: a Dataset
        ("dcat_version", StringType()),  # null there too: "1.1"
        # the warnings of the version published (extract's, transform's, validate's): the run report shows
        # them for a record unchanged since; null in catalog versions written before they were kept
        ("warnings", STRINGS),
    )
)

__all__ = [
    "COUNT_NAMES",
    "NEEDS_ATTENTION",
    "CHANGING_ACTIONS",
    "OUTCOME_OF_ACTION",
    "RECORD_OUTCOMES",
    "Action",
    "Decision",
    "DcatVersion",
    "RecordType",
    "FetchStatus",
    "Outcome",
    "RunOutcome",
    "RunStatus",
    "SourceState",
    "CATALOG_STATE",
    "CHANGES",
    "CHECKED",
    "DB_RESULTS",
    "EXTRACT_RECORDS",
    "OUTCOMES",
    "SOURCE_STATUS",
    "TRANSFORMED",
    "VALIDATED",
]
