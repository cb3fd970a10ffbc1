"""Duplicates across sources: one dataset is published by one source, and look-alikes are pointed out.

The dataset identifier of a record is its DCAT-US identifier: a data.json dataset's ``identifier``,
an XML record's fileIdentifier, or its URL when it has none (``coalesce(file_identifier,
identifier)``). It belongs to the first source that published it, until that source deletes it:

- a create whose dataset identifier the catalog already holds under another source is refused,
  with a reason naming that source (several holders, from before this rule: the earliest
  ``first_harvested``, then the first by source id);
- when several sources create the same new identifier in one run, the first by source id among
  those whose record passes the schema check (of a source that is not held) publishes it, and the
  others are refused, naming it.

A source that drops an identifier gives it up once that delete is published: another source's
create of it goes through from the next run. Near-duplicates, a record with the same title (case
and spacing aside) and the same landingPage or a same downloadURL as a record of another source,
are published with a warning naming the other record; the later record gets it (one of this run
against the catalog, or the one of the later source id when both are new).

Everything is decided on key-sized columns (identifiers, titles, URLs), joined in Spark; only the
refusals and warnings, normally none, are kept and broadcast back onto the validated rows.
"""

import functools
import operator
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms.compare.changes import changes_catalog
from transforms.gate.validate import check_schemas
from transforms.registry import Source
from transforms.schemas import CHANGING_ACTIONS, STRINGS, VALIDATED, Action, Decision, SourceState

KEYS = ["source_id", "identifier"]
EXAMPLES = 5
ALREADY_PUBLISHED = (
    'identifier already published by source "%s"; an identifier is published by the first source that '
    "published it, until that source deletes it"
)
ALSO_IN_RUN = (
    'identifier also harvested from source "%s" in this run; of sources publishing the same new '
    "identifier, the first by source id publishes it"
)
NEAR_DUPLICATE = 'possible duplicate of "%s" from source "%s": same title and %s'
REFUSALS = "source_id string, identifier string, refusal string"
NEAR = "source_id string, identifier string, near_warnings array<string>"
LOSERS = "source_id string, identifier string, owner string, rule string"
NO_DUPLICATES: dict = {"refused": [], "near_duplicates": []}
MATCH_FIELDS = "struct<title:string,landingPage:string,distribution:array<struct<downloadURL:string>>>"


@dataclass
class Duplicates:
    """Refusals (source_id, identifier, refusal) and warnings (source_id, identifier, near_warnings), cached,
    and their summary for the run report."""

    refusals: DataFrame
    near: DataFrame
    summary: dict


def dataset_id() -> Column:
    """A row's dataset identifier (see the module docstring)."""
    return F.coalesce("file_identifier", "identifier")


def _owned_elsewhere(creates: DataFrame, state: DataFrame) -> DataFrame:
    published = state.select(
        dataset_id().alias("dataset_id"),
        F.col("source_id").alias("owner"),
        F.coalesce("first_harvested", F.lit("9999-12-31").cast("timestamp")).alias("since"),
    )
    return (
        creates.join(published, on="dataset_id", how="inner")
        .filter(F.col("owner") != F.col("source_id"))
        .groupBy(*KEYS)
        .agg(F.min(F.struct("since", "owner")).alias("first"))
        .select(*KEYS, F.col("first.owner").alias("owner"), F.lit("published").alias("rule"))
    )


def _same_run_losers(
    transformed: DataFrame, creates: DataFrame, owned: DataFrame, sources: list[Source]
) -> DataFrame:
    candidates = creates.join(owned.select(*KEYS), on=KEYS, how="left_anti")
    contested = (
        candidates.groupBy("dataset_id")
        .agg(F.countDistinct("source_id").alias("sources"))
        .filter(F.col("sources") > 1)
    )
    if contested.isEmpty():
        # Normally no new identifier is created by two sources: one look, instead of the schema check
        # and the joins below running only to find no loser.
        return transformed.sparkSession.createDataFrame([], LOSERS)
    rows = candidates.join(contested.select("dataset_id"), on="dataset_id", how="left_semi")
    # Only the contested records (normally none) are checked here: a record the schema rejects cannot win.
    valid = (
        check_schemas(transformed.join(rows.select(*KEYS), on=KEYS, how="left_semi"), sources)
        .filter(F.size("schema_errors") == 0)
        .select(*KEYS, dataset_id().alias("dataset_id"))
    )
    winners = valid.groupBy("dataset_id").agg(F.min("source_id").alias("owner"))
    return (
        valid.join(winners, on="dataset_id", how="inner")
        .filter(F.col("source_id") != F.col("owner"))
        .select(*KEYS, "owner", F.lit("same run").alias("rule"))
    )


