"""The collector policy of long-running processes: loaded objects set aside, survivors too,
garbage still freed, and everything handed back once an hour.

Each check runs in a fresh interpreter: freezing objects is process-wide.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

PRELUDE = """
import gc, logging, weakref
from dispatch.engine.adapters import heap

class Node:
    def __init__(self):
        self.other = None

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a
"""


def _run(body: str) -> str:
    code = PRELUDE + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_loaded_objects_are_set_aside_and_garbage_is_still_freed() -> None:
    out = _run(
        """
        loaded = [Node() for _ in range(20_000)]
        kept = heap.settle("test")
        assert kept >= 20_000, kept
        assert len(gc.get_objects()) < 5_000  # the collector no longer walks them
        garbage = weakref.ref(cycle())
        gc.collect()
        assert garbage() is None, "a new cycle is still collected"
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_survivors_of_a_full_collection_are_set_aside_only_when_asked() -> None:
    out = _run(
        """
        heap.settle("test")
        before = gc.get_freeze_count()
        alive = [cycle() for _ in range(1_000)]
        gone = weakref.ref(cycle())
        gc.collect()
        assert gc.get_freeze_count() == before, "not asked: nothing more set aside"
        heap.settle("test again", keep_survivors=True)
        alive2 = [cycle() for _ in range(1_000)]
        gone2 = weakref.ref(cycle())
        frozen = gc.get_freeze_count()
        gc.collect()
        assert gone() is None and gone2() is None, "garbage is freed, never set aside"
        assert gc.get_freeze_count() >= frozen + 2_000, "the survivors are set aside"
        assert len(gc.get_objects()) < 1_000
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_once_an_hour_everything_goes_back_and_old_cycles_are_freed() -> None:
    out = _run(
        """
        heap.settle("test", keep_survivors=True)
        old = cycle()
        gc.collect()  # survives: set aside
        assert gc.is_tracked(old) and gc.get_freeze_count() > 0
        gone = weakref.ref(old)
        del old  # a cycle of set-aside objects: only a full walk frees it
        gc.collect()
        assert gone() is not None, "set aside: not walked"
        heap._policy.reclaim_at = 0  # the hour is over
        gc.collect()  # hands everything back ...
        assert gc.get_freeze_count() == 0
        gc.collect()  # ... and the next full collection frees the old cycle
        assert gone() is None
        assert gc.get_freeze_count() > 0, "and sets the survivors aside again"
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_a_slow_collection_is_logged() -> None:
    out = _run(
        """
        import io
        stream = io.StringIO()
        logging.basicConfig(stream=stream, level=logging.WARNING)
        heap.settle("test", process="the engine of test")
        heap.SLOW_PAUSE_S = -1.0  # every collection counts as slow
        gc.collect()
        heap.settle("test", report_pauses=False)  # a background process: not logged
        gc.collect()
        print(stream.getvalue())
        """
    )
    assert out.count("garbage collection (generation 2) paused the engine of test for") == 1
