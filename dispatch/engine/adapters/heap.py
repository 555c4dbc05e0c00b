"""The garbage collector of a long-running process: out of the way of riders' quotes.

A loaded service area holds some 300,000 container objects (the road graph, the travel
matrix's rows, stops, the restored bookings). CPython's cyclic collector walks all of
them in every full collection: about 250 ms on the reference machine, during which no
thread of the process runs — an engine stops answering quotes, a worker stops serving
pages. Those objects live as long as the process, and freeing them never needs the
cyclic collector (reference counting frees what is dropped), so :func:`settle` moves
them out of its sight once the process is loaded (``gc.freeze``). Later collections
walk only what was made since.

Every collection that still pauses the process for longer than :data:`SLOW_PAUSE_S` is
logged, so an operator sees when it matters again.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

log = logging.getLogger(__name__)

#: A collection pausing the process longer than this is logged as a warning.
SLOW_PAUSE_S = 0.05

_started: list[float] = []


def settle(what: str) -> int:
    """Collect once, then keep every object alive now out of later collections.

    Returns how many objects were set aside. Safe to call again (e.g. after loading a
    second service area): what was loaded meanwhile is set aside too.
    """
    gc.collect()
    gc.freeze()
    kept = gc.get_freeze_count()
    if _on_collection not in gc.callbacks:
        gc.callbacks.append(_on_collection)
    log.info("%s loaded: %d objects kept out of garbage collection", what, kept)
    return kept


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[:] = [time.perf_counter()]
        return
    if not _started:
        return
    took = time.perf_counter() - _started[0]
    if took > SLOW_PAUSE_S:
        log.warning(
            "garbage collection (generation %d) paused this process for %.0f ms",
            info.get("generation", -1),
            took * 1000,
        )
