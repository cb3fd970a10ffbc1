"""Java names PySpark looks up through py4j, resolved once per process instead of at every use.

Every ``F.col``, ``F.lit`` and ``Column`` operator asks the JVM what ``functions`` is (``sc._jvm.functions``),
then what its method is, before calling it: three round trips where one would do. The first is the dear
one: py4j tries the bare name and then each package PySpark imported (``org.apache.spark.api.java.*``
and seven more) as a class, and each miss searches all ~250 of Spark's jars. In `make run`'s harvest
such lookups were 3,800 of its 10,700 calls into the JVM and 2.0 of the 18 s the driver waited on them;
kept, the harvest took 15.9-18.8 s against 18.1-20.5 (three interleaved pairs), and seven test files of
in-process Spark jobs 86-88 s against 96-99.

What a name resolves to cannot change while the JVM runs (PySpark's imports are made when the gateway
starts), so a class, a package or a static method, once found, is kept on the object it was found on:
the next use is an attribute read in Python. Field values are not kept: a static field can change.
"""

from functools import cache

from py4j.java_gateway import JavaClass, JavaMember, JavaPackage, JVMView


def _remembering(lookup, kept: tuple[type, ...]):
    """``lookup`` (a ``__getattr__``), keeping what it finds of the ``kept`` types on the instance."""

    def __getattr__(self, name):
        found = lookup(self, name)
        if isinstance(found, kept):
            # Reads of the name now find it in the instance's dictionary, without calling __getattr__.
            self.__dict__[name] = found
        return found

    return __getattr__


@cache  # once per process: a second wrapping would only add a call
def remember_jvm_names() -> None:
    """From now on, py4j keeps each JVM name it resolves (see the module doc)."""
    for holder in (JVMView, JavaPackage):
        holder.__getattr__ = _remembering(holder.__getattr__, (JavaClass, JavaPackage))
    JavaClass.__getattr__ = _remembering(JavaClass.__getattr__, (JavaClass, JavaMember))
