"""The engine's figures at one moment: for ``/v1/health``, ``/metrics`` and the API workers
(the production engine writes them to the bus every second)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dispatch.service.runtime import Runtime


@dataclass(frozen=True)
class EngineSummary:
    """The engine's figures for ``/v1/health`` and ``/metrics`` of the workers."""

    vehicles: int
    solving: bool
    solves: int
    adoptions: int
    bookings_moved: int
    drive_saved_s: int
    unplaced: int
    queue_depth: int
    #: The vehicles' shifts the engine plans: (vehicle id, local day).
    shift_days: frozenset[tuple[str, date]] = frozenset()

    @classmethod
    def of(cls, runtime: Runtime) -> EngineSummary:
        engine = runtime.engine
        return cls(
            vehicles=len(engine.vehicles),
            solving=engine.solving is not None,
            solves=runtime.runner.solves,
            adoptions=runtime.sink.adopted,
            bookings_moved=runtime.sink.moved,
            drive_saved_s=runtime.sink.drive_saved_s,
            unplaced=len(engine.unplaced()),
            queue_depth=runtime.runner.queue_depth,
            shift_days=frozenset(runtime.shift_days),
        )
