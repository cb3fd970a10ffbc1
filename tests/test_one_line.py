"""The one line a person sees of an error: the first line of its message, bounded; for a Java error raised
through py4j, the line that names the Java exception; and never a second error. No JVM."""

import logging

import pytest

from harvest_cli import terminal
from harvest_cli.exit_codes import MESSAGE_LIMIT, one_line
from tests.test_cli import restored_logging  # noqa: F401 - a fixture

# The text of a Py4JJavaError, as py4j builds it: its own preamble, then the Java exception and its stack.
JAVA_ERROR = (
    "An error occurred while calling o94.collectToPython.\n"
    ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 1.0 failed 1 times, "
    "most recent failure: Lost task 0.0 in stage 1.0 (TID 1) (127.0.0.1 executor driver): "
    "org.apache.spark.SparkException: Python worker exited unexpectedly (crashed)\n"
    "\tat org.apache.spark.api.python.BasePythonRunner$ReaderIterator$$anonfun$1.applyOrElse(PythonRunner.scala:612)\n"
    "\tat org.apache.spark.api.python.BasePythonRunner$ReaderIterator.read(PythonRunner.scala:594)\n"
)


class JavaError(Exception):
    def __init__(self, text: str | None) -> None:
        super().__init__()
        self.text = text

    def __str__(self) -> str:
        if self.text is None:  # what Py4JJavaError.__str__ does once the JVM is gone
            raise ConnectionError("Answer from Java side is empty")
        return self.text


def test_a_java_error_is_the_line_naming_the_java_exception():
    line = one_line(JavaError(JAVA_ERROR))
    assert line.startswith("org.apache.spark.SparkException: Job aborted due to stage failure: ")
    assert line.endswith("Python worker exited unexpectedly (crashed)") and "\n" not in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("boom\nsecond line", "boom"),
        ("", "JavaError"),
        (None, "JavaError"),  # its text cannot be had: the type stands in, nothing is raised
        ("x" * (MESSAGE_LIMIT + 50), "x" * (MESSAGE_LIMIT - 1) + "…"),
    ],
)
def test_any_error_is_one_bounded_line_and_never_a_second_error(text, expected):
    assert one_line(JavaError(text)) == expected


def test_py4j_records_of_a_failed_java_call_stay_off_the_terminal(capsys, restored_logging):  # noqa: F811
    """py4j logs a call that lost its JVM (killed, out of memory) or was interrupted as an ERROR with a
    traceback on the root logger; the stage that made the call reports it in one line instead."""
    terminal.configure(terminal.NORMAL)
    for message in ("Exception while sending command.", "KeyboardInterrupt while sending command."):
        try:
            raise ConnectionResetError("Answer from Java side is empty")
        except ConnectionResetError:
            logging.exception(message)  # as py4j.java_gateway logs it
    logging.error("a job's own error")
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "harvest: error: a job's own error"
    assert "Traceback" not in err and "while sending command" not in err
