"""The local worker daemon drops PySpark's archives from the import path only when the packages are still found."""

from glue_jobs.spark_worker_daemon import without_archives


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
