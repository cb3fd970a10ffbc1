"""Compare: match extracted records against the catalog state.

Every extracted record becomes exactly one of create, update, unchanged or reject, and
every catalog record of a completely extracted source that the source no longer lists
becomes a delete. The rules that keep this safe:

- The content hash is sha256 of the record's canonical text (extract writes data.json
  datasets as key-sorted compact JSON), so a record re-serialised with another key order,
  whitespace or escaping is unchanged.
- A record with no usable identifier, or an identifier that occurs more than once in its
  source, is rejected with that reason. Rejected records still *count as seen*: their
  previous version stays in the catalog instead of being deleted.
- A file extract could not fetch (fetch_status "error") is no record at all, but it is
  seen too: its catalog record is kept, never deleted.
- A failed source produces no deletes, and neither does a partial one (a WAF listing that could
  not be read in full): its creates and updates go ahead.
- Extract's warnings (a repaired lone surrogate) follow the record.
- Only creates and updates keep their ``raw`` text (and JSON records published as 3.0, whose
  isPartOf transform reads): nothing after compare reads the others'.
- A record whose DCAT-US version changes (its source now asks to be published as 3.0) is an
  update even when its text is unchanged; an unchanged record keeps the class it was published as.
"""

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from transforms.schemas import CHANGES, CHANGING_ACTIONS, Action, DcatVersion, FetchStatus, SourceState

NO_IDENTIFIER = 'record has no identifier: the "identifier" field is missing, empty or not a string'
# printf-style (identifier, occurrences), for F.format_string here and `harvest validate`.
DUPLICATE_IN_SOURCE = (
    'identifier "%s" appears %d times in this source; none of them is harvested until it is unique'
)


def _reasons(*conditions_and_messages) -> F.Column:
    """An array of the messages whose condition holds (nulls dropped)."""
    return F.filter(
        F.array(*[F.when(condition, message) for condition, message in conditions_and_messages]),
        lambda reason: reason.isNotNull(),
    )


def _records_with_verdict(records: DataFrame) -> DataFrame:
    """Extracted rows that are records (not fetch errors), with their rejection reasons."""
    seen = records.filter(F.col("fetch_status") != FetchStatus.ERROR)
    # Counted over the keys alone and joined back by broadcast: the rows, with their raw text,
    # never go through a shuffle. Only repeated identifiers are broadcast, normally none.
    repeated = (
        seen.filter(F.col("identifier").isNotNull())
        .groupBy("source_id", "identifier")
        .agg(F.count(F.lit(1)).alias("occurrences"))
        .filter(F.col("occurrences") > 1)
    )
    seen = seen.join(F.broadcast(repeated), on=["source_id", "identifier"], how="left")
    duplicate = F.format_string(DUPLICATE_IN_SOURCE, F.col("identifier"), F.col("occurrences"))
    return seen.withColumn(
        "reasons",
        _reasons(
            (F.col("error").isNotNull(), F.col("error")),
            (F.col("error").isNull() & F.col("identifier").isNull(), F.lit(NO_IDENTIFIER)),
            (F.col("occurrences") > 1, duplicate),
        ),
    )


def _classified(records: DataFrame, state: DataFrame) -> DataFrame:
    known = state.select(
        "source_id",
        "identifier",
        F.col("content_hash").alias("published_hash"),
        F.col("etag").alias("published_etag"),
        F.col("last_modified").alias("published_last_modified"),
        F.col("record_type").alias("published_record_type"),
        # Versions written before DCAT-US 3.0 hold no version: everything published then was 1.1.
        F.coalesce("dcat_version", F.lit(DcatVersion.V1_1)).alias("published_dcat_version"),
    )
    # Broadcast (a few hundred bytes per published record) so the records are not shuffled either.
    joined = records.join(F.broadcast(known), on=["source_id", "identifier"], how="left")
    not_modified = F.col("fetch_status") == FetchStatus.NOT_MODIFIED
    # A 304 for a file the catalog does not hold (it was rejected last time) must be fetched again.
    stale_304 = not_modified & F.col("published_hash").isNull()
    content_hash = F.when(not_modified, F.col("published_hash")).otherwise(F.sha2(F.col("raw"), 256))
    action = (
        F.when(F.size("reasons") > 0, Action.REJECT)
        .when(stale_304, Action.REJECT)
        .when(not_modified, Action.UNCHANGED)
        .when(F.col("published_hash").isNull(), Action.CREATE)
        .when(F.col("published_dcat_version") != F.col("dcat_version"), Action.UPDATE)
        .when(F.col("published_hash") == content_hash, Action.UNCHANGED)
        .otherwise(Action.UPDATE)
    )
    stale = F.array(
        F.lit("the server answered 304 Not Modified but the catalog holds no earlier copy; retried next run")
    )
    return (
        joined.withColumn("content_hash", F.when(F.size("reasons") == 0, content_hash))
        .withColumn("action", action)
        # Only a create or an update is read again (by transform): the text of every other row,
        # most of an unchanged re-harvest, stops here instead of being written and read twice more.
        # A JSON record published as 3.0 keeps it: its isPartOf makes its parent a DatasetSeries.
        .withColumn(
            "raw",
            F.when(
                F.col("action").isin(*CHANGING_ACTIONS)
                | ((F.col("dcat_version") == DcatVersion.V3_0) & (F.col("raw_format") == "json")),
                F.col("raw"),
            ),
        )
        .withColumn(
            "reasons",
            F.when(stale_304, stale).otherwise(F.col("reasons")),
        )
        .withColumn(
            "record_type",
            F.when(
                F.col("action") == Action.UNCHANGED, F.coalesce("published_record_type", "record_type")
            ).otherwise(F.col("record_type")),
        )
        .withColumn("etag", F.coalesce("etag", "published_etag"))
        .withColumn("last_modified", F.coalesce("last_modified", "published_last_modified"))
    )


def _deletes(records: DataFrame, statuses: DataFrame, state: DataFrame) -> DataFrame:
    """Catalog records of completely extracted sources that the source no longer lists.

    Only a ``complete`` source deletes: a failed one was not read, and a ``partial`` one (a WAF
    listing that could not be read in full) cannot tell a removed record from an unread folder.
    """
    complete = statuses.filter(F.col("status") == SourceState.COMPLETE).select("source_id")
    # Everything the source still lists protects its catalog record, rejected or unfetchable alike.
    seen = records.filter(F.col("identifier").isNotNull()).select("source_id", "identifier").distinct()
    return (
        state.join(complete, on="source_id", how="inner")
        .join(seen, on=["source_id", "identifier"], how="left_anti")
        .select(
            "source_id",
            "identifier",
            "record_url",
            "file_identifier",
            F.lit(None).cast("string").alias("parent_identifier"),
            "etag",
            "last_modified",
            "record_type",
            "dcat_version",
            F.lit(Action.DELETE).alias("action"),
            F.lit(None).cast("string").alias("raw_format"),
            F.lit(None).cast("string").alias("raw"),
            "content_hash",
            F.array().cast(CHANGES["reasons"].dataType).alias("reasons"),
            F.array().cast(CHANGES["warnings"].dataType).alias("warnings"),
        )
    )


def classify_changes(records: DataFrame, statuses: DataFrame, state: DataFrame) -> DataFrame:
    """EXTRACT_RECORDS + SOURCE_STATUS + CATALOG_STATE in, CHANGES out (see the module docstring)."""
    classified = _classified(_records_with_verdict(records), state)
    changes = classified.select(*CHANGES.fieldNames()).unionByName(_deletes(records, statuses, state))
    return changes.select(*[F.col(field.name).cast(field.dataType) for field in CHANGES.fields])
