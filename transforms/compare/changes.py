"""Compare: match extracted records against the catalog state.

Every extracted record becomes exactly one of create, update, unchanged or reject, and
every catalog record of a source read this run that the source no longer lists becomes a
delete, held back unless the source was read in full. The rules that keep this safe:

- The content hash is sha256 of the record's canonical text (extract writes data.json
  datasets as key-sorted compact JSON), so a record re-serialised with another key order,
  whitespace or escaping is unchanged.
- A record with no usable identifier, or an identifier that occurs more than once in its
  source, is rejected with that reason. Rejected records still *count as seen*: their
  previous version stays in the catalog instead of being deleted.
- A file extract could not fetch (fetch_status "error") is no record at all, but it is
  seen too: its catalog record is kept, never deleted.
- The delete rule, written once (``_deletes``): a published record is deleted only when its source
  was read in full and the record is absent from it. A failed source produces no delete rows. A
  source that was read but not in full produces its deletes *held back*: a ``partial`` one (a WAF
  listing that could not be read in full), and one with a row extract could not read up to its
  identifier (a number beyond float range, nesting past the depth limit, an entry that is not an
  object, a 3.0 identifier object without ``@id``, no identifier at all): that row may be any of
  its published records. A held delete is a delete row with the reason it is held
  (:func:`held_delete`): validate holds it whatever ``--force`` says, so it counts in the report's
  ``deletes_held``, and :func:`mark_held_deletes` makes such a complete source ``partial`` with a
  reason the report shows. Its creates and updates go ahead.
- Extract's warnings (a repaired lone surrogate) follow the record.
- Only creates and updates keep their ``raw`` text (and JSON records published as 3.0, whose
  isPartOf transform reads): nothing after compare reads the others'.
- A record whose DCAT-US version changes (its source now asks to be published as 3.0) is an
  update even when its text is unchanged; an unchanged record keeps the class it was published as.
"""

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from transforms.schemas import (
    CHANGES,
    CHANGING_ACTIONS,
    SOURCE_STATUS,
    STRINGS,
    Action,
    DcatVersion,
    FetchStatus,
    SourceState,
)

NO_IDENTIFIER = 'record has no identifier: the "identifier" field is missing, empty or not a string'
# printf-style (identifier, occurrences), for F.format_string here and `harvest validate`.
DUPLICATE_IN_SOURCE = (
    'identifier "%s" appears %d times in this source; none of them is harvested until it is unique'
)
# The reasons a delete is held back. printf-style (rows, the first one's reason).
HELD_UNIDENTIFIED = (
    "%d record(s) of this source were rejected before their identifier could be read (first: %s); "
    "any of them may be a published record, so nothing of the source is deleted until they are fixed"
)
HELD_PARTIAL = "the source was only partly read, so nothing of it is deleted this run"
# printf-style (held deletes, the reason of the first): the reason of a source made partial by them.
DELETES_HELD_REASON = "%d delete(s) held back: %s"


def held_delete() -> Column:
    """A delete compare held back (``_deletes``): a delete row that carries the reason it is held."""
    return (F.col("action") == Action.DELETE) & (F.size("reasons") > 0)


def changes_catalog() -> Column:
    """A row that changes the catalog once accepted: a create, an update, or a delete not held back."""
    return F.col("action").isin(*CHANGING_ACTIONS) | ((F.col("action") == Action.DELETE) & ~held_delete())


def _reasons(*conditions_and_messages) -> F.Column:
    """An array of the messages whose condition holds (nulls dropped)."""
    return F.filter(
        F.array(*[F.when(condition, message) for condition, message in conditions_and_messages]),
        lambda reason: reason.isNotNull(),
    )


# What each row of _keys' union came from.
RECORD, STATUS, PUBLISHED = "record", "status", "published"
# The published record's columns that compare reads (a struct in _keys).
PUBLISHED_COLUMNS = (
    "record_url",
    "file_identifier",
    "etag",
    "last_modified",
    "record_type",
    "dcat_version",
    "content_hash",
)


