"""The local worker daemon drops PySpark's archives from the import path only when the packages are still found,
and a reused worker's collection after each task freezes what survives it."""

import gc

from glue_jobs.spark_worker_daemon import CollectThenFreeze, without_archives


def test_archives_are_dropped_when_pyspark_and_py4j_are_installed_as_folders(tmp_path):
    for package in ("pyspark", "py4j"):
        (tmp_path / "site" / package).mkdir(parents=True)
        (tmp_path / "site" / package / "__init__.py").write_text("")
    paths = [
        str(tmp_path / "pyspark.zip"),
        str(tmp_path / "py4j-src.zip"),
        str(tmp_path / "spark-core.jar"),
        str(tmp_path / "site"),
    ]
    assert without_archives(paths) == [str(tmp_path / "site")]


def test_the_path_is_kept_when_pyspark_lives_only_in_its_zip(tmp_path):
    paths = [str(tmp_path / "pyspark.zip"), str(tmp_path / "elsewhere")]
    assert without_archives(paths) == paths


class Cycle:
    """An object in a reference cycle: only the garbage collector frees it."""

    def __init__(self):
        self.me = self


def test_a_collection_frees_the_garbage_then_freezes_the_survivors():
    collector = CollectThenFreeze()
    kept = [Cycle() for _ in range(100)]  # alive at the collection: frozen by it
    assert collector.isenabled() == gc.isenabled()  # the rest of the module, unchanged
    try:
        collector.collect()
        assert gc.get_freeze_count() >= len(kept)
        for _ in range(50):  # a task's garbage, made after the freeze
            Cycle()
        assert collector.collect() >= 50  # still found and freed
        # And a frozen object is still freed when nothing refers to it any more (no cycle).
        survivor = [[]]
        collector.collect()
        before = gc.get_freeze_count()
        del survivor
        assert gc.get_freeze_count() < before
    finally:  # this process's collector as it was, but with nothing frozen (slower, never different)
        gc.unfreeze()


def test_a_reused_worker_finds_what_its_earlier_tasks_kept_frozen(spark):
    """The tests' session starts its workers through the daemon, as a local run does."""

    def frozen(_rows):
        yield gc.get_freeze_count()

    # Four tasks on two cores: a worker runs a second task after PySpark's collection of its first.
    counts = spark.sparkContext.parallelize(range(4), 4).mapPartitions(frozen).collect()
    assert max(counts) > 0
