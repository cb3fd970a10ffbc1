"""DCAT-US 3.0 records in the transform stage: native 3.0 records finished as data.gov publishes them,
and the records of an upgraded 1.1 (or XML) source that become DatasetSeries."""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.registry import DCATUS3, Source, published_version
from transforms.schemas import DcatVersion, RecordType


def finish_native_3_0(dataset: dict, record_type: str, identifier: str | None) -> None:
    """A 3.0 record as data.gov publishes it: a catalog record without ``@id`` gets the name extract gave
    it (the schema does not require one); a series, service or catalog record carries its key as
    ``identifier`` too."""
    if record_type == RecordType.CATALOG_RECORD and identifier:
        given = dataset.get("@id")
        if not (isinstance(given, str) and given.strip()):
            dataset["@id"] = identifier
    if record_type != RecordType.DATASET and not dataset.get("identifier") and identifier:
        dataset["identifier"] = identifier


def series_identifiers(
    changes: DataFrame, sources: list[Source], publish_as: str = ""
) -> dict[str, frozenset[str]]:
    """Per source upgraded to 3.0, the identifiers its records name as their parent (isPartOf, or the
    collection a WAF record belongs to): those records become DatasetSeries. Small: one per collection.

    ``publish_as``: the run's (the job argument). Which sources are upgraded is known from the registry
    and the run, so a run upgrading none looks at no record.
    """
    upgraded = [
        source.id
        for source in sources
        if source.schema != DCATUS3 and published_version(source, publish_as) == DcatVersion.V3_0
    ]
    if not upgraded:
        return {}
    named = F.trim(F.get_json_object(F.col("raw"), "$.isPartOf"))
    parents = (
        changes.filter((F.col("dcat_version") == DcatVersion.V3_0) & F.col("source_id").isin(upgraded))
        .select(
            "source_id",
            F.when(F.col("raw_format") == "json", named)
            .otherwise(F.col("parent_identifier"))
            .alias("parent"),
            "identifier",
        )
        .filter(
            F.col("parent").isNotNull() & (F.col("parent") != "") & (F.col("parent") != F.col("identifier"))
        )
        .select("source_id", "parent")
        .distinct()
    )
    found: dict[str, set[str]] = {}
    for row in parents.collect():
        found.setdefault(row.source_id, set()).add(row.parent)
    return {source_id: frozenset(ids) for source_id, ids in found.items()}
