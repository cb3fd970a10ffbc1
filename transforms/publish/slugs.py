"""Dataset slugs (the last part of a catalog URL, /dataset/<slug>), made as data.gov makes them.

A record keeps the slug it was first published under for as long as it is in the catalog,
even when its title changes, so links stay valid. A new record gets ``slugify(title)``; when
that name is taken (by a published record, or by another new record of the same run) it gets
a numbered suffix, as CKAN's harvesters do: ``water-quality``, ``water-quality-1``, ...

Numbering, decided in Spark for the whole run at once:

* every published slug ``<base>-<n>`` (and every new record's own slug that looks like one)
  marks number ``n`` of ``<base>`` as taken; a slug equal to ``<base>`` marks number 0;
* the new records that share a base are ranked by (source_id, identifier); the first gets the
  bare base when number 0 is free, and the others get numbers above the highest taken one.

A new name is therefore never a published slug nor another new record's name, and the same
input always gives the same slugs. Gaps in the numbering are allowed; collisions are not.
"""

import re

import pandas as pd
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from transforms.text import fold_to_ascii

SLUG_MAX = 90
SUFFIX_ROOM = 10  # "-" and up to nine digits: a base plus its suffix stays within SLUG_MAX
BASE_MAX = SLUG_MAX - SUFFIX_ROOM
FALLBACK = "dataset"
KEYS = ["source_id", "identifier"]
# <base>-<n>: the last hyphen and the digits after it; at most 9 digits so n fits a long
NUMBERED = r"^(.+)-([0-9]{1,9})$"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(title: str | None) -> str:
    """ASCII-folded, lowercase, hyphen-separated name of at most BASE_MAX characters; never empty."""
    folded = fold_to_ascii(title or "")
    slug = _NOT_SLUG.sub("-", folded.lower()).strip("-")
    if len(slug) > BASE_MAX:
        cut = slug[: BASE_MAX + 1]
        boundary = cut.rfind("-")
        # Cut at a word boundary unless that would throw away most of the name.
        slug = cut[:boundary] if boundary >= BASE_MAX // 2 else slug[:BASE_MAX]
        slug = slug.strip("-")
    return slug or FALLBACK


@F.pandas_udf(StringType())  # a type object: no session needed at import
def _slugify_batch(titles: pd.Series) -> pd.Series:
    return titles.map(slugify)


def _taken_numbers(names: DataFrame) -> DataFrame:
    """base, number: for each name, (name, 0) and, when it looks like <base>-<n>, (base, n)."""
    bare = names.select(F.col("name").alias("base"), F.lit(0).cast("long").alias("number"))
    numbered = names.filter(F.col("name").rlike(NUMBERED)).select(
        F.regexp_extract("name", NUMBERED, 1).alias("base"),
        F.regexp_extract("name", NUMBERED, 2).cast("long").alias("number"),
    )
    return bare.unionByName(numbered)


def _name_new_records(new: DataFrame, state: DataFrame) -> DataFrame:
    """KEYS + slug for records without a published slug (`new` has KEYS and `base`)."""
    published = _taken_numbers(state.filter(F.col("slug").isNotNull()).select(F.col("slug").alias("name")))
    # A new record's own base taken as <base>-<n> reserves n for that other base only.
    claimed = _taken_numbers(new.select(F.col("base").alias("name"))).filter(F.col("number") > 0)
    taken = (
        published.unionByName(claimed)
        .join(new.select("base").distinct(), on="base", how="left_semi")
        .groupBy("base")
        .agg(F.max("number").alias("highest"), F.max(F.col("number") == 0).alias("bare_taken"))
    )
    rank = F.row_number().over(Window.partitionBy("base").orderBy(*KEYS)) - 1
    bare_free = F.coalesce(~F.col("bare_taken"), F.lit(True))
    highest = F.coalesce(F.col("highest"), F.lit(0))
    number = F.when(bare_free, F.when(F.col("rank") == 0, 0).otherwise(highest + F.col("rank"))).otherwise(
        highest + F.col("rank") + 1
    )
    return (
        new.join(taken, on="base", how="left")
        .withColumn("rank", rank)
        .withColumn("number", number)
        .select(
            *KEYS,
            F.when(F.col("number") == 0, F.col("base"))
            .otherwise(F.concat_ws("-", "base", F.col("number").cast("string")))
            .alias("new_slug"),
        )
    )


def assign_slugs(changes: DataFrame, state: DataFrame) -> DataFrame:
    """`changes` plus `slug`: the published slug of a known record, a fresh unique one for a new record."""
    published = state.filter(F.col("slug").isNotNull()).select(*KEYS, F.col("slug").alias("published_slug"))
    # Key-sized sides are broadcast, so the changes (with their dataset JSON) are never shuffled.
    with_published = changes.join(F.broadcast(published), on=KEYS, how="left")
    # Only records without a slug run through Python (a batched pandas UDF), never the whole catalog.
    new = (
        with_published.filter(F.col("published_slug").isNull())
        .groupBy(*KEYS)
        .agg(F.min("title").alias("title"))  # one title per key, whichever order rows arrive in
        .select(*KEYS, _slugify_batch(F.col("title")).alias("base"))
    )
    named = _name_new_records(new, state)
    return (
        with_published.join(F.broadcast(named), on=KEYS, how="left")
        .withColumn("slug", F.coalesce("published_slug", "new_slug"))
        .drop("published_slug", "new_slug")
    )
