"""What every job does around its stage logic: arguments, logging, the lake lock, the run manifest, session,
stage tables.

Extract takes the lake lock for its run and pins the run's manifest (base catalog version, registry
copy, options); every later job checks the lock is its run's (load may take it, see lake_lock) and
reads only the manifest, never the registry file or the catalog pointer.
"""

import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from glue_jobs.arguments import is_true, resolve_arguments
from glue_jobs.runtime import start_job
from transforms import lake, repeat_run
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import DamagedVersion, published_sources
from transforms.lake.manifest import RunManifest, pin_run, read_manifest
from transforms.registry import Source
from transforms.repeat_run import Carry

log = logging.getLogger("harvest")
RECORDS_PER_FILE = 5000
# The counts each stage finished with in this process: the local runner's progress line shows them.
STAGE_COUNTS: dict[str, dict[str, int]] = {}
# What JobContext.write counts rows by: a column, and every value its vocabulary allows.
Tally = tuple[str, Iterable[str]]
_ROWS = "__rows__"
# Beside each stage's tables: its counts, and the tables it handed on without writing them.
STAGE_RECORD = "stage.json"
# A local JVM compiles with C1 alone (runtime.BRIEF_SESSION_JIT) for a run expected to read fewer records
# than this. First harvests on 2 cores, tiered against C1 alone: 500 records 29.7 -> 24.2 s (means of
# three), `make run`'s samples 27.7 -> 23.7 s; but 100,000 records 140.3 -> 146.1 s and 430,000
# records 464 -> 582 s (BENCHMARKS.md), where C2's compiled Spark pays for itself.
BRIEF_RUN_RECORDS = 5_000
# Every source but a data.json holds XML documents (ISO 19115, FGDC): 10-100 KB each, against about
# 2 KB for a data.json dataset. What the JVM does with a record is mostly move its text (Parquet,
# Arrow, hashing), so C2's quicker byte loops pay for its compiling only when a run carries many
# documents: the mixed catalogs above are three quarters documents. A run of data.json records gains
# from C1 alone far beyond BRIEF_RUN_RECORDS (first harvests of 100,000 data.json records, tiered /
# C1 alone, in pairs: 65.5 / 53.9, 60.7 / 48.2, 52.1 / 47.3 s; means of three pairs 79.5 / 70.4 s in
# a slow hour) and no longer at 430,000 (183.3 / 186.0 and 188.8 / 185.7 s), so it is C1 alone below
# that many records in all, while fewer than BRIEF_RUN_RECORDS documents are expected.
BRIEF_DATAJSON_RECORDS = 430_000
# What a run expects of a source its base catalog does not publish yet: the mean source of the
# benchmark's generated catalogs (430,000 records in 1,000 sources, sized like real agency catalogs).
NEW_SOURCE_RECORDS = 430


def expected_records(sources: Iterable[Source], published: dict[str, int] | None) -> int | None:
    """The records a run of ``sources`` is expected to read: what the base catalog publishes of each,
    NEW_SOURCE_RECORDS for one it does not publish yet; None when the catalog's counts are not known
    (``published`` None: a version written before versions counted their records)."""
    if published is None:
        return None
    return sum(published.get(source.id, NEW_SOURCE_RECORDS) for source in sources)


def _tally_columns(column: str, values: Iterable[str]) -> list:
    """One aggregate per value (and one for nulls, named "None" as str(None)), and every row's count."""
    counts = [F.count_if(F.col(column) == F.lit(str(value))).alias(str(value)) for value in values]
    return [*counts, F.count_if(F.col(column).isNull()).alias("None"), F.count(F.lit(1)).alias(_ROWS)]


