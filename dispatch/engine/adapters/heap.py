"""The garbage collector of a long-running process: out of the way of riders' quotes.

A loaded service area holds some 200,000–300,000 container objects (the road graph,
the travel matrix's rows, stops, the restored bookings). CPython's cyclic collector
walks all of them in every full collection: about 250 ms on the reference machine,
during which no thread of the process runs — an engine stops answering quotes, a
worker stops serving pages. Those objects live as long as the process, and freeing
them never needs the cyclic collector (reference counting frees what is dropped), so
:func:`settle` moves them out of its sight once the process is loaded (``gc.freeze``).

Under load, objects that live a while (bookings, route states, views) pile up again,
and each full collection walked all of them: 50–80 ms pauses several times a minute.
With ``keep_survivors``, what survives a full collection is set aside too (it is
alive at that moment, so nothing is lost); the next full collection walks only what
was made since. Reference counting still frees those objects when they are dropped;
only a *cycle* of them that becomes garbage would stay. So once an hour
(:data:`RECLAIM_S`) everything is handed back to the collector for one full
collection, which frees such cycles: one longer pause an hour instead of several a
minute.

Every collection that pauses the process for longer than :data:`SLOW_PAUSE_S` is
logged, so an operator sees when it matters again.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

#: A collection pausing the process longer than this is logged as a warning.
SLOW_PAUSE_S = 0.05
#: How often everything set aside is given back to one full collection (seconds).
RECLAIM_S = 3600.0


@dataclass
class _Policy:
    keep_survivors: bool = False
    report_pauses: bool = True
    #: What this process is, for the log (e.g. "engine of north-bayreuth").
    label: str = "this process"
    started: float = 0.0
    reclaim_at: float = 0.0


_policy = _Policy()


def settle(
    what: str, keep_survivors: bool = False, report_pauses: bool = True, process: str = ""
) -> int:
    """Collect once, then keep every object alive now out of later collections.

    With ``keep_survivors``, the survivors of every later full collection are set aside
    too (see the module's docstring); without ``report_pauses`` (a background process
    nobody waits for), slow collections are not logged. ``process`` names the process
    in those log lines. Returns how many objects are set aside. Safe to call again
    (e.g. after loading a second service area).
    """
    _policy.report_pauses = False  # this one collection is start-up work, not a pause
    gc.collect()
    gc.freeze()
    kept = gc.get_freeze_count()
    _policy.keep_survivors = _policy.keep_survivors or keep_survivors
    _policy.report_pauses = report_pauses
    if process:
        _policy.label = process
    _policy.reclaim_at = time.monotonic() + RECLAIM_S
    if _on_collection not in gc.callbacks:
        gc.callbacks.append(_on_collection)
    log.info("%s loaded: %d objects kept out of garbage collection", what, kept)
    return kept


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    now = time.perf_counter()
    if phase == "start":
        _policy.started = now
        return
    took = now - _policy.started if _policy.started else 0.0
    if took > SLOW_PAUSE_S and _policy.report_pauses:
        log.warning(
            "garbage collection (generation %d) paused %s for %.0f ms",
            info.get("generation", -1),
            _policy.label,
            took * 1000,
        )
    if not _policy.keep_survivors or info.get("generation") != 2:
        return
    if time.monotonic() >= _policy.reclaim_at:
        # The next full collection walks everything once and frees cycles of set-aside
        # objects that became garbage; its survivors are set aside again after it.
        gc.unfreeze()
        _policy.reclaim_at = time.monotonic() + RECLAIM_S
        return
    gc.freeze()
