"""A repeat run: nothing changed since the last run, so its verdicts stand and no Spark starts before validate.

The last run that loaded (not a dry run) leaves ``catalog/LAST_RUN.json``: its run id, the catalog
version it left current, the digest of the code that judged the records, its ``publish_as``, and for
each source whose verdicts can be carried (see :func:`carriable_sources`) the digest of the source's
settings and the sha256 of the document it read. Before Spark starts, extract decides that a run
*repeats* that run when all of these hold:

- the run is not forced, and the lake's current catalog version is the one LAST_RUN names (no other
  run, rollback or rebuild since), and that run's tables are still in the lake (not pruned);
- the code digest and ``publish_as`` are the same;
- every source of the run is a data.json catalog (DCAT-US 1.1 or 3.0) that LAST_RUN lists with the
  same settings, and fetching it again gives the same bytes.

A whole data.json is the source's only input, and the split, crosswalk and gate are deterministic
functions of it, the code and the settings, so a full re-read would judge every record as the last
run did; :func:`carried_verdicts` writes those verdicts as the re-read would have written them
(what the last run created or updated is now unchanged; its rejects are rejected again, with the same
reasons). Extract, compare and transform then have nothing to do and start no Spark session; load
runs as on any day when nothing changed. What is not repeated: the Great Expectations suites (no
record is validated again, so there are no Data Docs for the run) and the fetch of WAF or single ISO
documents, which are never repeats (a listing identical to yesterday's does not prove its files are).
"""

import hashlib
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms import lake
from transforms.fetch.source_pass import document_sha256  # fetched as extract fetches it
from transforms.registry import Source
from transforms.run_manifest import RunManifest
from transforms.schemas import (
    CHANGES,
    CHANGING_ACTIONS,
    EXTRACT_RECORDS,
    SOURCE_STATUS,
    STRINGS,
    TRANSFORMED,
    VALIDATED,
    Action,
    Decision,
    Outcome,
    SourceState,
)

log = logging.getLogger(__name__)

# The packages whose code and data decide a record's verdict (Data Docs' fonts and styles do not).
JUDGING_PACKAGES = ("transforms", "expectations")
NOT_JUDGING = {"__pycache__", "data_docs_assets"}
FETCH_THREADS = 4
# The columns transform adds to a create or update; an unchanged row carries none of them.
TRANSFORM_COLUMNS = [name for name in TRANSFORMED.fieldNames() if name not in CHANGES.fieldNames()]