@dataclass
class JobContext:
    """A running job: its arguments, the selected sources, the run it repeats, and its Spark session.

    The session (and on Glue the Job whose commit ``finish`` calls) starts on first use, so a stage
    with nothing to do (a repeat run, transforms.repeat_run; no changed record) never starts one.
    """

    stage: str
    args: dict
    manifest: RunManifest
    argv: list[str] | None = None
    sources: list[Source] = field(default_factory=list)
    carry: Carry | None = None  # verdicts carried from the last run (transforms.repeat_run)
    started: float = field(default_factory=time.monotonic)
    # Tables this stage hands on without writing (JobContext.pass_on, write_nothing): table -> where from.
    _handed_on: dict[str, str | None] = field(default_factory=dict, repr=False)
    _session: tuple[SparkSession, Callable[[], None]] | None = field(default=None, repr=False)

    @property
    def repeat_of(self) -> str | None:
        """The run this run repeats (every source's verdicts carried from it); None when it reads any."""
        return self.carry.of if self.carry is not None and self.carry.whole else None

    @property
    def spark(self) -> SparkSession:
        """The job's Spark session, started on first use (C1 alone when its JVM will do little: ``brief``;
        expressions interpreted when it will see few rows: ``few_records``)."""
        if self._session is None:
            self._session = start_job(self.stage, self.argv, brief=self.brief(), few_rows=self.few_records())
        return self._session[0]

    def brief(self) -> bool:
        """Whether a JVM this job starts will do little (runtime.BRIEF_SESSION_JIT): the run is a repeat,
        expects fewer than BRIEF_RUN_RECORDS records (see ``expected_records``), or expects mostly
        data.json records: fewer than BRIEF_RUN_RECORDS XML documents (any source but a data.json) and
        fewer than BRIEF_DATAJSON_RECORDS records in all. Asked once, before the session starts; only a
        local session heeds it."""
        if self.repeat_of is not None or self.few_records():
            return True
        documents = [source for source in self.sources if source.type != "datajson"]
        expected_documents = expected_records(documents, self.catalog_counts)
        expected = expected_records(self.sources, self.catalog_counts)
        if expected_documents is None or expected is None:
            return False
        return expected_documents < BRIEF_RUN_RECORDS and expected < BRIEF_DATAJSON_RECORDS

    def few_records(self) -> bool:
        """Whether the run expects fewer than BRIEF_RUN_RECORDS records (see ``expected_records``): its
        jobs then interpret their expressions (runtime.FEW_ROWS_SQL). A repeat still compares every
        record it reads, however many, so repeating alone does not make a run few."""
        expected = expected_records(self.sources, self.catalog_counts)
        return expected is not None and expected < BRIEF_RUN_RECORDS

    @cached_property
    def catalog_counts(self) -> dict[str, int] | None:
        """Records per source the run's base catalog version publishes, from its VERSION.json (read once
        per job, without Spark); empty for a new lake. None when the version does not say: written
        before versions counted their sources, or damaged (the stage that reads the catalog reports it)."""
        base = self.manifest.base_version
        try:
            return {} if base is None else published_sources(self.lake, base)
        except DamagedVersion:
            return None

    def commit(self) -> None:
        """Commit the Glue job (a no-op locally, and for a job that never started its session)."""
        if self._session is not None:
            self._session[1]()

    @property
    def lake(self) -> str:
        return self.args["lake"]

    @property
    def run_id(self) -> str:
        return self.args["run_id"]

    def path(self, stage: str, table: str) -> str:
        """<lake>/runs/<run_id>/<stage>/<table> as Spark reads it."""
        return lake.spark_uri(lake.run_path(self.lake, self.run_id, stage, table))

    def read(self, stage: str, table: str, schema: StructType) -> DataFrame:
        """A table an earlier stage of this run wrote, or handed on without writing (pass_on, write_nothing)."""
        source = self.table_source(stage, table)
        if source is None:  # the stage had no row to write: an empty frame, and no Spark job to read it
            return self.spark.createDataFrame([], schema)
        return self.spark.read.schema(schema).parquet(self.path(*source))

    def table_source(self, stage: str, table: str) -> tuple[str, str] | None:
        """Where stage's table really is: (stage, table) it was written as, or None when it has no rows."""
        handed_on = self.stage_record(stage).get("handed_on", {})
        if table not in handed_on:
            return stage, table
        if handed_on[table] is None:
            return None
        earlier_stage, earlier_table = handed_on[table].split("/")
        return self.table_source(earlier_stage, earlier_table)

    def stage_record(self, stage: str) -> dict:
        """What a finished stage of this run recorded: its ``counts``, and the tables it ``handed_on``.

        Known on the driver without Spark, so a stage can see it has nothing to do before starting any
        Spark work. Empty for a stage that has not finished (or finished before stages recorded this).
        """
        text = lake.read_text(lake.run_path(self.lake, self.run_id, stage, STAGE_RECORD))
        return json.loads(text) if text else {}

    def pass_on(self, table: str, stage: str, earlier_table: str | None = None) -> None:
        """This stage's table is an earlier stage's, unchanged: record that instead of copying it."""
        self._handed_on[table] = f"{stage}/{earlier_table or table}"

    def write_nothing(self, table: str) -> None:
        """This stage's table has no rows: record that instead of writing an empty table."""
        self._handed_on[table] = None

    def write(
        self,
        frame: DataFrame,
        table: str,
        schema: StructType,
        count_by: Tally | None = None,
        also: dict[str, Column] | None = None,
    ) -> dict[str, int]:
        """Write this stage's table, replacing what an earlier attempt of the same run wrote.

        ``count_by`` (a column and the values it can hold): returns the rows written per value of that
        column (values with no row left out, in the order of their names), counted by the write itself.
        ``also``: more counts of the written rows, by name (aggregate expressions), returned beside them.
        """
        # Bounded files (a Parquet file is read as one task when under 128 MB), so the next stage
        # has enough tasks to keep every core busy to the end instead of waiting on one big file.
        written = frame.select(*schema.fieldNames())
        extra = also or {}
        # Observed while the write runs (metrics of the same Spark job): no job reads the table back.
        observation = Observation(f"{self.stage}-{table}")
        if count_by is not None or extra:
            tallies = _tally_columns(*count_by) if count_by is not None else []
            written = written.observe(
                observation, *tallies, *(expr.alias(name) for name, expr in extra.items())
            )
        (
            written.write.mode("overwrite")
            .option("maxRecordsPerFile", RECORDS_PER_FILE)
            .parquet(self.path(self.stage, table))
        )
        if count_by is None and not extra:
            return {}
        observed = dict(observation.get)
        counted = {name: int(observed.pop(name) or 0) for name in extra}
        if count_by is not None:
            counted = {**self._tallied(table, count_by[0], observed), **counted}
        return counted

    def _tallied(self, table: str, column: str, observed: dict) -> dict[str, int]:
        """The counts per value the write observed; read back from the table when a row held another value."""
        rows = observed.pop(_ROWS)
        counts = {name: int(count) for name, count in observed.items() if count}
        if sum(counts.values()) == rows:
            return dict(sorted(counts.items()))
        log.warning(
            "%s/%s: a %s outside its vocabulary; counted again from the table", self.stage, table, column
        )
        frame = self.spark.read.parquet(self.path(self.stage, table)).groupBy(column).count()
        return {str(row[column]): row["count"] for row in frame.orderBy(column).collect()}

    def finish_repeat(self, **counts) -> None:
        """Finish a stage that has nothing to do because the run repeats an earlier one."""
        log.info("%s: nothing to do, run %s repeats run %s", self.stage, self.run_id, self.repeat_of)
        self.finish(**counts)

    def finish(self, **counts) -> None:
        """Log and record the stage's counts and duration (stage_record), and commit the Glue job."""
        details = " ".join(f"{name}={value}" for name, value in counts.items())
        log.info("%s finished in %.1f s %s", self.stage, time.monotonic() - self.started, details)
        STAGE_COUNTS[self.stage] = counts
        record = {"counts": counts, "handed_on": self._handed_on}
        lake.write_text(
            lake.run_path(self.lake, self.run_id, self.stage, STAGE_RECORD),
            json.dumps(record, indent=2, default=int),
            "application/json",
        )
        self.commit()


