"""Carried verdicts: a data.json unchanged since the last run keeps that run's verdicts instead of being read
again, and a run in which every source is such a data.json (a *repeat*) starts no Spark before validate.

The last run that loaded (not a dry run) leaves ``catalog/LAST_RUN.json``: its run id, the catalog
version it left current, the digest of the code that judged the records, its ``publish_as``, and for
each source whose verdicts can be carried (see :func:`carriable_sources`) the digest of the source's
registry entry and the sha256 of the document it read. A run carries a source's verdicts from that
run when all of these hold:

- the run is not forced; the lake's current catalog version is the one LAST_RUN names (no other run,
  rollback or rebuild since); the code digest and ``publish_as`` are the same; that run's tables are
  still in the lake (not pruned);
- the source is a data.json catalog (DCAT-US 1.1 or 3.0) that LAST_RUN lists with the same registry
  entry, and the document fetched now has the same sha256.

A whole data.json is the source's only input, and the split, crosswalk and schema check are
deterministic functions of it, the code and the settings, so reading it again would judge every
record as the last run did. :func:`carried_verdicts` writes those verdicts as the re-read would have
written them: what the last run created or updated is unchanged now, its rejects are rejected again
with the same reasons. The suites do not judge carried records again (a source's suite findings come
from the records read this run), and WAF and single ISO documents are always read (a listing identical
to yesterday's does not prove its files are; their fetch is conditional instead).

Extract decides (``runs/<run_id>/carry.json`` records it): before Spark when every source is a
candidate (:func:`decide`; if no document changed the run is a repeat, and extract, compare and
transform start no Spark session), otherwise in its first pass, which hashes each data.json it
fetches anyway and yields no records for an unchanged one.
"""

import hashlib
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata, resources
from importlib.resources.abc import Traversable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms import lake
from transforms.fetch.source_pass import document_sha256  # fetched as extract fetches it
from transforms.lake.manifest import RunManifest
from transforms.registry import Source
from transforms.reports.report import CARRY_FACTS
from transforms.schemas import (
    CHANGES,
    SOURCE_STATUS,
    STRINGS,
    TRANSFORMED,
    VALIDATED,
    Action,
    Decision,
    SourceState,
)

log = logging.getLogger(__name__)

# The packages whose code and data decide a record's verdict (Data Docs' fonts and styles do not),
# and the libraries whose version does: a new Glue version or pin re-reads everything, as new code does.
JUDGING_PACKAGES = ("transforms", "expectations", "glue_jobs")
JUDGING_LIBRARIES = (
    "pyspark",
    "great-expectations",
    "jsonschema",
    "jsonschema-rs",
    "lxml",
    "ijson",
    "pandas",
)
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
    """sha256 over every file of the judging packages, read as they are installed (a folder or Glue's zip),
    and the installed version of each judging library."""
    digest = hashlib.sha256()
    for package in JUDGING_PACKAGES:
        for name, entry in _files(resources.files(package), f"{package}/"):
            digest.update(name.encode("utf-8") + b"\0" + entry.read_bytes() + b"\0")
    for library in JUDGING_LIBRARIES:
        digest.update(f"{library}=={_installed_version(library)}".encode() + b"\0")
    return digest.hexdigest()


def _installed_version(library: str) -> str:
    """The library's installed version; Glue's own PySpark has no package metadata, so its module's."""
    try:
        return metadata.version(library)
    except metadata.PackageNotFoundError:
        module = __import__(library.replace("-", "_"))
        return str(getattr(module, "__version__", "unknown"))


def settings_digest(source: Source) -> str:
    """sha256 of the source's registry entry as parsed: after any edit to it (even a title) it is read again."""
    return hashlib.sha256(json.dumps(asdict(source), sort_keys=True, default=str).encode("utf-8")).hexdigest()


def last_run_uri(lake_root: str) -> str:
    """catalog/LAST_RUN.json: what a repeat of the last loaded run needs to know about it."""
    return lake.join(lake_root, "catalog", "LAST_RUN.json")


def carry_uri(lake_root: str, run_id: str) -> str:
    """runs/<run_id>/carry.json: the sources whose verdicts the run carries, and from which run."""
    return lake.run_path(lake_root, run_id, "carry.json")


@dataclass(frozen=True)
class Carry:
    """Verdicts a run carries from the last run: that run's id, and per source the document sha256 the
    source's data.json must (still) have. ``whole``: every source of the run is carried (a repeat)."""

    of: str
    documents: dict[str, str]
    whole: bool = False

    def only(self, source_ids) -> "Carry":
        """The same carry for the given sources only (the ones whose document was found unchanged)."""
        return Carry(self.of, {s: self.documents[s] for s in source_ids}, whole=False)


def read_last_run(lake_root: str) -> dict | None:
    """LAST_RUN.json, or None when there is none or it cannot be read (then every source is read)."""
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


def record_carry(lake_root: str, run_id: str, carry: Carry) -> None:
    """Write the run's carry.json (extract: before Spark for a repeat, after the first pass otherwise)."""
    text = json.dumps(asdict(carry), indent=2, sort_keys=True) + "\n"
    lake.write_text(carry_uri(lake_root, run_id), text, "application/json")


def read_carry(lake_root: str, run_id: str) -> Carry | None:
    """What extract decided the run carries; None when it carries nothing."""
    text = lake.read_text(carry_uri(lake_root, run_id))
    return Carry(**json.loads(text)) if text is not None else None


