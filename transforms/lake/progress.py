"""Which stages of a run have finished, and the code that ran each: ``runs/<run_id>/progress.json``, the
local runner's record.

    {"completed": ["extract", "compare", ...],         the stages that finished, in workflow order
     "code": {"extract": "<sha256>", ...}}             the code each ran (repeat_run.code_digest)

The local workflow runner rewrites it each time a stage succeeds, always as the whole job graph up to
that stage, so it never names a stage without the ones before it. A stage killed part-way (kill -9,
the out-of-memory killer) is not named, and running a stage again replaces its own output, so
``harvest resume`` starts a run again from the first stage the record does not name.

A stage that other code ran (the package upgraded or edited since) wrote tables this code may read
otherwise: a column it added would read as null, silently. So resume starts again from the first such
stage (``stages_run_by_other_code``). A record written before stages recorded their code names no code:
every stage it names counts as other code's.
"""

import json

from transforms import lake


def progress_uri(lake_root: str, run_id: str) -> str:
    """Where a run's progress record lives."""
    return lake.run_path(lake_root, run_id, "progress.json")


def _record(lake_root: str, run_id: str) -> dict | None:
    text = lake.read_text(progress_uri(lake_root, run_id))
    return json.loads(text) if text is not None else None


def completed_stages(lake_root: str, run_id: str) -> list[str] | None:
    """The stages of a run that finished, in order; None when the run has no record (a Glue run, an older run)."""
    record = _record(lake_root, run_id)
    return list(record["completed"]) if record is not None else None


def stages_run_by_other_code(lake_root: str, run_id: str) -> list[str]:
    """The finished stages of a run, in order, that code other than this process's ran; none without a record."""
    from transforms.repeat_run import code_digest  # its judging packages, hashed once per process

    record = _record(lake_root, run_id) or {}
    codes = record.get("code") or {}
    return [stage for stage in record.get("completed", []) if codes.get(stage) != code_digest()]


def record_completed(lake_root: str, run_id: str, stages: list[str]) -> None:
    """Record that ``stages`` (the job graph up to the stage that just finished) have finished: the last
    one by this process's code, the others by the code the record already names for them."""
    from transforms.repeat_run import code_digest

    codes = ((_record(lake_root, run_id) or {}).get("code")) or {}
    record = {
        "completed": stages,
        "code": {**{stage: codes.get(stage) for stage in stages[:-1]}, stages[-1]: code_digest()},
    }
    lake.write_text(progress_uri(lake_root, run_id), json.dumps(record) + "\n", "application/json")
