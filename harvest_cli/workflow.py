"""The local workflow runner: the job graph and arguments of the CloudFormation template, run in one Spark session.

It reads the template (the single source of truth for the job graph), finds the start
trigger and follows the CONDITIONAL triggers whose predicate is "<job> SUCCEEDED", and
runs each job's ``main`` with the job's ``DefaultArguments``, the lake root and run id
overridden. Like Glue, it stops at the first job that fails.
"""

import importlib
import logging
import posixpath
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from harvest_cli.exit_codes import one_line
from harvest_cli.terminal import PROGRESS_LOGGER, counts_text

TEMPLATE = Path(__file__).resolve().parents[1] / "cloudformation" / "harvest.yaml"
log = logging.getLogger("harvest")
progress = logging.getLogger(PROGRESS_LOGGER)


class _TemplateLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation's short-form intrinsics (!Ref, !Sub, ...) as {"Fn": value}."""


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        return {name: value.split(".", 1) if suffix == "GetAtt" else value}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict:
    """The parsed CloudFormation template."""
    return yaml.load(path.read_text("utf-8"), Loader=_TemplateLoader)


@dataclass(frozen=True)
class JobStep:
    """One job of the workflow: its logical id, stage module and default arguments."""

    logical_id: str
    stage: str
    default_arguments: dict


def _resolve(value, parameters: dict):
    """A DefaultArguments value as a string; Refs to parameters take the parameter's default."""
    if isinstance(value, dict) and "Ref" in value:
        return str(parameters.get(value["Ref"], {}).get("Default", ""))
    if isinstance(value, dict):
        return None  # !Sub and friends name AWS resources; locally they are overridden or unused
    return str(value)


def job_graph(template: dict) -> list[JobStep]:
    """The jobs in workflow order: the start trigger's job, then each job started on its predecessor's SUCCEEDED."""
    resources = template["Resources"]
    parameters = template.get("Parameters", {})
    triggers = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Glue::Trigger"]
    starts = [t for t in triggers if t["Type"] in ("SCHEDULED", "ON_DEMAND")]
    if len(starts) != 1 or len(starts[0]["Actions"]) != 1:
        raise ValueError("the workflow needs exactly one start trigger with one action")
    following = {}
    for trigger in triggers:
        if trigger["Type"] == "CONDITIONAL":
            (condition,) = trigger["Predicate"]["Conditions"]
            if condition.get("State") != "SUCCEEDED":
                raise ValueError(f"conditional trigger on {condition} must wait for SUCCEEDED")
            (action,) = trigger["Actions"]
            following[condition["JobName"]["Ref"]] = action["JobName"]["Ref"]
    steps: list[JobStep] = []
    current = starts[0]["Actions"][0]["JobName"]["Ref"]
    while current is not None:
        if any(step.logical_id == current for step in steps):
            raise ValueError(f"the job graph has a cycle at {current}")
        job = resources[current]["Properties"]
        script = job["Command"]["ScriptLocation"]
        script = script["Fn::Sub"] if isinstance(script, dict) else script
        arguments = {
            name: _resolve(value, parameters) for name, value in job.get("DefaultArguments", {}).items()
        }
        stage = posixpath.basename(script).removesuffix(".py")
        steps.append(JobStep(current, stage, {k: v for k, v in arguments.items() if v is not None}))
        current = following.get(current)
    return steps


def job_argv(step: JobStep, overrides: dict[str, str]) -> list[str]:
    """The argv a job gets: its DefaultArguments with the overrides applied, as Glue passes them."""
    arguments = {**step.default_arguments, **{f"--{name}": value for name, value in overrides.items()}}
    return [f"glue_jobs/{step.stage}.py"] + [item for pair in arguments.items() for item in pair]


@dataclass
class WorkflowResult:
    """How a local workflow run went: seconds per stage that ran, and where it stopped (if it did)."""

    seconds: dict[str, float]
    failed_stage: str | None = None
    error: str | None = None  # the failed stage's error, one line
    traceback: str | None = None  # and in full, for --debug
    interrupted_stage: str | None = None  # the stage Ctrl-C or SIGTERM stopped
    message: str | None = None  # what the report of a run that stopped early says (set by on_stop)


def _announce(on_progress: Callable[[str], None] | None, message: str, pending: bool = False) -> None:
    """A progress line: to the progress logger (the terminal, or the job log) and to ``on_progress``."""
    progress.info(message, extra={"pending": pending})
    if on_progress is not None:
        on_progress(message)


