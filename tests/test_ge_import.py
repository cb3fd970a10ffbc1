"""Great Expectations is imported once per process with the garbage collector paused, and its objects are then
frozen out of later collections (``suites.great_expectations``): in a fresh interpreter, as a stage meets it."""

import json
import subprocess
import sys
import textwrap

from tests.conftest import ROOT

PROBE = textwrap.dedent(
    """
    import gc, json, sys
    from transforms.gate import suites

    before = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(), "loaded": "great_expectations" in sys.modules}
    during = []
    gc.callbacks.append(lambda phase, info: during.append(phase))
    module = suites.great_expectations()
    gc.callbacks.clear()
    first = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(), "collections_during_import": len(during)}
    gc.collect()  # a full collection after the import does not see GE's objects
    tracked_after_collect = len(gc.get_objects())
    again = suites.great_expectations()
    print(json.dumps({
        "before": before,
        "first": first,
        "same_module": module is again is sys.modules["great_expectations"],
        "frozen_again": gc.get_freeze_count(),
        "tracked_after_collect": tracked_after_collect,
        "has_context_factory": hasattr(module, "get_context"),
    }))
    """
)


def test_great_expectations_is_imported_once_with_the_collector_paused_and_its_objects_frozen():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=300, check=True
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    # A fresh process: GE not yet imported, the collector on, nothing frozen.
    assert probe["before"] == {"enabled": True, "frozen": 0, "loaded": False}
    # No collection ran during the import, the collector is on again, and what the import made is frozen.
    assert probe["first"]["collections_during_import"] == 0
    assert probe["first"]["enabled"] is True
    assert probe["first"]["frozen"] > 100_000
    # Frozen objects are not walked: what is left to track after a full collection is far fewer.
    assert probe["tracked_after_collect"] < probe["first"]["frozen"] / 10
    # The second call finds the module: nothing imported or frozen again.
    assert probe["same_module"] is True
    assert probe["frozen_again"] == probe["first"]["frozen"]
    assert probe["has_context_factory"] is True


BACKGROUND_PROBE = textwrap.dedent(
    """
    import gc, json, sys, threading
    from transforms.gate import suites

    suites.import_in_background()
    importing = [t.name for t in threading.enumerate() if t.name == "import-great-expectations"]
    module = suites.great_expectations()  # waits for the import the thread began
    frozen = gc.get_freeze_count()
    again = suites.great_expectations()
    print(json.dumps({
        "thread_started": importing == ["import-great-expectations"],
        "whole_module": hasattr(module, "get_context") and module is sys.modules["great_expectations"],
        "enabled": gc.isenabled(),
        "frozen": frozen,
        "frozen_again": gc.get_freeze_count(),
        "same_module": module is again,
    }))
    """
)


def test_an_import_begun_in_the_background_is_waited_for_and_happens_once():
    """The stage's first call gets the whole module, never one half imported by the thread."""
    done = subprocess.run(
        [sys.executable, "-c", BACKGROUND_PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=True,
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["thread_started"] is True
    assert probe["whole_module"] is True and probe["same_module"] is True
    assert probe["enabled"] is True
    assert probe["frozen"] > 100_000 and probe["frozen_again"] == probe["frozen"]