def _keys(records: DataFrame, statuses: DataFrame, state: DataFrame) -> DataFrame:
    """One row per (source_id, identifier) of the extracted records and the catalog state, and one per source.

    A key's row says how often the records list it (``listed``; ``occurrences`` of them records, not fetch
    errors), what the catalog publishes under it (``published``, a struct), and what its source's deletes
    are (``_source_deletes``). A source's row (``per_source``: the key whose identifier is null) holds its
    status and the records that have no identifier (``listed``, and the ``first`` in listing order). One
    group-by of the keys alone: the records, with their raw text, never go through a shuffle.

    The keys are shuffled by source, not by key: the group-by by key and the window over each source
    that hands every key its source's verdict on deletes then need no shuffle of their own (the hold
    reasons were a broadcast, a job of its own). A source's keys are small rows (keys and the published
    record's few columns), so a source in one task is no burden.
    """
    listed = records.select(
        "source_id",
        "identifier",
        F.lit(RECORD).alias("origin"),
        "fetch_status",
        F.struct("position", F.coalesce("error", F.lit(NO_IDENTIFIER)).alias("why")).alias("first"),
    )
    sources = statuses.select(
        "source_id", F.lit(None).cast("string").alias("identifier"), F.lit(STATUS).alias("origin"), "status"
    )
    published = state.select(
        "source_id",
        "identifier",
        F.lit(PUBLISHED).alias("origin"),
        F.struct(*PUBLISHED_COLUMNS).alias("published"),
    )
    rows = listed.unionByName(sources, allowMissingColumns=True).unionByName(
        published, allowMissingColumns=True
    )
    is_record = F.col("origin") == RECORD
    keys = (
        rows.repartition("source_id")
        .groupBy("source_id", "identifier")
        .agg(
            F.count_if(is_record).alias("listed"),
            F.count_if(is_record & (F.col("fetch_status") != FetchStatus.ERROR)).alias("occurrences"),
            F.min("first").alias("first"),
            F.max("status").alias("status"),
            F.max("published").alias("published"),
            # An aggregate, not a filter on the grouping key: Spark would push that below the group-by and
            # shuffle the keys once per use instead of once.
            F.max(F.col("identifier").isNull()).alias("per_source"),
        )
    )
    return _with_source_deletes(keys)


def _records_with_verdict(records: DataFrame, keys: DataFrame) -> DataFrame:
    """Extracted rows that are records (not fetch errors), with their rejection reasons and what the catalog
    publishes under their key (``published_*``)."""
    published = F.col("published")
    known = keys.filter(~F.col("per_source") & (F.col("listed") > 0)).select(
        "source_id",
        "identifier",
        "occurrences",
        published["content_hash"].alias("published_hash"),
        published["etag"].alias("published_etag"),
        published["last_modified"].alias("published_last_modified"),
        published["record_type"].alias("published_record_type"),
        # Versions written before DCAT-US 3.0 hold no version: everything published then was 1.1.
        F.when(published.isNotNull(), F.coalesce(published["dcat_version"], F.lit(DcatVersion.V1_1))).alias(
            "published_dcat_version"
        ),
    )
    # Broadcast (a few hundred bytes per record) so the records, with their raw text, are not shuffled.
    seen = records.filter(F.col("fetch_status") != FetchStatus.ERROR).join(
        F.broadcast(known), on=["source_id", "identifier"], how="left"
    )
    duplicate = F.format_string(DUPLICATE_IN_SOURCE, F.col("identifier"), F.col("occurrences"))
    return seen.withColumn(
        "reasons",
        _reasons(
            (F.col("error").isNotNull(), F.col("error")),
            (F.col("error").isNull() & F.col("identifier").isNull(), F.lit(NO_IDENTIFIER)),
            (F.col("occurrences") > 1, duplicate),
        ),
    )


def _classified(records: DataFrame) -> DataFrame:
    """The records with their verdict (``_records_with_verdict``) classified create, update, unchanged or reject."""
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
        records.withColumn("content_hash", F.when(F.size("reasons") == 0, content_hash))
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