def _steps_from(steps: list[JobStep], start_at: str | None) -> list[JobStep]:
    stages = [step.stage for step in steps]
    if start_at is None:
        return steps
    if start_at not in stages:
        raise ValueError(f"no stage {start_at!r} in the workflow ({', '.join(stages)})")
    return steps[stages.index(start_at) :]


def run_workflow(
    overrides: dict[str, str],
    on_progress: Callable[[str], None] | None = None,
    template: Path = TEMPLATE,
    start_at: str | None = None,
    on_stop: Callable[[WorkflowResult], None] | None = None,
) -> WorkflowResult:
    """Run every job in order (from ``start_at``), stopping at the first that fails, as Glue's triggers do.

    The run holds the lake lock throughout: LakeLocked (naming the holder) at once when another run
    has it; released at the end (load releases it on success; here when the run failed or stopped).
    Ctrl-C (or a SIGTERM the caller turned into KeyboardInterrupt) stops the running job and is
    recorded as ``interrupted_stage``; it is not a failure of that stage. ``on_stop`` is called when
    the run stopped early, while it still holds the lake: what it writes (the stopped run's report)
    exists before another run can start. Each stage that succeeds is recorded in the run's progress
    (transforms.lake.progress), which ``harvest resume`` reads.
    """
    from transforms.lake import lock as lake_lock

    lake_lock.acquire(overrides["lake"], overrides["run-id"], reentrant=False)
    try:
        result = _run_steps(overrides, on_progress, template, start_at)
        if on_stop is not None and (result.failed_stage or result.interrupted_stage):
            on_stop(result)
        return result
    finally:
        lake_lock.release(overrides["lake"], overrides["run-id"])


def _prepare_for_validate(overrides: dict[str, str]) -> None:
    """After extract, start in the background what validate will need, while compare and transform run in
    this process (locally; on Glue each job is a process of its own).

    A repeat (transforms.repeat_run) starts no Spark session before validate, which starts one: it is
    started now (about half a second of the JVM's start hidden). Any other run may create, update or
    delete, so validate's suites may run: Great Expectations' import (2.5 to 4 s of CPU, one core)
    begins now rather than at validate's start, where a small run waited for it.
    """
    from glue_jobs.runtime import start_local_session_in_background
    from transforms.gate import suites
    from transforms.repeat_run import read_carry

    carry = read_carry(overrides["lake"], overrides["run-id"])
    if carry is not None and carry.whole:
        start_local_session_in_background("harvest-validate", brief=True)  # a repeat's JVM is brief
    else:
        suites.import_in_background()


def _run_steps(
    overrides: dict[str, str], on_progress: Callable[[str], None] | None, template: Path, start_at: str | None
) -> WorkflowResult:
    from glue_jobs.job_context import STAGE_COUNTS
    from transforms.kill_points import kill_point
    from transforms.lake.progress import record_completed

    steps = job_graph(load_template(template))
    result = WorkflowResult(seconds={})
    for step in _steps_from(steps, start_at):
        label = f"[{steps.index(step) + 1}/{len(steps)}] {step.stage}"
        started = time.monotonic()
        try:
            _announce(on_progress, f"{label} ...", pending=True)
            importlib.import_module(f"glue_jobs.{step.stage}").main(job_argv(step, overrides))
        except KeyboardInterrupt:
            result.interrupted_stage = step.stage
        except Exception as error:  # noqa: BLE001 - a failed job stops the workflow, as on Glue
            result.failed_stage, result.error = step.stage, one_line(error)
            result.traceback = traceback.format_exc()
        took = result.seconds[step.stage] = time.monotonic() - started
        if result.interrupted_stage:
            _announce(on_progress, f"{label} interrupted after {took:.1f} s")
            break
        if result.failed_stage:
            _announce(on_progress, f"{label} FAILED after {took:.1f} s: {result.error}")
            break
        if step.stage == "extract":
            _prepare_for_validate(overrides)
        finished = [done.stage for done in steps[: steps.index(step) + 1]]
        record_completed(overrides["lake"], overrides["run-id"], finished)
        kill_point(f"after-{step.stage}")
        counts = counts_text(STAGE_COUNTS.pop(step.stage, {}))
        _announce(on_progress, f"{label} done in {took:.1f} s" + (f": {counts}" if counts else ""))
    return result