def configure_logging(level: str) -> None:
    """Configure the standard logging once, at the level the job argument names.

    Started by the local runner, the job keeps the runner's terminal handler (harvest_cli.terminal), so a
    person sees its warnings as the runner shows them rather than as job-log lines.
    """
    root = logging.getLogger()
    if any(getattr(handler, "harvest_terminal", False) for handler in root.handlers):
        root.setLevel(level.upper())
    else:
        logging.basicConfig(
            level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
        )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    # Great Expectations logs its own set-up at INFO and draws progress bars; neither helps a harvest log.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    os.environ.setdefault("TQDM_DISABLE", "1")
    warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression")


def pin_or_read_manifest(stage: str, args: dict) -> RunManifest:
    """Take (extract, load) or check (the others) the lake lock, then pin (extract) or read the manifest."""
    lake_root, run_id = args["lake"], args["run_id"]
    if stage not in ("extract", "load"):
        lake_lock.check(lake_root, run_id)
        return read_manifest(lake_root, run_id)
    taken = lake_lock.acquire(lake_root, run_id, workflow=args.get("WORKFLOW_NAME", ""))
    if stage == "load":
        return read_manifest(lake_root, run_id)
    from glue_jobs.run_properties import read_run_properties
    from transforms.lake.catalog_state import current_version

    try:
        properties = read_run_properties(args)
        force = is_true(properties["force"]) if properties.get("force") else args["force"]
        only = properties.get("only_sources") or args["only_sources"]
        publish_as = properties.get("publish_as") or args["publish_as"]
        dry_run = is_true(properties["dry_run"]) if properties.get("dry_run") else args["dry_run"]
        # The scheduled trigger's action passes --due-only true; `harvest start` says false in the run properties.
        due_only = is_true(properties["due_only"]) if properties.get("due_only") else args["due_only"]
        return pin_run(
            lake_root,
            run_id,
            args["sources"],
            force,
            only,
            lambda: current_version(lake_root),
            publish_as,
            dry_run,
            due_only=due_only,
            clear=args["clear"],
        )
    except Exception:
        if taken:  # the run never started (bad registry, broken pointer): do not leave the lake locked
            lake_lock.release(lake_root, run_id)
        raise


def begin(stage: str, argv: list[str] | None = None) -> JobContext:
    """Start a job: arguments, logging, lock and manifest (before Spark starts), session, sources."""
    args = resolve_arguments(argv, required=("lake", "sources"))
    configure_logging(args["log_level"])
    from glue_jobs.run_properties import original_run_id

    args["run_id"] = original_run_id(args)  # a resumed Glue run keeps the first run's id in the lake
    manifest = pin_or_read_manifest(stage, args)
    args["force"], args["only_sources"] = manifest.force, manifest.only_sources
    args["publish_as"] = manifest.publish_as
    args["dry_run"] = manifest.dry_run
    context = JobContext(stage=stage, args=args, manifest=manifest, argv=argv, sources=manifest.sources())
    if stage == "extract":  # decided before any Spark; the later stages read what extract recorded
        context.carry = repeat_run.decide(context.lake, manifest)
    else:
        context.carry = repeat_run.read_carry(context.lake, context.run_id)
    log.info(
        "%s starting: run %s, lake %s, %d source(s)",
        stage,
        context.run_id,
        context.lake,
        len(context.sources),
    )
    return context
