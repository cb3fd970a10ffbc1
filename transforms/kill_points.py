"""Test-only fault injection: the process kills itself (SIGKILL) at a named point of a run.

``HARVEST_TEST_KILL_AT=<point>`` makes the process that reaches ``<point>`` die at once, as kill -9
or the out-of-memory killer would end it, so a test can prove a run killed there can be finished
(tests/test_kill_resume.py). The points: ``after-<stage>`` (the local runner, once the stage finished
and is recorded in the run's progress) and ``load-after-pointer-switch``. Nothing sets it outside tests.
"""

import os
import signal

KILL_AT = "HARVEST_TEST_KILL_AT"


def kill_point(name: str) -> None:
    """SIGKILL this process when ``HARVEST_TEST_KILL_AT`` names this point (tests only)."""
    if os.environ.get(KILL_AT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
