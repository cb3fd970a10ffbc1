"""One run at a time per lake: the lock every job honours.

``<lake>/LOCK`` holds the run that owns the lake: its run id, when it took the lock, the host and
process. It is created atomically (O_CREAT|O_EXCL on a folder, a conditional PUT with
If-None-Match on S3), so of two runs that start together exactly one gets it; the other is refused
at once with a message naming the holder.

The lifecycle (the same whether the local runner or a Glue workflow drives the jobs):

* ``harvest run`` (the local runner) takes the lock before extract and refuses when anyone holds it;
* extract takes it for its run, or finds it already held by its own run (the runner took it, or Glue
  resumed the workflow run); compare, transform and validate only check that their run holds it;
* load takes it like extract (so a load can be rerun on its own once the run is over) and releases it
  when it has finished;
* when a run fails, the local runner releases the lock. On Glue nothing does: the lock stays with the
  failed run so Glue's "resume workflow run" (same run id) can carry on; a new run is refused, naming
  it, until ``harvest unlock --lake … --run-id <holder>`` clears it.

A lock is never broken automatically. When its holder was a process on this host that is no longer
running, the refusal says so, and the lock is still cleared only by ``harvest unlock``, or taken over
by ``harvest resume`` of that same run (``reclaim``): the run carries on, as Glue's resume does.
"""

import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from transforms import lake

log = logging.getLogger(__name__)


class LakeLocked(RuntimeError):
    """Another run holds the lake (or the lock is not the one this run needs); the message says which."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lake: the lock file's content (``damaged`` when it cannot be read)."""

    run_id: str | None
    started: str | None = None
    host: str | None = None
    pid: int | None = None
    workflow: str | None = None
    damaged: str | None = None

    def running_here(self) -> bool | None:
        """True/False when the holder is a process on this host; None when that cannot be told."""
        if self.host != socket.gethostname() or not self.pid:
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # someone else's process: it exists
            return True
        return True

    def describe(self) -> str:
        """One line naming the holder and what is known of it."""
        if self.damaged:
            return f"an unreadable lock ({self.damaged})"
        where = f"workflow {self.workflow}" if self.workflow else f"pid {self.pid} on {self.host}"
        text = f"run {self.run_id} (started {self.started}, {where})"
        if self.running_here() is False:
            text += "; that process is no longer running, so the run died without releasing it"
        return text


def lock_uri(lake_root: str) -> str:
    """Where a lake's lock lives."""
    return lake.join(lake_root, "LOCK")


def holder(lake_root: str) -> Holder | None:
    """The run holding the lake, or None when it is free."""
    text = lake.read_text(lock_uri(lake_root))
    if text is None:
        return None
    try:
        content = json.loads(text)
        return Holder(
            run_id=str(content["run_id"]),
            started=content.get("started"),
            host=content.get("host"),
            pid=content.get("pid"),
            workflow=content.get("workflow"),
        )
    except (ValueError, KeyError, TypeError) as error:
        return Holder(run_id=None, damaged=f"{lock_uri(lake_root)}: {type(error).__name__}")


def _settled_holder(lake_root: str) -> Holder | None:
    """The holder, waiting up to a second for a lock being written (O_EXCL creates it empty first)."""
    found = holder(lake_root)
    for _ in range(20):
        if found is None or not found.damaged:
            break
        time.sleep(0.05)
        found = holder(lake_root)
    return found


def refusal(lake_root: str, run_id: str, found: Holder) -> LakeLocked:
    if found.damaged:
        fix = f"harvest unlock --lake {lake_root}"
    else:
        fix = f"harvest unlock --lake {lake_root} --run-id {found.run_id}"
    return LakeLocked(
        f"lake {lake_root} is held by {found.describe()}; run {run_id} cannot start. One run at a time "
        f"works on a lake: wait for it to finish, or, if it is no longer running, clear the lock with "
        f"`{fix}`"
    )


def acquire(lake_root: str, run_id: str, reentrant: bool = True, workflow: str = "") -> bool:
    """Take the lake for ``run_id``; LakeLocked naming the holder when another run has it.

    Returns True when this call took the lock, False when ``run_id`` held it already: with
    ``reentrant`` a lock held by the same run id is accepted (jobs of one run, a resumed run). The
    local runner passes False, so even a second run reusing a run id is refused.
    """
    lake.check_run_id(run_id)
    content = {
        "run_id": run_id,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "workflow": workflow or None,
    }
    text = json.dumps(content, indent=2) + "\n"
    found = None
    for _ in range(2):  # a second try when the holder released it between our attempt and the read
        if lake.create_exclusive(lock_uri(lake_root), text):
            log.info("lake %s locked for run %s", lake_root, run_id)
            return True
        found = _settled_holder(lake_root)
        if found is not None:
            break
    found = found or Holder(run_id=None, damaged="taken and released twice while we looked")
    if reentrant and found.run_id == run_id and not found.damaged:
        return False
    raise refusal(lake_root, run_id, found)


def check(lake_root: str, run_id: str) -> None:
    """LakeLocked unless ``run_id`` holds the lake (compare, transform and validate run only inside a live run)."""
    found = holder(lake_root)
    if found is not None and found.run_id == run_id and not found.damaged:
        return
    if found is None:
        raise LakeLocked(
            f"run {run_id} does not hold lake {lake_root} (the lake is not locked): a stage after extract "
            "only runs inside its run; start the run again from extract"
        )
    raise refusal(lake_root, run_id, found)


def release(lake_root: str, run_id: str) -> bool:
    """Free the lake if ``run_id`` holds it; True when it did. Another run's lock is left alone."""
    found = holder(lake_root)
    if found is None or found.damaged or found.run_id != run_id:
        return False
    # S3 has no conditional delete in this boto3; only the holder ever deletes its own lock, so a
    # read-compare-delete cannot remove another run's lock unless that run was let in by hand.
    lake.delete(lock_uri(lake_root))
    log.info("lake %s released by run %s", lake_root, run_id)
    return True


def reclaim(lake_root: str, run_id: str) -> bool:
    """Free the lake of ``run_id``'s own lock when the process that held it on this host is gone (the run
    was killed, and is being resumed); True when it did. Another run's lock, a damaged one, or one whose
    process may still run (or ran on another host) stays."""
    found = holder(lake_root)
    if found is None or found.damaged or found.run_id != run_id or found.running_here() is not False:
        return False
    lake.delete(lock_uri(lake_root))
    log.info(
        "lake %s: the lock of run %s, whose process %s is gone, was reclaimed", lake_root, run_id, found.pid
    )
    return True


def unlock(lake_root: str, run_id: str | None) -> str:
    """Clear a lock left behind (the operator's ``harvest unlock``); returns what was done.

    Refuses (LakeLocked) when ``run_id`` is not the holder, or the holder is a process on this host
    that is still running. A damaged lock is cleared without a run id.
    """
    found = holder(lake_root)
    if found is None:
        return f"lake {lake_root} is not locked"
    if not found.damaged:
        if run_id != found.run_id:
            raise LakeLocked(
                f"lake {lake_root} is held by {found.describe()}; to clear it, name that run: "
                f"`harvest unlock --lake {lake_root} --run-id {found.run_id}`"
            )
        if found.running_here():
            raise LakeLocked(f"run {found.run_id} is still running (pid {found.pid}); the lock stays")
    lake.delete(lock_uri(lake_root))
    return f"lock of {found.describe()} cleared from {lake_root}"
