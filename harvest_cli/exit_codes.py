"""The exit codes of the `harvest` command, and the one-line message of every error a person can act on.

| code | meaning |
|------|---------|
| 0    | every selected source completed |
| 3    | the run succeeded, but some source failed or was held |
| 1    | the run (or the command) failed |
| 2    | usage or configuration error: nothing was started |
| 130  | interrupted (Ctrl-C or SIGTERM) |
| 141  | the reader of the output went away (`harvest report` piped into `head`), as SIGPIPE ends a tool |
"""

import sys
import traceback

from transforms.registry import RegistryError
from transforms.schemas import RunOutcome
from transforms.text import plain_lines, plain_text

OK, FAILED, USAGE, PARTIAL, INTERRUPTED = 0, 1, 2, 3, 130
READER_GONE = 128 + 13  # a shell's code for a process SIGPIPE ended
EXIT_CODE_OF_OUTCOME = {
    RunOutcome.COMPLETE: OK,
    RunOutcome.PARTIAL: PARTIAL,
    RunOutcome.FAILED: FAILED,
    RunOutcome.INTERRUPTED: INTERRUPTED,
}
# AWS error codes that mean the caller's credentials are wrong or stale: configuration, not a failed run.
AWS_CREDENTIAL_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "AuthFailure",
}
MESSAGE_LIMIT = 400
PY4J_CALL_PREAMBLE = "An error occurred while calling "  # py4j's first line of a Java error
NO_AWS_REGION = "no AWS region: pass --region, or set AWS_DEFAULT_REGION or a region in your AWS profile"


class CommandError(RuntimeError):
    """A command cannot go on; the message says what to do. ``code`` is the exit code."""

    code = FAILED


class UsageError(CommandError):
    """A usage or configuration error found before anything started (exit code 2)."""

    code = USAGE


def exit_code(outcome: str | None) -> int:
    """The exit code of a run's outcome (a report without one counts as failed)."""
    return EXIT_CODE_OF_OUTCOME.get(outcome, FAILED)  # type: ignore[call-overload]


def one_line(error: BaseException) -> str:
    """The first line of an error's message, bounded and shown as text (``plain_text``): a Java stack
    trace never reaches the terminal.

    For a Java error raised through py4j it is the line naming the Java exception: py4j's own first
    line names only the object and method called. It never raises (a Py4JJavaError asks the JVM for its
    text, and a JVM that died cannot answer): the error's type name stands in.
    """
    try:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    except Exception:  # noqa: BLE001 - the error's text is unavailable, not a second error
        lines = []
    text = lines[0] if lines else type(error).__name__
    if text.startswith(PY4J_CALL_PREAMBLE) and len(lines) > 1:
        text = lines[1].removeprefix(": ")
    return plain_text(text, MESSAGE_LIMIT)


def _aws_problem(error: Exception) -> tuple[int, str] | None:
    """(exit code, message) for botocore's errors, or None for anything else."""
    try:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            NoRegionError,
            PartialCredentialsError,
            ProfileNotFound,
        )
    except ImportError:  # pragma: no cover - botocore ships with the project's stack
        return None
    if isinstance(error, NoRegionError):
        return USAGE, NO_AWS_REGION
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return USAGE, f"no usable AWS credentials ({error}): set AWS_PROFILE or AWS_ACCESS_KEY_ID/SECRET"
    if isinstance(error, ProfileNotFound):
        return USAGE, f"{error}: check AWS_PROFILE and ~/.aws/config"
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "") or str(error)
        where = f"{error.operation_name}: " if getattr(error, "operation_name", None) else ""
        return (USAGE if code in AWS_CREDENTIAL_CODES else FAILED), f"{where}{code}: {message}"
    if isinstance(error, BotoCoreError):
        return FAILED, str(error)
    return None


def describe_error(error: Exception) -> tuple[int, str]:
    """(exit code, one-line message) for an error a command raised."""
    if isinstance(error, CommandError):
        return error.code, str(error)
    if isinstance(error, RegistryError):
        return USAGE, str(error)
    aws = _aws_problem(error)
    if aws:
        return aws[0], one_line(Exception(aws[1]))
    if isinstance(error, OSError):
        return FAILED, one_line(error)
    return FAILED, f"{type(error).__name__}: {one_line(error)}"


def report_errors(command: str, call, debug: bool = False) -> int:
    """Run ``call()`` and return its exit code; an error becomes one line on stderr (a traceback with debug)."""
    try:
        return call()
    except KeyboardInterrupt:
        print(f"harvest {command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        raise  # not the command's error: the reader went away, and the entry point says nothing
    except Exception as error:  # noqa: BLE001 - every error ends as one line and an exit code
        code, message = describe_error(error)
        if debug:
            traceback.print_exc()
        hint = (
            ""
            if debug or isinstance(error, CommandError | RegistryError)
            else " (--debug shows the traceback)"
        )
        print(f"harvest {command}: {plain_lines(message)}{hint}", file=sys.stderr)
        return code
