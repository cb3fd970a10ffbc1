"""What the `harvest` command shows in the terminal: one progress line per stage, then one summary line.

Three modes: ``quiet`` (the summary only), ``normal`` (plus a line per stage with its counts and the
extract progress of large sources, and warnings), ``verbose`` (plus every INFO log line). Progress
travels as log records of the ``harvest.progress`` logger, so on Glue the same lines land in the job
log; here they are written to stdout without timestamps. On a terminal a stage's "running" line is
replaced by its "done" line, so each stage leaves one line.
"""

import logging
import sys

from transforms.schemas import SourceState
from transforms.text import plain_text

PROGRESS_LOGGER = "harvest.progress"
QUIET, NORMAL, VERBOSE = "quiet", "normal", "verbose"
# The level of the jobs' own logging (the --log-level they get) in each mode.
JOB_LOG_LEVEL = {QUIET: "ERROR", NORMAL: "WARNING", VERBOSE: "INFO"}
JOB_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # --verbose: the job log as Glue has it


class ProgressHandler(logging.Handler):
    """Writes progress records as plain lines; a ``pending`` record is overwritten by the next one on a TTY."""

    def __init__(self, stream) -> None:
        super().__init__()
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.pending = ""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # A progress line may quote a publisher (a source's error): shown as text, on one line.
            self._write(plain_text(record.getMessage()), getattr(record, "pending", False))
        except Exception:  # noqa: BLE001 - as every logging handler: a closed terminal never fails the run
            self.handleError(record)

    def _write(self, message: str, pending: bool) -> None:
        if pending:
            if self.tty:
                self.pending = message
                self.stream.write(message)
                self.stream.flush()
            return
        if self.pending:
            self.stream.write("\r\x1b[K")
        self.stream.write(message + "\n")
        if self.pending and not message.startswith(self.pending.removesuffix("...").rstrip()):
            self.stream.write(self.pending)  # a line from inside the stage: the stage is still running
        else:
            self.pending = ""
        self.stream.flush()


# What py4j logs, as an ERROR with a traceback, when a call into the JVM was interrupted (Ctrl-C, SIGTERM)
# or lost the JVM (killed, out of memory).
PY4J_CALL_ERRORS = ("KeyboardInterrupt while sending command.", "Exception while sending command.")


def _not_a_failed_py4j_call(record: logging.LogRecord) -> bool:
    """py4j's record of a failed or interrupted Java call stays off the terminal: the stage that made the
    call is interrupted or fails, and the run says so in one line (--debug prints the stage's traceback)."""
    return record.getMessage() not in PY4J_CALL_ERRORS


class TerminalLogFormatter(logging.Formatter):
    """A job's log record as a person at the terminal reads it: "harvest: warning: ...", shown as text.

    No timestamp, logger name or traceback (--debug prints the traceback of the error that stops a run).
    """

    def format(self, record: logging.LogRecord) -> str:
        return plain_text(f"harvest: {record.levelname.lower()}: {record.getMessage()}")


def configure(mode: str = NORMAL) -> str:
    """Set up the terminal for ``mode``; returns the log level the jobs should run with.

    The handler it puts on the root logger is marked ``harvest_terminal``: a job started by the local
    runner keeps it (glue_jobs.job_context.configure_logging) instead of its own job-log format.
    """
    level = JOB_LOG_LEVEL[mode]
    shown = logging.StreamHandler(sys.stderr)
    shown.setFormatter(logging.Formatter(JOB_LOG_FORMAT) if mode == VERBOSE else TerminalLogFormatter())
    shown.harvest_terminal = True  # type: ignore[attr-defined]
    logging.basicConfig(level=level, handlers=[shown], force=True)
    root = logging.getLogger()
    if _not_a_failed_py4j_call not in root.filters:  # on the logger: each job replaces the handlers
        root.addFilter(_not_a_failed_py4j_call)
    progress = logging.getLogger(PROGRESS_LOGGER)
    for handler in list(progress.handlers):
        progress.removeHandler(handler)
    progress.addHandler(ProgressHandler(sys.stdout))
    progress.propagate = False
    progress.setLevel(logging.WARNING if mode == QUIET else logging.INFO)
    return level


def mode_of(args) -> str:
    """The mode the --quiet and --verbose flags ask for."""
    if getattr(args, "quiet", False):
        return QUIET
    return VERBOSE if getattr(args, "verbose", False) else NORMAL


def plural(count: int, noun: str) -> str:
    """ "1 source", "2 sources"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def counts_text(counts: dict) -> str:
    """``{"dry_run": True, "created": 3, "failed_sources": 1}`` as "dry run, created 3, failed sources 1".

    A flag that is set shows as its name alone; zero counts and unset flags are left out.
    """
    return ", ".join(
        name.replace("_", " ") if value is True else f"{name.replace('_', ' ')} {value:,}"
        for name, value in counts.items()
        if value
    )


def sources_summary(report: dict) -> str:
    """ "2 of 40 sources failed, 1 held" (or "" when every source completed)."""
    sources = report.get("sources") or []
    failed = sum(1 for s in sources if s.get("status") == SourceState.FAILED)
    held = sum(1 for s in sources if s.get("status") == SourceState.HELD)
    if failed and held:
        return f"{failed} of {len(sources)} sources failed, {held} held"
    if failed or held:
        return f"{failed or held} of {len(sources)} sources {'failed' if failed else 'held'}"
    return ""
