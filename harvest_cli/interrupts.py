"""Ctrl-C and SIGTERM during a local run: stop the running job, cancel its Spark work, then clean up.

The workflow runner records a KeyboardInterrupt as the run being interrupted (not as a failed
stage); the harvest command then cancels the Spark jobs, removes the stage's partial output and
writes the report, and a second signal during that ends the process at once.
"""

import contextlib
import logging
import os
import signal
import threading
import time

from harvest_cli.exit_codes import INTERRUPTED, one_line

log = logging.getLogger("harvest")


@contextlib.contextmanager
def signals_interrupt():
    """While the block runs, Ctrl-C and SIGTERM raise KeyboardInterrupt in the main thread, and nothing else.

    PySpark's own SIGINT handler cancels the Spark jobs through py4j from inside the handler, on the
    connection the interrupted call is still reading, and fails with "reentrant call": the run then
    ends as a failed stage. A session started inside the block installs no handler of its own
    (runtime.local_spark starts it off the main thread), so this one holds while the JVM starts too.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def cancel_spark_jobs(timeout_s: float = 30.0) -> None:
    """Cancel the running Spark jobs and wait (bounded) until none is left writing.

    From a thread of its own: the main thread's py4j connection was interrupted mid-answer.
    """

    def cancel() -> None:
        from pyspark import SparkContext

        context = SparkContext._active_spark_context
        if context is None or context._jsc is None:  # none, or its JVM is still starting: no jobs yet
            return
        try:
            # Cancelled tasks and the broadcasts they held log errors with Java stack traces; after an
            # interrupt they are expected, and would only bury the run's last line in the terminal.
            context.setLogLevel("OFF")
            context.cancelAllJobs()
            deadline = time.monotonic() + timeout_s
            while context.statusTracker().getActiveJobsIds() and time.monotonic() < deadline:
                time.sleep(0.2)
        except Exception as error:  # noqa: BLE001 - a JVM already stopping (the same signal reached it) has no jobs
            # Raised on this thread it would reach threading.excepthook: a py4j trace on the terminal.
            log.info("the Spark jobs could not be cancelled: %s", one_line(error))

    worker = threading.Thread(target=cancel, name="cancel-spark-jobs", daemon=True)
    worker.start()
    worker.join(timeout_s + 5)


@contextlib.contextmanager
def second_signal_exits():
    """During the clean-up after an interrupt, another Ctrl-C or SIGTERM ends the process at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def exit_now(signum, frame):
        os._exit(INTERRUPTED)

    previous = {number: signal.signal(number, exit_now) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
