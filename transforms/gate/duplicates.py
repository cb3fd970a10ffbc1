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

Everything is decided on key-sized columns (identifiers, titles, URLs), grouped in Spark. This run's
records carry their title, landingPage and downloadURLs as columns transform wrote (parsing every
changed record's JSON again was about half the check's time); the catalog's published records keep
only their JSON, parsed for them. One aggregate finds the groups where a record of this run meets
another source's record (normally none), and only their rows come to the driver, which applies the
rules; the refusals and warnings, normally none, are broadcast back onto the validated rows. When the
driver knows that fewer than two sources can meet (``check_duplicates``), no Spark job runs.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms.compare.changes import changes_catalog
from transforms.registry import Source
from transforms.schemas import CHANGING_ACTIONS, STRINGS, VALIDATED, Action, Decision

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
NO_DUPLICATES: dict = {"refused": [], "near_duplicates": []}
# What the look-alike rule reads of a published record's JSON.
MATCH_FIELDS = "struct<title:string,landingPage:string,distribution:array<struct<downloadURL:string>>>"
# What every reason or warning this check writes starts with.
CROSS_SOURCE_PREFIXES = tuple(
    text.split("%s")[0] for text in (ALREADY_PUBLISHED, ALSO_IN_RUN, NEAR_DUPLICATE)
)


@dataclass
class Duplicates:
    """Refusals (source_id, identifier, refusal) and warnings (source_id, identifier, near_warnings), small
    frames made on the driver, and their summary for the run report."""

    refusals: DataFrame
    near: DataFrame
    summary: dict

    @property
    def found(self) -> bool:
        """A refusal or a look-alike was found (the summary counts every one; most runs find none)."""
        return bool(self.summary["refused"] or self.summary["near_duplicates"])


def dataset_id() -> Column:
    """A row's dataset identifier (see the module docstring)."""
    return F.coalesce("file_identifier", "identifier")


def _match_keys(frame: DataFrame, title: Column, landing: Column, downloads: Column) -> DataFrame:
    """source_id, identifier, dataset_id, title, url, rank: one row per landingPage (rank 1) or downloadURL
    (2) of each row of ``frame``, whose title, landingPage and downloadURLs are the three columns given."""
    base = frame.select(
        *KEYS,
        dataset_id().alias("dataset_id"),
        F.lower(F.trim(F.regexp_replace(title, r"\s+", " "))).alias("title"),
        landing.alias("landing"),
        downloads.alias("downloads"),
    )
    columns = [*KEYS, "dataset_id", "title"]
    landing_rows = base.select(*columns, F.trim("landing").alias("url"), F.lit(1).alias("rank"))
    downloads_rows = base.select(
        *columns, F.explode(F.transform("downloads", F.trim)).alias("url"), F.lit(2).alias("rank")
    )
    return landing_rows.unionByName(downloads_rows).filter((F.length("title") > 0) & (F.length("url") > 0))


def _run_match_keys(transformed: DataFrame) -> DataFrame:
    """The match keys of TRANSFORMED rows, from the typed columns transform wrote beside the dataset."""
    return _match_keys(transformed, F.col("title"), F.col("landing_page"), F.col("download_urls"))


def _published_match_keys(state: DataFrame) -> DataFrame:
    """The match keys of CATALOG_STATE rows, which keep only the dataset's JSON: parsed from it."""
    parsed = F.from_json("dcat_json", MATCH_FIELDS)
    return _match_keys(state, parsed["title"], parsed["landingPage"], parsed["distribution"]["downloadURL"])


def _entries(kind: str, frame: DataFrame, in_run: bool, key: str, title: Column, since: Column, rank: Column):
    """Grouping entries (kind, title, key, row): each row of frame under the key it may collide on."""
    return frame.select(
        F.lit(kind).alias("kind"),
        title.alias("title"),
        F.col(key).alias("key"),
        F.struct(
            *KEYS, "dataset_id", F.lit(in_run).alias("in_run"), since.alias("since"), rank.alias("rank")
        ).alias("row"),
    )


