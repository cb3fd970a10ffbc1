"""The clean-up after an interrupt never prints a trace: cancelling the Spark jobs of a JVM that is already
stopping (the same SIGTERM reached it, or it died) is said in the log, not raised on the cancelling thread.
No JVM: a context whose calls fail as a stopped one's do."""

import threading

from pyspark import SparkContext

from harvest_cli.interrupts import cancel_spark_jobs

JAVA_ERROR = (
    "An error occurred while calling o31.cancelAllJobs.\n"
    ": java.lang.IllegalStateException: Cannot call methods on a stopped SparkContext.\n"
    "\tat org.apache.spark.SparkContext.assertNotStopped(SparkContext.scala:122)\n"
)


class StoppedContext:
    """What a SparkContext whose JVM has stopped answers: every call fails with a Java error."""

    _jsc = object()

    def setLogLevel(self, level: str) -> None:  # noqa: N802 - SparkContext's name
        pass

    def cancelAllJobs(self) -> None:  # noqa: N802 - SparkContext's name
        raise RuntimeError(JAVA_ERROR)


def test_cancelling_the_jobs_of_a_stopped_jvm_prints_nothing(monkeypatch, capsys):
    escaped = []  # what reached threading.excepthook: Python prints it, Java trace and all, on stderr
    monkeypatch.setattr(threading, "excepthook", escaped.append)
    monkeypatch.setattr(SparkContext, "_active_spark_context", StoppedContext())
    cancel_spark_jobs(timeout_s=1)
    assert escaped == []
    assert capsys.readouterr() == ("", "")
