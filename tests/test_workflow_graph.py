"""The local runner follows the CloudFormation template's job graph and arguments."""

import copy
import json
from pathlib import Path

import pytest

from harvest_cli.workflow import job_argv, job_graph, load_template


def test_graph_is_the_five_stages_in_order():
    steps = job_graph(load_template())
    assert [step.stage for step in steps] == ["extract", "compare", "transform", "validate", "load"]
    assert all(step.default_arguments["--log-level"] for step in steps)


def test_overrides_replace_default_arguments():
    step = job_graph(load_template())[0]
    argv = job_argv(step, {"lake": "/tmp/lake", "run-id": "r1", "log-level": "DEBUG"})
    assert argv[0] == "glue_jobs/extract.py"
    pairs = dict(zip(argv[1::2], argv[2::2], strict=True))
    assert pairs["--lake"] == "/tmp/lake" and pairs["--run-id"] == "r1" and pairs["--log-level"] == "DEBUG"


def test_a_trigger_that_does_not_wait_for_success_is_refused():
    template = copy.deepcopy(load_template())
    trigger = template["Resources"]["StartCompareTrigger"]["Properties"]
    trigger["Predicate"]["Conditions"][0]["State"] = "FAILED"
    with pytest.raises(ValueError, match="SUCCEEDED"):
        job_graph(template)


@pytest.mark.parametrize(
    ("carry", "started"),
    [
        (None, "GE import"),  # a first run, or one that reads every source
        ({"of": "r0", "documents": {"a": "sha"}, "whole": False}, "GE import"),  # some sources carried
        ({"of": "r0", "documents": {"a": "sha"}, "whole": True}, "session"),  # a repeat: no suite runs
    ],
)
def test_after_extract_a_local_run_starts_what_validate_will_need(tmp_path, monkeypatch, carry, started):
    from glue_jobs import runtime
    from harvest_cli import workflow
    from transforms.gate import suites
    from transforms.repeat_run import carry_uri

    if carry is not None:
        path = Path(carry_uri(str(tmp_path / "lake"), "r1"))
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(carry), encoding="utf-8")
    calls = []
    monkeypatch.setattr(suites, "import_in_background", lambda: calls.append("GE import"))
    monkeypatch.setattr(runtime, "start_local_session_in_background", lambda *a, **k: calls.append("session"))
    workflow._prepare_for_validate({"lake": str(tmp_path / "lake"), "run-id": "r1"})
    assert calls == [started]