def _why_not(lake_root: str, manifest: RunManifest, last: dict | None) -> str | None:
    """Why the run can carry nothing from the last one; None when it may carry some sources."""
    if manifest.force or manifest.clear:
        return "the run is forced" if manifest.force else "the run clears sources"
    if last is None:
        return "no earlier run has loaded"
    if last.get("version") != manifest.base_version:
        return "the catalog changed since the last run"
    if last.get("code") != code_digest() or last.get("publish_as") != manifest.publish_as:
        return "the code or publish_as changed since the last run"
    for table in ("validate/records", "validate/sources"):
        if not lake.folder_exists(lake.run_path(lake_root, last["run_id"], *table.split("/"))):
            return f"run {last['run_id']}'s {table} is no longer in the lake"
    return None


def candidates(lake_root: str, manifest: RunManifest) -> Carry | None:
    """The sources whose last verdicts this run may carry if their data.json is unchanged (nothing fetched).

    A candidate is a data.json source LAST_RUN lists with the same registry entry; None when there is
    none, or when nothing can be carried at all (see :func:`_why_not`).
    """
    last = read_last_run(lake_root)
    reason = _why_not(lake_root, manifest, last)
    if reason is not None or last is None:
        log.info("run %s carries no verdicts: %s", manifest.run_id, reason)
        return None
    documents = {}
    for source in manifest.sources():
        known = last["sources"].get(source.id)
        if source.type == "datajson" and known and known.get("settings") == settings_digest(source):
            documents[source.id] = known["document_sha256"]
    return Carry(last["run_id"], documents) if documents else None


def _first_change(sources: list[Source], documents: dict[str, str]) -> str | None:
    """The first source (in finishing order) whose document's sha256 differs; None when none does."""
    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        futures = {pool.submit(document_sha256, source): source.id for source in sources}
        for future in as_completed(futures):
            if future.result() != documents[futures[future]]:  # unreadable hashes to None: a change
                pool.shutdown(cancel_futures=True)
                return futures[future]
    return None


def decide(lake_root: str, manifest: RunManifest) -> Carry | None:
    """Extract's first step, before Spark: what this run may carry from the last run.

    When every source is a candidate, each data.json is fetched once (a few at a time, stopping at
    the first that changed); if none changed the run is a repeat, recorded in carry.json at once.
    Otherwise the candidates go to extract's first pass, which compares each document it reads
    anyway. An attempt of a run that already recorded a repeat keeps it.
    """
    recorded = read_carry(lake_root, manifest.run_id)
    if recorded is not None and recorded.whole:
        return recorded
    carry = candidates(lake_root, manifest)
    sources = manifest.sources()
    if carry is None or len(carry.documents) < len(sources):
        return carry
    changed = _first_change(sources, carry.documents)
    if changed is not None:
        log.info("run %s is no repeat: the data.json of %s changed", manifest.run_id, changed)
        return carry
    repeat = Carry(carry.of, carry.documents, whole=True)
    record_carry(lake_root, manifest.run_id, repeat)
    log.info(
        "run %s repeats run %s: every source document is byte-identical, with the same code and settings",
        manifest.run_id,
        carry.of,
    )
    return repeat


def carriable_sources(figures: dict, refused: DataFrame | None) -> dict[str, str]:
    """source_id -> document sha256 of the sources whose verdicts a later run may carry from this one.

    A source qualifies when it is complete (not failed, partial or held), extract hashed its
    document, none of its rows was held or refused by the database, and no reason or warning of it
    came from another source (the duplicates check's finding changes when other sources do).
    ``figures``: the run's ``report.report_figures``, already on the driver, which tell each source's
    status, document hash and rows that keep it from being carried; only the sources of the rows the
    database ``refused`` (rare) are looked up in Spark.
    """
    refused_sources = (
        set()
        if refused is None
        else {row.source_id for row in refused.select("source_id").distinct().collect()}
    )
    return {
        source_id: facts["document_sha256"]
        for source_id, facts in sorted(figures[CARRY_FACTS].items())
        if facts["status"] == SourceState.COMPLETE
        and facts["document_sha256"] is not None
        and not facts["rows_not_carriable"]
        and source_id not in refused_sources
    }


def carried_verdicts(spark: SparkSession, lake_root: str, carry: Carry) -> tuple[DataFrame, DataFrame]:
    """(VALIDATED, SOURCE_STATUS) of the carried sources: the last run's, as reading them again would judge them.

    Its accepted creates, updates and unchanged records are unchanged rows now (with no transform
    columns, like any unchanged row); its accepted deletes are done; its rejects are rejected again as
    they were. Every row keeps its warnings: a record the last run created or updated keeps the ones
    its published version stores, which are what the report shows for an unchanged record anyway
    (extract's among them: ``published_warnings.report_rows``). Read from the last run's validate
    tables alone, with no join, so writing them starts no Spark job of their own.
    """

    def table(stage: str, name: str, schema) -> DataFrame:
        uri = lake.spark_uri(lake.run_path(lake_root, carry.of, stage, name))
        return spark.read.schema(schema).parquet(uri).filter(F.col("source_id").isin(list(carry.documents)))

    previous = table("validate", "records", VALIDATED)
    accepted = F.col("decision") == Decision.ACCEPT
    kept = previous.filter(~(accepted & (F.col("action") == Action.DELETE)))

    def carried(name: str) -> Column:
        if name == "action":
            return F.when(accepted, F.lit(Action.UNCHANGED)).otherwise(F.col("action"))
        if name == "warnings":
            return F.coalesce("warnings", F.array().cast(STRINGS))
        if name in TRANSFORM_COLUMNS:
            return F.when(accepted, F.lit(None).cast(VALIDATED[name].dataType)).otherwise(F.col(name))
        return F.col(name)

    return (
        kept.select(*[carried(name).alias(name) for name in VALIDATED.fieldNames()]),
        table("validate", "sources", SOURCE_STATUS),
    )
