"""The Python worker daemon for local runs: PySpark's own, importing PySpark from a folder, not a zip.

PySpark puts ``pyspark.zip``, the py4j zip and ``spark-core_*.jar`` first on the workers'
PYTHONPATH, and every task calls ``importlib.invalidate_caches()``, which makes zipimport re-read
the central directory of every archive it has opened, once per package imported from it, in pure
Python: about 0.15 s of each task, most of a small task's cost. A pip-installed PySpark has the
same modules as plain files, so the daemon drops the archives before PySpark is imported, when
both packages can still be found without them. ``runtime.local_spark`` selects this module with
``spark.python.daemon.module``; Glue keeps its own workers.
"""

import importlib.machinery
import sys


def without_archives(paths: list[str]) -> list[str]:
    """``paths`` without zip and jar archives, when pyspark and py4j are importable from what is left."""
    kept = [path for path in paths if not path.endswith((".zip", ".jar"))]
    found = all(importlib.machinery.PathFinder.find_spec(name, kept) for name in ("pyspark", "py4j"))
    return kept if found else paths


if __name__ == "__main__":
    sys.path[:] = without_archives(sys.path)
    for cached in [path for path in sys.path_importer_cache if ".zip" in path or ".jar" in path]:
        del sys.path_importer_cache[cached]
    from pyspark import daemon

    daemon.manager()
