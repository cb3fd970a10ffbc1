"""Progress inside extract: sources read, records read and WAF files fetched, while the Spark jobs run.

Tasks add to Spark accumulators (their updates reach the driver as each task ends); a driver thread
logs a line to the ``harvest.progress`` logger every ``interval`` seconds while a pass runs, and only
when the figures moved. Runs shorter than the interval print nothing extra. Counts are for people:
a retried task counts twice.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pyspark.sql import SparkSession

progress = logging.getLogger("harvest.progress")
INTERVAL_S = 15.0


class ExtractProgress:
    """The accumulators one extract call's tasks add to."""

    def __init__(self, spark: SparkSession, interval: float | None = None) -> None:
        context = spark.sparkContext
        self.sources, self.records, self.files = (context.accumulator(0) for _ in range(3))
        self.interval = interval or INTERVAL_S

    def first_pass_line(self, total_sources: int) -> str:
        return (
            f"extract: {self.sources.value:,} of {total_sources:,} sources read, "
            f"{self.records.value:,} records so far"
        )

    def second_pass_line(self, total_files: int) -> str:
        return f"extract: {self.files.value:,} of {total_files:,} WAF files fetched"

    @contextmanager
    def reporting(self, line: Callable[[], str]) -> Iterator[None]:
        """Log ``line()`` every interval while the block runs (when it changed since the last time)."""
        stop = threading.Event()

        def report() -> None:
            last = None
            while not stop.wait(self.interval):
                text = line()
                if text != last:
                    progress.info(text)
                    last = text

        thread = threading.Thread(target=report, name="extract-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
