"""The floor benchmark's parts at a small size: the record work of both loops, and a process tree's CPU."""

import os
import subprocess
import sys

from benchmarks.bench_floor import TreeCpu, record_work
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


def test_the_tree_cpu_keeps_what_a_child_process_used_after_it_ended():
    burn = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass"
    with TreeCpu(os.getpid(), interval=0.05) as sampler:
        before = sampler.totals()["Python"]
        subprocess.run([sys.executable, "-c", burn], check=True)
        after = sampler.totals()["Python"]
    assert after - before >= 0.5  # the child's 0.6 s, less at most its last interval
