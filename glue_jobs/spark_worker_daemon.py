"""The Python worker daemon for local runs: PySpark's own, importing PySpark from a folder, not a zip.

PySpark puts ``pyspark.zip``, the py4j zip and ``spark-core_*.jar`` first on the workers'
PYTHONPATH, and every task calls ``importlib.invalidate_caches()``, which makes zipimport re-read
the central directory of every archive it has opened, once per package imported from it, in pure
Python: about 0.15 s of each task, most of a small task's cost. A pip-installed PySpark has the
same modules as plain files, so the daemon drops the archives before PySpark is imported, when
both packages can still be found without them. ``runtime.local_spark`` selects this module with
``spark.python.daemon.module``; Glue keeps its own workers.

A reused worker also runs a full garbage collection after every task (PySpark's daemon calls
``gc.collect()`` there), which walks every object its imports made: pandas, pyarrow, lxml, the
crosswalk and, where the record suite runs, Great Expectations. Here what survives that collection
is frozen out of later ones (``CollectThenFreeze``), so each collection walks only what the last task
made: a task's garbage is still freed before the next task.
"""

import gc
import importlib.machinery
import sys


def without_archives(paths: list[str]) -> list[str]:
    """``paths`` without zip and jar archives, when pyspark and py4j are importable from what is left."""
    kept = [path for path in paths if not path.endswith((".zip", ".jar"))]
    found = all(importlib.machinery.PathFinder.find_spec(name, kept) for name in ("pyspark", "py4j"))
    return kept if found else paths


class CollectThenFreeze:
    """The ``gc`` module as PySpark's daemon uses it, but a collection freezes what survives it.

    What a worker keeps from task to task (modules, caches such as a suite's GE validation) survives
    the collection after the task that made it and is never walked again; what a task left as garbage
    is collected as before. A frozen object is still freed when nothing refers to it any more.
    """

    def __getattr__(self, name: str):
        return getattr(gc, name)

    @staticmethod
    def collect(*args, **kwargs) -> int:
        """``gc.collect``, then ``gc.freeze`` of the survivors; returns what the collection found."""
        found = gc.collect(*args, **kwargs)
        gc.freeze()
        return found


if __name__ == "__main__":
    sys.path[:] = without_archives(sys.path)
    for cached in [path for path in sys.path_importer_cache if ".zip" in path or ".jar" in path]:
        del sys.path_importer_cache[cached]
    from pyspark import daemon

    daemon.gc = CollectThenFreeze()  # type: ignore[assignment]  # the daemon's own name for the module
    daemon.manager()
