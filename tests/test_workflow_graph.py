"""The local runner follows the CloudFormation template's job graph and arguments."""

import copy

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