def _match_keys(frame: DataFrame) -> DataFrame:
    """source_id, identifier, dataset_id, title, url, rank, via: one row per landingPage or downloadURL."""
    parsed = F.from_json("dcat_json", MATCH_FIELDS)
    base = frame.select(
        *KEYS,
        dataset_id().alias("dataset_id"),
        F.lower(F.trim(F.regexp_replace(parsed["title"], r"\s+", " "))).alias("title"),
        parsed["landingPage"].alias("landing"),
        parsed["distribution"]["downloadURL"].alias("downloads"),
    )
    columns = [*KEYS, "dataset_id", "title"]
    landing = base.select(*columns, F.trim("landing").alias("url"), F.lit(1).alias("rank"))
    downloads = base.select(
        *columns, F.explode(F.transform("downloads", F.trim)).alias("url"), F.lit(2).alias("rank")
    )
    return (
        landing.unionByName(downloads)
        .filter((F.length("title") > 0) & (F.length("url") > 0))
        .withColumn("via", F.when(F.col("rank") == 1, "landingPage").otherwise("downloadURL"))
    )


def _near_pairs(
    transformed: DataFrame, state: DataFrame, refused: DataFrame, stopped: list[str]
) -> DataFrame:
    """source_id, identifier, other_source_id, warning: each record's first look-alike in each other source."""
    changing = transformed.filter(
        F.col("action").isin(*CHANGING_ACTIONS)
        & F.col("dcat_json").isNotNull()
        & ~F.col("source_id").isin(stopped)
    )
    mine = _match_keys(changing.join(refused.select(*KEYS), on=KEYS, how="left_anti"))
    touched = transformed.filter(changes_catalog()).select(*KEYS)
    published = _match_keys(state.join(touched, on=KEYS, how="left_anti")).withColumn("in_run", F.lit(False))
    others = published.unionByName(mine.withColumn("in_run", F.lit(True)))
    others = others.select(*[F.col(c).alias(f"other_{c}") for c in others.columns])
    matches = mine.join(
        others,
        on=(F.col("title") == F.col("other_title")) & (F.col("url") == F.col("other_url")),
        how="inner",
    ).filter(
        (F.col("other_source_id") != F.col("source_id"))
        # the same identifier is a duplicate, refused (or, when invalid, rejected anyway), not a look-alike
        & (F.col("other_dataset_id") != F.col("dataset_id"))
        & (~F.col("other_in_run") | (F.col("other_source_id") < F.col("source_id")))
    )
    first = F.min(F.struct("rank", "other_dataset_id", "via")).alias("first")
    return (
        matches.groupBy(*KEYS, "other_source_id")
        .agg(first)
        .select(
            *KEYS,
            "other_source_id",
            F.format_string(NEAR_DUPLICATE, "first.other_dataset_id", "other_source_id", "first.via").alias(
                "warning"
            ),
        )
    )


def _pair_counts(frame: DataFrame, other: str, extra: list[str]) -> list[dict]:
    rows = (
        frame.groupBy("source_id", other, *extra)
        .agg(
            F.count(F.lit(1)).alias("count"),
            F.slice(F.sort_array(F.collect_list("identifier")), 1, EXAMPLES).alias("examples"),
        )
        .collect()
    )
    entries = [{**row.asDict(), "examples": list(row["examples"])} for row in rows]
    return sorted(entries, key=lambda e: (-e["count"], e["source_id"], e[other]))


def publishes_anything(validated: DataFrame) -> bool:
    """True when the gate accepted at least one create or update (VALIDATED rows, before this check).

    When it accepted none (most days: nothing new or edited, or only records rejected again), nothing
    can be refused or look like another record, and the catalog need not even be read.
    """
    accepted = F.col("action").isin(*CHANGING_ACTIONS) & (F.col("decision") == Decision.ACCEPT)
    return not validated.filter(accepted).select(*KEYS).isEmpty()


