"""`make bench-transform`'s workload is what compare writes: its rows go through the transform stage."""

from pyspark.sql import functions as F

from benchmarks.bench_transform import SAMPLES, SOURCE, _changes
from transforms.crosswalk.transform import transform_changes
from transforms.schemas import CHANGES


def test_the_workload_has_compare_s_columns_and_every_record_is_transformed(spark, realdata):
    changes = _changes(spark, 2 * len(SAMPLES), 2)
    try:
        assert [(f.name, f.dataType) for f in changes.schema] == [(f.name, f.dataType) for f in CHANGES]
        out = transform_changes(changes, [SOURCE])
        rows, with_json = out.agg(F.count("*"), F.count("dcat_json")).first()
    finally:
        changes.unpersist()
    assert rows == 2 * len(SAMPLES)
    assert with_json > 0  # the real samples crosswalk to DCAT-US JSON
