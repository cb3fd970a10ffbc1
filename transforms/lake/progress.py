"""Which stages of a run have finished: ``runs/<run_id>/progress.json``, the local runner's record.

    {"completed": ["extract", "compare", ...]}   the stages that finished, in workflow order

The local workflow runner rewrites it each time a stage succeeds, always as the whole job graph up to
that stage, so it never names a stage without the ones before it. A stage killed part-way (kill -9,
the out-of-memory killer) is not named, and running a stage again replaces its own output, so
``harvest resume`` starts a run again from the first stage the record does not name.
"""

import json

from transforms import lake


def progress_uri(lake_root: str, run_id: str) -> str:
    """Where a run's progress record lives."""
    return lake.run_path(lake_root, run_id, "progress.json")


def completed_stages(lake_root: str, run_id: str) -> list[str] | None:
    """The stages of a run that finished, in order; None when the run has no record (a Glue run, an older run)."""
    text = lake.read_text(progress_uri(lake_root, run_id))
    return list(json.loads(text)["completed"]) if text is not None else None


def record_completed(lake_root: str, run_id: str, stages: list[str]) -> None:
    """Record that ``stages`` (the job graph up to the stage that just finished) have finished."""
    text = json.dumps({"completed": stages}) + "\n"
    lake.write_text(progress_uri(lake_root, run_id), text, "application/json")
