"""Carried verdicts: a source unchanged since the last run keeps that run's verdicts instead of being read
again, and a run in which every source is unchanged (a *repeat*) starts no Spark before validate.

The last run that loaded (not a dry run) leaves ``catalog/LAST_RUN.json``: its run id, the catalog
version it left current, the digest of the code that judged the records, its ``publish_as``, and for
each source whose verdicts can be carried (see :func:`carriable_sources`) the digest of the source's
registry entry and of what it read: a data.json's sha256, or for a small WAF the list of its files with
the validators they were fetched with (and that list's sha256). A run carries a source's verdicts from
that run when all of these hold:

- the run is not forced; the lake's current catalog version is the one LAST_RUN names (no other run,
  rollback or rebuild since); the code digest and ``publish_as`` are the same; that run's tables are
  still in the lake (not pruned);
- the source is one LAST_RUN lists with the same registry entry, and
  - a data.json catalog (DCAT-US 1.1 or 3.0) whose document fetched now has the same sha256, or
  - a WAF (not a collection) that lists the same files in the same order, each unchanged by the test
    extract's own fetch applies: its listed ETag (a folder on disk) or a 304 to a conditional request
    with its validators. WAFs are carried only in a repeat, so only a run that could be one (its
    sources data.json and WAFs, the WAFs' files at most ``REPEAT_MAX_WAF_FILES`` in all) records them.

A source's documents are its only input, and the split, crosswalk and schema check are deterministic
functions of them, the code and the settings, so reading them again would judge every record as the
last run did. :func:`carried_verdicts` writes those verdicts as the re-read would have written them:
what the last run created or updated is unchanged now, its rejects are rejected again with the same
reasons. The suites do not judge carried records again (a source's suite findings come from the
records read this run), and single ISO documents are always read (their fetch is conditional).

Extract decides (``runs/<run_id>/carry.json`` records it): before Spark when every source is a
candidate (:func:`decide`; if no source changed the run is a repeat, and extract, compare and
transform start no Spark session), otherwise in its first pass, which hashes each data.json it
fetches anyway and yields no records for an unchanged one (a WAF is then read as usual).
"""

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata, resources
from importlib.resources.abc import Traversable

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from transforms import lake
from transforms.fetch.source_pass import document_sha256, waf_unchanged  # read as extract reads them
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
# The whole check of a repeat, every source: a source not found unchanged by then counts as changed, so
# a slow server delays the run's start by at most this and is then read (within its own time budget).
REPEAT_CHECK_S = 120.0
# A run whose WAFs list more files in all is never a repeat: a repeat is checked on the driver, one
# request a file over HTTP, and LAST_RUN.json holds every file's validators, so both would grow with
# the catalog (data.gov's WAFs list 322,500 files; its largest sources alone hold more than this).
REPEAT_MAX_WAF_FILES = 10_000
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
    lake_root: str,
    manifest: RunManifest,
    version: str | None,
    documents: dict[str, str],
    waf_files: dict[str, list[list]] | None = None,
) -> None:
    """Load's last step: this run, the version it left current, and its carriable sources' digests (and
    for a WAF among them, its files with their validators, ``waf_files``)."""
    settings = {source.id: settings_digest(source) for source in manifest.sources()}
    files = waf_files or {}
    last = {
        "run_id": manifest.run_id,
        "version": version,
        "code": code_digest(),
        "publish_as": manifest.publish_as,
        "sources": {
            source_id: {
                "document_sha256": sha256,
                "settings": settings[source_id],
                **({"files": files[source_id]} if source_id in files else {}),
            }
            for source_id, sha256 in sorted(documents.items())
        },
    }
    lake.write_text(last_run_uri(lake_root), json.dumps(last, indent=2) + "\n", "application/json")


def files_sha256(files: list[list]) -> str:
    """The digest a WAF's files stand for in LAST_RUN and carry.json: its list of [url, etag, last_modified]."""
    return hashlib.sha256(json.dumps(files, separators=(",", ":")).encode("utf-8")).hexdigest()


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


def _candidate(source: Source, known: dict | None) -> bool:
    """Whether the last run left this source's verdicts carriable and its registry entry is the same."""
    if not known or known.get("settings") != settings_digest(source):
        return False
    return source.type == "datajson" or (source.type == "waf" and known.get("files") is not None)


def candidates(lake_root: str, manifest: RunManifest, last: dict | None) -> Carry | None:
    """The sources whose verdicts in ``last`` (LAST_RUN) this run may carry if they are unchanged
    (nothing fetched).

    A candidate is a data.json, or a WAF whose files LAST_RUN holds, listed with the same registry entry; None
    when there is none, or when nothing can be carried at all (see :func:`_why_not`).
    """
    reason = _why_not(lake_root, manifest, last)
    if reason is not None or last is None:
        log.info("run %s carries no verdicts: %s", manifest.run_id, reason)
        return None
    known = last["sources"]
    documents = {
        source.id: known[source.id]["document_sha256"]
        for source in manifest.sources()
        if _candidate(source, known.get(source.id))
    }
    return Carry(last["run_id"], documents) if documents else None


def _changed(source: Source, sha256: str, known: dict, deadline: float) -> bool:
    """Whether the source differs from what the last run read (a WAF: ``known`` holds its files)."""
    if source.type == "waf":
        files = known.get("files") or []
        return files_sha256(files) != sha256 or not waf_unchanged(source, files, deadline=deadline)
    return document_sha256(source, deadline=deadline) != sha256  # unreadable hashes to None: a change