def _with_source_deletes(keys: DataFrame) -> DataFrame:
    """The keys, each with its source's verdict on deletes (taken from the source's row): whether the
    source was read this run (``source_read``), and why its deletes are held (``hold``, null: they are not).

    Only a ``complete`` source whose every row was read up to its identifier deletes. A failed source
    was not read (no delete at all); a ``partial`` one cannot tell a removed record from an unread
    folder; a row with no identifier may be any of the published records.
    """
    read = F.col("per_source") & F.col("status").isin(SourceState.COMPLETE, SourceState.PARTIAL)
    hold = F.when(F.col("status") == SourceState.PARTIAL, F.lit(HELD_PARTIAL)).when(
        F.col("listed") > 0, F.format_string(HELD_UNIDENTIFIED, "listed", "first.why")
    )
    source = Window.partitionBy("source_id")
    return keys.withColumn("source_read", F.max(read).over(source)).withColumn(
        "hold", F.max(F.when(read, hold)).over(source)
    )


def _deletes(keys: DataFrame) -> DataFrame:
    """Catalog records of read sources that the source no longer lists: deleted, or held back.

    The one place the delete rule is written: a published record is deleted only when its source was
    read in full and the record is absent from it; every other absent record's delete carries the
    reason it is held (``_with_source_deletes``), and validate holds it.
    """
    # Everything the source still lists protects its catalog record, rejected or unfetchable alike.
    absent = keys.filter(
        ~F.col("per_source") & (F.col("listed") == 0) & F.col("published").isNotNull() & F.col("source_read")
    )
    published = F.col("published")
    return absent.select(
        "source_id",
        "identifier",
        published["record_url"].alias("record_url"),
        published["file_identifier"].alias("file_identifier"),
        F.lit(None).cast("string").alias("parent_identifier"),
        published["etag"].alias("etag"),
        published["last_modified"].alias("last_modified"),
        published["record_type"].alias("record_type"),
        published["dcat_version"].alias("dcat_version"),
        F.lit(Action.DELETE).alias("action"),
        F.lit(None).cast("string").alias("raw_format"),
        F.lit(None).cast("string").alias("raw"),
        published["content_hash"].alias("content_hash"),
        F.when(F.col("hold").isNotNull(), F.array("hold"))
        .otherwise(F.array())
        .cast(STRINGS)
        .alias("reasons"),
        F.array().cast(CHANGES["warnings"].dataType).alias("warnings"),
    )


def classify_changes(records: DataFrame, statuses: DataFrame, state: DataFrame) -> DataFrame:
    """EXTRACT_RECORDS + SOURCE_STATUS + CATALOG_STATE in, CHANGES out (see the module docstring).

    Its plan shuffles the keys by source (``_keys``: once for each of their two readers, which need other
    columns of them; persisting them saves none, the cache being a job of its own) and broadcasts once:
    what the catalog holds under the records' keys.
    """
    keys = _keys(records, statuses, state)
    classified = _classified(_records_with_verdict(records, keys))
    changes = classified.select(*CHANGES.fieldNames()).unionByName(_deletes(keys))
    return changes.select(*[F.col(field.name).cast(field.dataType) for field in CHANGES.fields])


def mark_held_deletes(statuses: DataFrame, changes: DataFrame) -> DataFrame:
    """SOURCE_STATUS with each complete source whose deletes compare held made ``partial``, the reason saying
    how many and why (a ``partial`` source keeps the reason extract gave it)."""
    held = (
        changes.filter(held_delete())
        .groupBy("source_id")
        .agg(F.count(F.lit(1)).alias("deletes_held"), F.min(F.element_at("reasons", 1)).alias("why"))
    )
    made_partial = (F.col("status") == SourceState.COMPLETE) & (F.col("deletes_held") > 0)
    return (
        statuses.join(held, on="source_id", how="left")
        .withColumn(
            "reason",
            F.when(made_partial, F.format_string(DELETES_HELD_REASON, "deletes_held", "why")).otherwise(
                F.col("reason")
            ),
        )
        .withColumn("status", F.when(made_partial, F.lit(SourceState.PARTIAL)).otherwise(F.col("status")))
        .select(*SOURCE_STATUS.fieldNames())
    )
