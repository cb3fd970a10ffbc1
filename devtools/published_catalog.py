"""The published catalog of a lake as plain rows, and what differs between two lakes' catalogs.

Read with pyarrow, not Spark, so a comparison needs no session: `python -m devtools.glue_submit --compare`
and `make run-cluster` check that another way of running the workflow published the same catalog.
"""

import pyarrow.parquet as pq

from transforms.lake.catalog_state import current_version, version_uri

# Catalog columns that name the run or its time, so two harvests of the same input differ there.
RUN_COLUMNS = ("first_harvested", "last_harvested", "last_changed_run")


def published_records(lake_root: str) -> dict[tuple[str, str], dict]:
    """The current catalog version's records by (source_id, identifier), without the columns that name the run."""
    version = current_version(lake_root)
    if version is None:
        return {}
    table = pq.read_table(version_uri(lake_root, version))
    rows = table.drop_columns(list(RUN_COLUMNS)).to_pylist()
    return {(row["source_id"], row["identifier"]): row for row in rows}


def catalog_difference(lake_root: str, other_root: str) -> list[str]:
    """What differs between two lakes' published catalogs, one line per record: on one side only, or
    which columns hold other values (content_hash, dcat_json, slug...). Empty when they are the same."""
    mine, theirs = published_records(lake_root), published_records(other_root)
    differences = []
    for key in sorted(set(mine) | set(theirs)):
        here, there = mine.get(key, {}), theirs.get(key, {})
        columns = sorted(name for name in set(here) | set(there) if here.get(name) != there.get(name))
        if columns:
            differences.append(
                f"{key[0]} {key[1]}: " + (", ".join(columns) if here and there else "on one side only")
            )
    return differences