def _first_change(sources: list[Source], carry: Carry, known: dict) -> str | None:
    """The first source (in finishing order) that changed, or was not found unchanged within
    ``REPEAT_CHECK_S``; None when none did."""
    deadline = time.time() + REPEAT_CHECK_S
    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        futures = {
            pool.submit(_changed, source, carry.documents[source.id], known.get(source.id) or {}, deadline): (
                source.id
            )
            for source in sources
        }
        for future in as_completed(futures):
            if future.result():
                pool.shutdown(cancel_futures=True)
                return futures[future]
    return None


def decide(lake_root: str, manifest: RunManifest) -> Carry | None:
    """Extract's first step, before Spark: what this run may carry from the last run.

    When every source is a candidate, each is checked once (a few at a time, stopping at the first
    that changed): a data.json fetched and hashed, a WAF listed and its files asked "modified?". If
    none changed the run is a repeat, recorded in carry.json at once. Otherwise the data.json
    candidates go to extract's first pass, which compares each document it reads anyway (a WAF is
    read). An attempt of a run that already recorded a repeat keeps it.
    """
    recorded = read_carry(lake_root, manifest.run_id)
    if recorded is not None and recorded.whole:
        return recorded
    last = read_last_run(lake_root)
    carry = candidates(lake_root, manifest, last)
    sources = manifest.sources()
    if carry is None or last is None:
        return None
    if len(carry.documents) == len(sources):
        changed = _first_change(sources, carry, last["sources"])
        if changed is None:
            repeat = Carry(carry.of, carry.documents, whole=True)
            record_carry(lake_root, manifest.run_id, repeat)
            log.info(
                "run %s repeats run %s: no source changed (each data.json byte-identical, each WAF's files "
                "not modified), and the code and settings are the same",
                manifest.run_id,
                carry.of,
            )
            return repeat
        log.info("run %s is no repeat: %s changed", manifest.run_id, changed)
    first_pass = [
        source.id for source in sources if source.type == "datajson" and source.id in carry.documents
    ]
    return carry.only(first_pass) if first_pass else None


def carriable_sources(
    figures: dict, refused: DataFrame | None, waf_files: dict[str, list[list]] | None = None
) -> dict[str, str]:
    """source_id -> digest of what it read (a data.json's sha256, a WAF's ``files_sha256``) of the
    sources whose verdicts a later run may carry from this one.

    A source qualifies when it is complete (not failed, partial or held), extract hashed its
    document or it is a WAF in ``waf_files`` (see :func:`waf_files`), none of its rows was held or
    refused by the database, and no reason or warning of it came from another source (the duplicates
    check's finding changes when other sources do). ``figures``: the run's ``report.report_figures``,
    already on the driver, which tell each source's status, document hash and rows that keep it from
    being carried; only the sources of the rows the database ``refused`` (rare) are looked up in Spark.
    """
    refused_sources = (
        set()
        if refused is None
        else {row.source_id for row in refused.select("source_id").distinct().collect()}
    )
    listed = {source_id: files_sha256(files) for source_id, files in (waf_files or {}).items()}
    digests = {
        source_id: facts["document_sha256"] or listed.get(source_id)
        for source_id, facts in sorted(figures[CARRY_FACTS].items())
        if facts["status"] == SourceState.COMPLETE
        and not facts["rows_not_carriable"]
        and source_id not in refused_sources
    }
    return {source_id: digest for source_id, digest in digests.items() if digest is not None}


def waf_files(
    figures: dict,
    sources: list[Source],
    carry: Carry | None,
    lake_root: str,
    extracted: Callable[[], DataFrame],
) -> dict[str, list[list]]:
    """source_id -> [url, etag, last_modified] of each file in listing order, of every WAF of the run,
    when a later run repeating this one could carry them all; otherwise empty.

    That needs every source to be a data.json or a WAF, every WAF complete, with no row that keeps it
    from being carried and every file fetched with a validator, and at most ``REPEAT_MAX_WAF_FILES``
    files in all. A WAF this run carried keeps the list the LAST_RUN it was carried by gave it (read
    from ``lake_root`` only then); the others' come from this run's extract records (``extracted()``,
    read only when there are some: one Spark job).
    """
    entries = {entry["source_id"]: entry for entry in figures["sources"]}
    facts = figures[CARRY_FACTS]
    wafs = [source.id for source in sources if source.type == "waf"]
    if not wafs or any(source.type not in ("datajson", "waf") for source in sources):
        return {}
    for source_id in wafs:
        if (
            facts.get(source_id, {}).get("status") != SourceState.COMPLETE
            or facts[source_id]["rows_not_carriable"]
            or entries[source_id]["errors"]
        ):
            return {}
    if sum(entries[source_id]["extracted"] for source_id in wafs) > REPEAT_MAX_WAF_FILES:
        return {}
    carried = {source_id for source_id in wafs if carry is not None and source_id in carry.documents}
    known = (read_last_run(lake_root) or {}).get("sources", {}) if carried else {}
    files = {
        source_id: known[source_id]["files"] for source_id in carried if "files" in known.get(source_id, {})
    }
    read = [source_id for source_id in wafs if source_id not in carried]
    if read:
        rows = (
            extracted()
            .filter(F.col("source_id").isin(read))
            .select("source_id", "position", "record_url", "etag", "last_modified")
            .collect()
        )
        listed: dict[str, list[list]] = {source_id: [] for source_id in read}
        for row in sorted(rows, key=lambda row: (row.source_id, row.position)):
            listed[row.source_id].append([row.record_url, row.etag, row.last_modified])
        files.update(listed)
    # A file fetched without a validator would be fetched in full to be checked: the WAFs are read instead.
    if len(files) < len(wafs) or not all(
        etag or modified for listing in files.values() for _, etag, modified in listing
    ):
        return {}
    return files


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
