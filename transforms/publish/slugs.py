"""Dataset slugs (the last part of a catalog URL, /dataset/<slug>), made as data.gov makes them.

A record keeps the slug it was first published under for as long as it is in the catalog,
even when its title changes, so links stay valid. A new record gets ``slugify(title)``; when
that name is taken (by a published record, or by another new record of the same run) it gets
a numbered suffix, as CKAN's harvesters do: ``water-quality``, ``water-quality-1``, ...

Numbering, decided for the whole run at once:

* every published slug ``<base>-<n>`` (and every new record's own slug that looks like one)
  marks number ``n`` of ``<base>`` as taken; a slug equal to ``<base>`` marks number 0;
* the new records that share a base are ranked by (source_id, identifier); the first gets the
  bare base when number 0 is free, and the others get numbers above the highest taken one.

A new name is therefore never a published slug nor another new record's name, and the same
input always gives the same slugs. Gaps in the numbering are allowed; collisions are not.

The names it needs (the changes' keys and titles, the published keys and slugs) are small, so
one Spark job collects them and the driver numbers the run; the changes themselves are never
shuffled nor joined: a batched lookup adds each one's slug where it is read.
"""

import re
from collections import defaultdict

import pandas as pd
from pyspark.sql import DataFrame
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
_NUMBERED = re.compile(NUMBERED)

Key = tuple[str | None, str | None]


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


def _names(changes: DataFrame, state: DataFrame) -> list[tuple]:
    """One Spark job: each change's keys and title, and each published slug's keys, base and number, as
    (change, source_id, identifier, name, base, number) tuples.

    The published slugs are split by Spark's own regular expression, as they always were: a slug
    of an older catalog need not be made of the characters ``slugify`` leaves. The names come as
    columns (through Arrow where the session has it), not as a Row object each: at 100,000 names the
    Rows and their attribute lookups took 1.3 of the 2.5 s the driver spent here.
    """
    numbered = F.col("slug").rlike(NUMBERED)
    published = state.filter(F.col("slug").isNotNull()).select(
        F.lit(False).alias("change"),
        *KEYS,
        F.col("slug").alias("name"),
        F.when(numbered, F.regexp_extract("slug", NUMBERED, 1)).alias("base"),
        F.when(numbered, F.regexp_extract("slug", NUMBERED, 2).cast("long")).alias("number"),
    )
    titles = changes.select(
        F.lit(True).alias("change"),
        *KEYS,
        F.col("title").alias("name"),
        F.lit(None).cast("string").alias("base"),
        F.lit(None).cast("long").alias("number"),
    )
    frame = titles.unionByName(published).toPandas()
    # A null long comes back as NaN in a float column (its numbers, at most nine digits, exact).
    numbers = [None if n is None or n != n else int(n) for n in frame["number"].tolist()]
    columns = [frame[column].tolist() for column in ("change", *KEYS, "name", "base")]
    return list(zip(*columns, numbers, strict=True))


def _null_first(key: Key) -> tuple:
    """Sort key of (source_id, identifier) in Spark's ascending order: nulls first, then by code point."""
    return tuple((part is not None, part or "") for part in key)


def _number_new_records(
    titles: dict[Key, str | None], taken_names: list[tuple[str, str | None, int | None]]
) -> dict:
    """key -> slug for new records (their keys and titles), given the published slugs as
    (slug, base, number) with base and number set when the slug looks like <base>-<n>."""
    taken: dict[str, set[int]] = defaultdict(set)
    for slug, base, number in taken_names:
        taken[slug].add(0)
        if base is not None and number is not None:
            taken[base].add(number)
    bases = {key: slugify(title) for key, title in titles.items()}
    for base in bases.values():
        # A new record's own base taken as <base>-<n> reserves n for that other base only.
        match = _NUMBERED.match(base)
        if match and int(match.group(2)) > 0:
            taken[match.group(1)].add(int(match.group(2)))
    by_base: dict[str, list[Key]] = defaultdict(list)
    for key, base in bases.items():
        by_base[base].append(key)
    slugs = {}
    for base, keys in by_base.items():
        numbers = taken.get(base, set())
        highest = max(numbers, default=0)
        bare_free = 0 not in numbers
        for rank, key in enumerate(sorted(keys, key=_null_first)):
            if bare_free:
                number = 0 if rank == 0 else highest + rank
            else:
                number = highest + rank + 1
            slugs[key] = base if number == 0 else f"{base}-{number}"
    return slugs


def assign_slugs(changes: DataFrame, state: DataFrame) -> DataFrame:
    """`changes` plus `slug`: the published slug of a known record, a fresh unique one for a new record.

    Runs one Spark job now (collecting the names, see ``_names``); the frame it returns adds the slugs
    with a batched lookup, without a join or a shuffle.
    """
    published: dict[Key, str] = {}
    taken_names = []
    titles: dict[Key, list[str]] = defaultdict(list)
    for change, source_id, identifier, name, base, number in _names(changes, state):
        key = (source_id, identifier)
        if change:
            names = titles[key]  # every change's key, even one without a title
            if name is not None:
                names.append(name)
        else:
            taken_names.append((name, base, number))
            if None not in key:  # a null key matches no change, as in a join
                published[key] = name
    # One title per key, whichever order rows arrive in (the smallest; Spark's string order is by code point).
    new = {key: min(names, default=None) for key, names in titles.items() if key not in published}
    numbered = _number_new_records(new, taken_names)
    # A change without a key can be named by no lookup: it has no slug, though its title took its rank.
    slug_of = {
        key: published[key] if key in published else numbered[key] for key in titles if None not in key
    }
    lookup = changes.sparkSession.sparkContext.broadcast(slug_of)

    @F.pandas_udf(StringType())
    def slug_by_key(source_id: pd.Series, identifier: pd.Series) -> pd.Series:
        table = lookup.value
        return pd.Series([table.get(key) for key in zip(source_id, identifier, strict=True)], dtype=object)

    return changes.withColumn("slug", slug_by_key(*KEYS))