def no_duplicates(spark: SparkSession) -> Duplicates:
    """The Duplicates of a run that publishes no create or update."""
    return Duplicates(
        spark.createDataFrame([], REFUSALS), spark.createDataFrame([], NEAR), NO_DUPLICATES.copy()
    )


def find_duplicates(
    transformed: DataFrame, statuses: DataFrame, state: DataFrame, sources: list[Source]
) -> Duplicates:
    """The refusals and near-duplicate warnings of a run: TRANSFORMED rows, the validated SOURCE_STATUS
    (held and failed sources publish nothing, so they neither win nor lose) and the base CATALOG_STATE."""
    stopped = [
        row["source_id"]
        for row in statuses.filter(F.col("status").isin(SourceState.HELD, SourceState.FAILED)).collect()
    ]
    creates = transformed.filter(
        (F.col("action") == Action.CREATE)
        & F.col("dcat_json").isNotNull()
        & ~F.col("source_id").isin(stopped)
    ).select(*KEYS, dataset_id().alias("dataset_id"))
    owned = _owned_elsewhere(creates, state).cache()
    losers = _same_run_losers(transformed, creates, owned, sources)
    refused = owned.unionByName(losers).cache()
    refusals = refused.select(
        *KEYS,
        F.when(F.col("rule") == "published", F.format_string(ALREADY_PUBLISHED, "owner"))
        .otherwise(F.format_string(ALSO_IN_RUN, "owner"))
        .alias("refusal"),
    )
    pairs = _near_pairs(transformed, state, refused, stopped).cache()
    near = pairs.groupBy(*KEYS).agg(F.sort_array(F.collect_list("warning")).alias("near_warnings"))
    summary = {
        "refused": _pair_counts(refused, "owner", ["rule"]),
        "near_duplicates": _pair_counts(pairs, "other_source_id", []),
    }
    owned.unpersist()
    return Duplicates(refusals, near, summary)


def cross_source_finding() -> Column:
    """True for a row (VALIDATED or OUTCOMES) holding a reason or warning this check wrote.

    Such a finding depends on other sources' records, so it may change when they do even if the
    row's own source did not (see transforms.repeat_run).
    """
    prefixes = [text.split("%s")[0] for text in (ALREADY_PUBLISHED, ALSO_IN_RUN, NEAR_DUPLICATE)]

    def written_here(text: Column) -> Column:
        return functools.reduce(operator.or_, [text.startswith(prefix) for prefix in prefixes])

    return F.exists("reasons", written_here) | F.exists("warnings", written_here)


def apply_duplicates(validated: DataFrame, duplicates: Duplicates) -> DataFrame:
    """VALIDATED with the refused creates rejected (the reason appended) and the near-duplicate warnings added."""
    if not (duplicates.summary["refused"] or duplicates.summary["near_duplicates"]):
        # The summary counts every refusal and look-alike: none found, none to join (most runs).
        return validated.select(*[F.col(f.name).cast(f.dataType) for f in VALIDATED.fields])
    marked = validated.join(F.broadcast(duplicates.refusals), on=KEYS, how="left").join(
        F.broadcast(duplicates.near), on=KEYS, how="left"
    )
    refused = (
        F.col("refusal").isNotNull()
        & (F.col("action") == Action.CREATE)
        & (F.col("decision") != Decision.HELD)
    )
    warned = F.col("near_warnings").isNotNull() & F.col("action").isin(*CHANGING_ACTIONS)
    return (
        marked.withColumn(
            "reasons",
            F.when(
                refused, F.concat(F.coalesce("reasons", F.array().cast(STRINGS)), F.array("refusal"))
            ).otherwise(F.col("reasons")),
        )
        .withColumn("decision", F.when(refused, F.lit(Decision.REJECT)).otherwise(F.col("decision")))
        .withColumn(
            "warnings",
            F.when(
                warned, F.concat(F.coalesce("warnings", F.array().cast(STRINGS)), "near_warnings")
            ).otherwise(F.col("warnings")),
        )
        .select(*[F.col(f.name).cast(f.dataType) for f in VALIDATED.fields])
    )
