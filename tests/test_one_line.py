"""The one line a person sees of an error: the first line of its message, bounded; for a Java error raised
through py4j, the line that names the Java exception; and never a second error. No JVM."""

import pytest

from glue_jobs.exit_codes import MESSAGE_LIMIT, one_line

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