def _files(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name in NOT_JUDGING:
            continue
        if entry.is_dir():
            yield from _files(entry, f"{prefix}{entry.name}/")
        else:
            yield f"{prefix}{entry.name}", entry


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 over every file of the judging packages, read as they are installed (a folder or Glue's zip)."""
    digest = hashlib.sha256()
    for package in JUDGING_PACKAGES:
        for name, entry in _files(resources.files(package), f"{package}/"):
            digest.update(name.encode("utf-8") + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()


def settings_digest(source: Source) -> str:
    """sha256 of the source's registry entry as parsed: any edit to it (even a title) means no repeat."""
    return hashlib.sha256(json.dumps(asdict(source), sort_keys=True, default=str).encode("utf-8")).hexdigest()


def last_run_uri(lake_root: str) -> str:
    """catalog/LAST_RUN.json: what a repeat of the last loaded run needs to know about it."""
    return lake.join(lake_root, "catalog", "LAST_RUN.json")


def repeat_uri(lake_root: str, run_id: str) -> str:
    """runs/<run_id>/repeat.json: present when extract decided the run repeats an earlier one."""
    return lake.run_path(lake_root, run_id, "repeat.json")


def read_last_run(lake_root: str) -> dict | None:
    """LAST_RUN.json, or None when there is none or it cannot be read (then no run is a repeat)."""
    text = lake.read_text(last_run_uri(lake_root))
    if text is None:
        return None
    try:
        last = json.loads(text)
        return last if isinstance(last, dict) and isinstance(last.get("sources"), dict) else None
    except ValueError:
        log.warning("%s is not readable: this run reads every source again", last_run_uri(lake_root))
        return None


def write_last_run(
    lake_root: str, manifest: RunManifest, version: str | None, documents: dict[str, str]
) -> None:
    """Load's last step: this run, the version it left current, and its carriable sources' document hashes."""
    settings = {source.id: settings_digest(source) for source in manifest.sources()}
    last = {
        "run_id": manifest.run_id,
        "version": version,
        "code": code_digest(),
        "publish_as": manifest.publish_as,
        "sources": {
            source_id: {"document_sha256": sha256, "settings": settings[source_id]}
            for source_id, sha256 in sorted(documents.items())
        },
    }
    lake.write_text(last_run_uri(lake_root), json.dumps(last, indent=2) + "\n", "application/json")


def repeat_of(lake_root: str, run_id: str) -> str | None:
    """The run this run repeats, as extract decided it; None for a run that reads its sources."""
    text = lake.read_text(repeat_uri(lake_root, run_id))
    return json.loads(text)["of"] if text is not None else None


def _why_not(lake_root: str, manifest: RunManifest, last: dict | None) -> str | None:
    """Why the run cannot repeat the last one (without fetching anything); None when it may."""
    if manifest.force:
        return "the run is forced"
    if last is None:
        return "no earlier run has loaded"
    if last.get("version") != manifest.base_version:
        return "the catalog changed since the last run"
    if last.get("code") != code_digest() or last.get("publish_as") != manifest.publish_as:
        return "the code or publish_as changed since the last run"
    if not manifest.sources():
        return "the run has no sources"
    for source in manifest.sources():
        known = last["sources"].get(source.id)
        if source.type != "datajson":
            return f"source {source.id} is a {source.type}, which is always read"
        if known is None or known.get("settings") != settings_digest(source):
            return (
                f"source {source.id} is new, changed in the registry, or its last verdicts cannot be carried"
            )
    for table in ("extract/records", "validate/records", "validate/sources"):
        if not lake.folder_exists(lake.run_path(lake_root, last["run_id"], *table.split("/"))):
            return f"run {last['run_id']}'s {table} is no longer in the lake"
    return None


def decide(lake_root: str, manifest: RunManifest) -> str | None:
    """Extract's first step: the run id this run repeats (recorded in repeat.json), or None to read every source.

    Fetches each data.json once (a few at a time) and compares its sha256 with LAST_RUN's. An attempt
    of a run that already decided keeps its decision.
    """
    decided = repeat_of(lake_root, manifest.run_id)
    if decided is not None or lake.read_text(repeat_uri(lake_root, manifest.run_id)) is not None:
        return decided
    last = read_last_run(lake_root)
    reason = _why_not(lake_root, manifest, last)
    if reason is not None or last is None:
        log.info("run %s reads every source: %s", manifest.run_id, reason)
        return None
    sources = manifest.sources()
    with ThreadPoolExecutor(FETCH_THREADS) as pool:  # a source that cannot be fetched hashes to None
        hashes = dict(zip([s.id for s in sources], pool.map(document_sha256, sources), strict=True))
    changed = [s for s, sha in hashes.items() if sha != last["sources"][s]["document_sha256"]]
    if changed:
        log.info(
            "run %s reads every source: %d document(s) changed, first %s",
            manifest.run_id,
            len(changed),
            changed[0],
        )
        return None
    record = {"of": last["run_id"], "documents": hashes}
    lake.write_text(
        repeat_uri(lake_root, manifest.run_id), json.dumps(record, indent=2) + "\n", "application/json"
    )
    log.info(
        "run %s repeats run %s: every source document is byte-identical, with the same code and settings",
        manifest.run_id,
        last["run_id"],
    )
    return last["run_id"]


def carriable_sources(
    outcomes: DataFrame, statuses: DataFrame, refused: DataFrame | None, cross_source: Column
) -> dict[str, str]:
    """source_id -> document sha256 of the sources whose verdicts a repeat of this run may carry.

    A source qualifies when it is complete (not failed, partial or held), extract hashed its
    document, nothing of it was held or refused by the database, and no reason or warning of it
    came from another source (``cross_source``, the duplicates check's finding, changes when other
    sources do).
    """
    blocked = outcomes.filter((F.col("outcome") == Outcome.HELD) | cross_source).select("source_id")
    if refused is not None:
        blocked = blocked.unionByName(refused.select("source_id"))
    rows = (
        statuses.filter((F.col("status") == SourceState.COMPLETE) & F.col("document_sha256").isNotNull())
        .join(blocked.distinct(), on="source_id", how="left_anti")
        .select("source_id", "document_sha256")
        .collect()
    )
    return {row.source_id: row.document_sha256 for row in rows}


def carried_verdicts(
    spark: SparkSession, lake_root: str, previous_run: str, source_ids: list[str]
) -> tuple[DataFrame, DataFrame]:
    """(VALIDATED, SOURCE_STATUS) of a repeat of ``source_ids``: the previous run's, as a full re-read would
    write them.

    Its accepted creates, updates and unchanged records are unchanged rows now (with extract's
    warnings only and no transform columns, like any unchanged row); its accepted deletes are done;
    its rejects are rejected again as they were.
    """

    def table(stage: str, name: str, schema) -> DataFrame:
        uri = lake.spark_uri(lake.run_path(lake_root, previous_run, stage, name))
        return spark.read.schema(schema).parquet(uri).filter(F.col("source_id").isin(source_ids))

    previous = table("validate", "records", VALIDATED)
    extract_warnings = table("extract", "records", EXTRACT_RECORDS).select(
        "source_id", "identifier", F.col("warnings").alias("extract_warnings")
    )
    accepted = F.col("decision") == Decision.ACCEPT
    changed = accepted & F.col("action").isin(*CHANGING_ACTIONS)
    kept = previous.filter(~(accepted & (F.col("action") == Action.DELETE)))
    # Only the records created or updated last time need extract's warnings looked up (their
    # warnings hold transform's too); identifiers of accepted records are unique in their source.
    warnings_of_changed = (
        kept.filter(changed)
        .select("source_id", "identifier")
        .join(
            extract_warnings.filter(F.col("identifier").isNotNull()),
            on=["source_id", "identifier"],
            how="inner",
        )
    )
    joined = kept.join(warnings_of_changed, on=["source_id", "identifier"], how="left")
    empty = F.array().cast(STRINGS)
    carried = joined.select(
        *[
            (
                F.when(accepted, F.lit(Action.UNCHANGED)).otherwise(F.col("action")).alias("action")
                if name == "action"
                else F.when(changed, F.coalesce("extract_warnings", empty))
                .otherwise(F.coalesce("warnings", empty))
                .alias("warnings")
                if name == "warnings"
                else F.when(accepted, F.lit(None).cast(VALIDATED[name].dataType))
                .otherwise(F.col(name))
                .alias(name)
                if name in TRANSFORM_COLUMNS
                else F.col(name)
            )
            for name in VALIDATED.fieldNames()
        ]
    )
    return carried, table("validate", "sources", SOURCE_STATUS)
