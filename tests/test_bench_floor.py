"""The floor benchmark's parts at a small size: the record work of both loops, and the CPU of a process tree."""

import os

from benchmarks.bench_floor import record_work, tree_cpu
from benchmarks.generate import generate


def test_the_pipelines_record_work_rejects_what_the_loops_jsonschema_finds_invalid(tmp_path):
    generate(tmp_path, 60, sources=3, seed=5, xml_share=0, invalid_share=0.05)  # 3 invalid records
    work = record_work(tmp_path)
    assert work["records"] == 60
    assert work["invalid"] == {"loop": 3, "pipeline": 3}
    assert set(work["pipeline"]) >= {
        "extract: split + canonical text",
        "transform: transform_row",
        "validate: schema check",
    }
    assert all(seconds >= 0 for seconds in [*work["loop"].values(), *work["pipeline"].values()])


def test_the_cpu_of_this_process_tree_counts_this_python_process():
    cpu = tree_cpu(os.getpid())
    assert cpu["Python"] >= os.times().user - 1  # this process's own CPU at least (ticks round down)
    assert all(seconds >= 0 for group, seconds in cpu.items() if group != "JVM other")
