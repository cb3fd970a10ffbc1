"""What every job does around its stage logic: arguments, logging, session, registry, stage tables."""

import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from glue_jobs.arguments import is_true, resolve_arguments
from glue_jobs.runtime import start_job
from transforms import lake
from transforms.registry import RegistryError, Source, parse_registry, select_sources

log = logging.getLogger("harvest")
RECORDS_PER_FILE = 5000


@dataclass
class JobContext:
    """A running job: its arguments, Spark session, the selected sources and the commit hook."""

    stage: str
    args: dict
    spark: SparkSession
    commit: Callable[[], None]
    sources: list[Source] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

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
        """A table an earlier stage of this run wrote."""
        return self.spark.read.schema(schema).parquet(self.path(stage, table))

    def write(self, frame: DataFrame, table: str, schema: StructType) -> None:
        """Write this stage's table, replacing what an earlier attempt of the same run wrote."""
        # Bounded files (a Parquet file is read as one task when under 128 MB), so the next stage
        # has enough tasks to keep every core busy to the end instead of waiting on one big file.
        (
            frame.select(*schema.fieldNames())
            .write.mode("overwrite")
            .option("maxRecordsPerFile", RECORDS_PER_FILE)
            .parquet(self.path(self.stage, table))
        )

    def finish(self, **counts) -> None:
        """Log the stage's counts and duration, and commit the Glue job."""
        details = " ".join(f"{name}={value}" for name, value in counts.items())
        log.info("%s finished in %.1f s %s", self.stage, time.monotonic() - self.started, details)
        self.commit()


def configure_logging(level: str) -> None:
    """Configure the standard logging once, at the level the job argument names."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    # Great Expectations logs its own set-up at INFO and draws progress bars; neither helps a harvest log.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    os.environ.setdefault("TQDM_DISABLE", "1")
    warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression")


def load_sources(registry_uri: str, only: str) -> list[Source]:
    """Read the registry (a path or s3:// URI) and select the sources to harvest."""
    text = lake.read_text(registry_uri)
    if text is None:
        raise RegistryError(f"source registry not found at {registry_uri}")
    names = [name.strip() for name in only.split(",") if name.strip()]
    return select_sources(parse_registry(text), names)


def begin(stage: str, argv: list[str] | None = None) -> JobContext:
    """Start a job: resolve arguments (and workflow run properties), logging, session, sources."""
    args = resolve_arguments(argv, required=("lake", "sources"))
    configure_logging(args["log_level"])
    from glue_jobs.run_properties import read_run_properties

    properties = read_run_properties(args)
    if properties.get("force"):
        args["force"] = is_true(properties["force"])
    if properties.get("only_sources"):
        args["only_sources"] = properties["only_sources"]
    if properties.get("publish_as"):
        args["publish_as"] = properties["publish_as"]
    spark, commit = start_job(stage, args)
    context = JobContext(stage=stage, args=args, spark=spark, commit=commit)
    context.sources = load_sources(args["sources"], args["only_sources"])
    log.info(
        "%s starting: run %s, lake %s, %d source(s)",
        stage,
        context.run_id,
        context.lake,
        len(context.sources),
    )
    return context
