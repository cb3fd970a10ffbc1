"""py4j keeps the Java names it resolved (glue_jobs.jvm_names): a class, package or static method is looked
up in the JVM once, and what is looked up again is what a fresh lookup finds; field values and names that
do not exist are asked every time."""

import pytest
from py4j.java_gateway import JavaClass, JavaMember, JavaPackage
from py4j.protocol import MEMORY_COMMAND_NAME, Py4JError


@pytest.fixture
def round_trips(spark, monkeypatch):
    """The commands sent to the JVM from now on (the session's runtime has installed the remembering).

    Memory commands are left out: Python's garbage collector releases Java objects whenever it runs,
    in the middle of any test (seen in CI: a release between two lookups).
    """
    client = spark.sparkContext._gateway._gateway_client
    sent: list[str] = []
    send = client.send_command

    def counting(command, *args, **kwargs):
        if not command.startswith(MEMORY_COMMAND_NAME):
            sent.append(command)
        return send(command, *args, **kwargs)

    monkeypatch.setattr(client, "send_command", counting)
    return sent


def test_a_name_is_resolved_once_and_the_kept_one_is_what_a_fresh_lookup_finds(spark, round_trips):
    jvm = spark.sparkContext._jvm
    functions = jvm.functions  # resolved through PySpark's star imports
    assert isinstance(functions, JavaClass) and functions._fqn == "org.apache.spark.sql.functions"
    package = jvm.org.apache.spark
    assert isinstance(package, JavaPackage) and package._fqn == "org.apache.spark"
    column = functions.col
    assert isinstance(column, JavaMember)
    looked_up = len(round_trips)
    assert jvm.functions is functions and jvm.org.apache.spark is package and functions.col is column
    assert len(round_trips) == looked_up
    assert jvm.org.apache.spark.sql.functions is jvm.org.apache.spark.sql.functions
    assert [command.split("\n")[2] for command in round_trips[looked_up:]] in (
        ["org.apache.spark.sql.functions"],  # `sql` already kept, by an earlier lookup of this process
        ["org.apache.spark.sql", "org.apache.spark.sql.functions"],
    )
    assert jvm.org.apache.spark.sql.functions._fqn == functions._fqn
    # A kept method still calls the JVM each time, with its own arguments.
    assert column("a").toString() == "a" and column("b").toString() == "b"


def test_field_values_and_missing_names_are_asked_every_time(spark, round_trips):
    jvm = spark.sparkContext._jvm
    integer = jvm.java.lang.Integer
    before = len(round_trips)
    assert integer.MAX_VALUE == 2**31 - 1 and integer.MAX_VALUE == 2**31 - 1
    assert len(round_trips) == before + 2
    for _ in range(2):
        with pytest.raises(Py4JError):
            integer.noSuchMember  # noqa: B018 - the lookup is the test
    assert "noSuchMember" not in vars(integer) and len(round_trips) == before + 4
