"""Work started early on a thread of its own, for a caller that will need its result soon.

A fixed cost that would otherwise be paid in line (Great Expectations' import, a local JVM's start)
runs while the caller does other work. The caller later makes the same call itself, which waits for
the one begun here (each such call guards itself: a lock, or Spark's own): so a start that fails here is
only logged, and raised again, where it matters, by that call.
"""

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def start_in_background(name: str, work: Callable[[], object]) -> None:
    """Run ``work()`` on a daemon thread called ``name`` and return at once; a failure is logged (debug)."""

    def run() -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - the caller's own call raises it again
            log.debug("%s failed in the background", name, exc_info=True)

    threading.Thread(target=run, name=name, daemon=True).start()