def _collisions(transformed: DataFrame, state: DataFrame, stopped: list[str]) -> tuple[list, list]:
    """(identifier groups, look-alike groups), each a list of rows (source_id, identifier, dataset_id,
    in_run, since, rank) that share a dataset identifier, or a title and a URL, where a record of this
    run meets a record of another source. One aggregate in Spark finds those groups (normally none);
    only their rows, gathered in a second pass when there are any, come back to the driver, where the
    rules are applied.

    Identifier groups hold this run's creates and every published record (``since``: when it was
    first harvested); look-alike groups hold this run's creates and updates and every published
    record (``rank``: 1 by landingPage, 2 by downloadURL): those this run changes are left out after
    (``_changed_here``), a look at the few found rather than a join of the whole catalog.
    """
    changing = transformed.filter(
        F.col("action").isin(*CHANGING_ACTIONS)
        & F.col("dcat_json").isNotNull()
        & ~F.col("source_id").isin(stopped)
    )
    creates = changing.filter(F.col("action") == Action.CREATE).select(
        *KEYS, dataset_id().alias("dataset_id")
    )
    published = state.select(
        *KEYS,
        dataset_id().alias("dataset_id"),
        F.coalesce("first_harvested", F.lit("9999-12-31").cast("timestamp")).alias("since"),
    )
    no_title, no_time, no_rank = (
        F.lit(None).cast("string"),
        F.lit(None).cast("timestamp"),
        F.lit(None).cast("int"),
    )
    entries = (
        _entries("identifier", creates, True, "dataset_id", no_title, no_time, no_rank)
        .unionByName(
            _entries("identifier", published, False, "dataset_id", no_title, F.col("since"), no_rank)
        )
        .filter(F.col("key").isNotNull())  # a null identifier is nobody's
        .unionByName(
            _entries(
                "look-alike", _run_match_keys(changing), True, "url", F.col("title"), no_time, F.col("rank")
            )
        )
        .unionByName(
            _entries(
                "look-alike",
                _published_match_keys(state),
                False,
                "url",
                F.col("title"),
                no_time,
                F.col("rank"),
            )
        )
    )
    group = ["kind", "title", "key"]
    # First only which groups collide, in a plain aggregate (no list of rows per key); then, when some
    # do (normally none), their rows, from the entries of those groups alone.
    colliding = (
        entries.groupBy(*group)
        .agg(
            F.max("row.in_run").alias("in_run"),
            F.min("row.source_id").alias("first_source"),
            F.max("row.source_id").alias("last_source"),
        )
        .filter(F.col("in_run") & (F.col("first_source") != F.col("last_source")))
        .select(*group)
        .collect()
    )
    if not colliding:
        return [], []
    found = F.broadcast(transformed.sparkSession.createDataFrame(colliding, entries.select(*group).schema))
    same_group = [entries[name].eqNullSafe(found[name]) for name in group]  # a null title is a group's too
    groups = (
        entries.join(found, on=same_group, how="left_semi")
        .groupBy(*group)
        .agg(F.collect_list("row").alias("rows"))
        .select("kind", "rows")
        .collect()
    )
    return (
        [group.rows for group in groups if group.kind == "identifier"],
        [group.rows for group in groups if group.kind == "look-alike"],
    )


def _changed_here(transformed: DataFrame, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Those of the published records ``keys`` (source_id, identifier) that this run creates, updates or deletes."""
    named = sorted("\x00".join(key) for key in keys if None not in key)  # as in a join, null is no key
    if not named:
        return set()
    wanted = F.concat_ws("\x00", *KEYS).isin(named)
    changed = transformed.filter(changes_catalog() & wanted).select(*KEYS).collect()
    return {(row.source_id, row.identifier) for row in changed}


def _owned_elsewhere(groups: list) -> dict[tuple[str, str], str]:
    """(source_id, identifier) of a create -> the other source that published its dataset identifier first."""
    owners: dict[tuple[str, str], tuple] = {}
    for rows in groups:
        published = [(row.since, row.source_id) for row in rows if not row.in_run]
        for create in (row for row in rows if row.in_run):
            others = [first for first in published if first[1] != create.source_id]
            if others:
                key = (create.source_id, create.identifier)
                owners[key] = min([*others, owners[key]]) if key in owners else min(others)
    return {key: owner for key, (_, owner) in owners.items()}


def _same_run_losers(
    transformed: DataFrame, groups: list, owned: dict, sources: list[Source]
) -> dict[tuple[str, str], str]:
    """(source_id, identifier) of a create -> the source that publishes the same new identifier instead."""
    contested = []
    for rows in groups:
        candidates = [row for row in rows if row.in_run and (row.source_id, row.identifier) not in owned]
        if len({row.source_id for row in candidates}) > 1:
            contested.extend(candidates)
    if not contested:  # normally no new identifier is created by two sources: no schema check here
        return {}
    keys = transformed.sparkSession.createDataFrame(
        [(row.source_id, row.identifier) for row in contested], "source_id string, identifier string"
    )
    # Imported here, not with the module: the gate's validate module imports pandas (through the suites
    # and the holds), which the report's tally tasks, importing this module for its finding prefixes,
    # would otherwise load in every Python worker (0.3 s each).
    from transforms.gate.validate import check_schemas

    # Only the contested records are checked here: a record the schema rejects cannot win.
    valid = {
        (row.source_id, row.identifier)
        for row in check_schemas(transformed.join(F.broadcast(keys), on=KEYS, how="left_semi"), sources)
        .filter(F.size("schema_errors") == 0)
        .select(*KEYS)
        .collect()
    }
    winners: dict[str, str] = {}
    for row in contested:
        if (row.source_id, row.identifier) in valid:
            winners[row.dataset_id] = min(winners.get(row.dataset_id, row.source_id), row.source_id)
    return {
        (row.source_id, row.identifier): winners[row.dataset_id]
        for row in contested
        if (row.source_id, row.identifier) in valid and row.source_id != winners[row.dataset_id]
    }


def _near_pairs(groups: list, refused: dict) -> dict[tuple[str, str, str], tuple[int, str]]:
    """(source_id, identifier, other_source_id) -> (rank, other dataset identifier): each record's first
    look-alike in each other source (its landingPage before its downloadURLs, then the first identifier)."""
    first: dict[tuple[str, str, str], tuple[int, str]] = {}
    for rows in groups:
        # A refused create is neither warned nor a look-alike.
        kept = [row for row in rows if not (row.in_run and (row.source_id, row.identifier) in refused)]
        # Per other source, the dataset identifiers it offers as look-alikes: the published ones to
        # every record, the ones of this run only to a record of a later source. Only the two lowest
        # are kept: the lowest other than a record's own is one of them, so a group of many
        # look-alikes (one publisher's thousands of records with one title and URL) costs a pass, not
        # a pass per record.
        offered: dict[str, dict[bool, list[str]]] = {}
        for row in kept:
            if row.dataset_id is not None:
                lowest = offered.setdefault(row.source_id, {True: [], False: []})[row.in_run]
                lowest[:] = _two_lowest([*lowest, row.dataset_id])
        for row in kept:
            if not row.in_run or row.dataset_id is None:
                continue
            for other, ids in offered.items():
                if other == row.source_id:
                    continue
                choices = ids[False] + (ids[True] if other < row.source_id else [])
                others = [dataset for dataset in _two_lowest(choices) if dataset != row.dataset_id]
                if others:
                    key = (row.source_id, row.identifier, other)
                    found = (row.rank, others[0])
                    first[key] = min(first[key], found) if key in first else found
    return first


def _two_lowest(values: list[str]) -> list[str]:
    """The two lowest distinct values, lowest first."""
    return sorted(set(values))[:2]


def _pair_counts(pairs: list[tuple], other: str, extra: tuple[str, ...] = ()) -> list[dict]:
    """The summary entries: per (source_id, other, *extra) the count and the first identifiers, from
    tuples (source_id, identifier, other value, *extra values)."""
    grouped: dict[tuple, list[str]] = {}
    for source_id, identifier, *rest in pairs:
        grouped.setdefault((source_id, *rest), []).append(identifier)
    entries = [
        {
            "source_id": group[0],
            other: group[1],
            **dict(zip(extra, group[2:], strict=True)),
            "count": len(identifiers),
            "examples": sorted(identifiers)[:EXAMPLES],
        }
        for group, identifiers in grouped.items()
    ]
    return sorted(entries, key=lambda e: (-e["count"], e["source_id"], e[other]))


def publishes_anything(validated: DataFrame) -> bool:
    """True when the gate accepted at least one create or update (VALIDATED rows, before this check).

    When it accepted none (nothing new or edited, or only records rejected again), nothing can be
    refused or look like another record.
    """
    accepted = F.col("action").isin(*CHANGING_ACTIONS) & (F.col("decision") == Decision.ACCEPT)
    return not validated.filter(accepted).select(*KEYS).isEmpty()


def check_duplicates(
    transformed: DataFrame,
    validated: DataFrame,
    stopped: list[str],
    state: DataFrame,
    sources: list[Source],
    transform_counts: dict | None,
    catalog_sources: Iterable[str] | None,
) -> Duplicates:
    """The run's Duplicates (see find_duplicates), found only when the run publishes a create or an update.

    No Spark job runs when the driver already knows that the check can find nothing:
    - ``transform_counts`` (the transform stage's rows per action, when known): transform created and
      updated nothing (most days);
    - ``catalog_sources`` (the sources the base catalog version publishes, when known): with the run's
      sources that publish, fewer than two sources, so no record can meet another source's.

    Otherwise the check runs first, and whether the gate accepted a create or an update (VALIDATED
    rows) is asked only if it found something.
    """
    spark = transformed.sparkSession
    if transform_counts is not None and not any(transform_counts.get(a) for a in CHANGING_ACTIONS):
        return no_duplicates(spark)
    publishing = {source.id for source in sources} - set(stopped)
    if catalog_sources is not None and len(publishing | set(catalog_sources)) < 2:
        return no_duplicates(spark)
    duplicates = find_duplicates(transformed, stopped, state, sources)
    return duplicates if duplicates.found and publishes_anything(validated) else no_duplicates(spark)


def no_duplicates(spark: SparkSession) -> Duplicates:
    """The Duplicates of a run that publishes no create or update."""
    return Duplicates(
        spark.createDataFrame([], REFUSALS), spark.createDataFrame([], NEAR), NO_DUPLICATES.copy()
    )


def find_duplicates(
    transformed: DataFrame, stopped: list[str], state: DataFrame, sources: list[Source]
) -> Duplicates:
    """The refusals and near-duplicate warnings of a run: TRANSFORMED rows, the sources that publish
    nothing (``stopped``: held and failed; they neither win nor lose) and the base CATALOG_STATE."""
    identifier_groups, look_alike_groups = _collisions(transformed, state, stopped)
    # A published record this run changes is no look-alike: its new version (if any) is this run's.
    changed = _changed_here(
        transformed,
        {(row.source_id, row.identifier) for rows in look_alike_groups for row in rows if not row.in_run},
    )
    look_alike_groups = [
        [row for row in rows if row.in_run or (row.source_id, row.identifier) not in changed]
        for rows in look_alike_groups
    ]
    owned = _owned_elsewhere(identifier_groups)
    losers = _same_run_losers(transformed, identifier_groups, owned, sources)
    refused = {
        **{key: ("published", owner) for key, owner in owned.items()},
        **{key: ("same run", owner) for key, owner in losers.items()},
    }
    pairs = _near_pairs(look_alike_groups, refused)
    spark = transformed.sparkSession
    refusals = [
        (*key, (ALREADY_PUBLISHED if rule == "published" else ALSO_IN_RUN) % owner)
        for key, (rule, owner) in refused.items()
    ]
    warnings: dict[tuple[str, str], list[str]] = {}
    for (source_id, identifier, other), (rank, other_dataset) in pairs.items():
        via = "landingPage" if rank == 1 else "downloadURL"
        warnings.setdefault((source_id, identifier), []).append(NEAR_DUPLICATE % (other_dataset, other, via))
    summary = {
        "refused": _pair_counts(
            [(*key, owner, rule) for key, (rule, owner) in refused.items()], "owner", ("rule",)
        ),
        "near_duplicates": _pair_counts(list(pairs), "other_source_id"),
    }
    return Duplicates(
        spark.createDataFrame(refusals, REFUSALS),
        spark.createDataFrame([(*key, sorted(texts)) for key, texts in warnings.items()], NEAR),
        summary,
    )


def is_cross_source_finding(text: str | None) -> bool:
    """True for a reason or warning this check wrote.

    Such a finding depends on other sources' records, so it may change when they do even if the
    row's own source did not (see transforms.repeat_run).
    """
    return text is not None and text.startswith(CROSS_SOURCE_PREFIXES)


def apply_duplicates(validated: DataFrame, duplicates: Duplicates) -> DataFrame:
    """VALIDATED with the refused creates rejected (the reason appended) and the near-duplicate warnings added."""
    if not duplicates.found:  # none to join (most runs)
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
