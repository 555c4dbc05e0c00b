"""What the engine's rule modules may use of the engine (restore, reconcile, stop events,
reassignment): its live state and the few operations that change it consistently.

They receive the engine as this protocol instead of importing the ``Engine`` class, so
the engine imports its rules and no rule imports the engine (no import cycle, not even
one for type checking), and a rule cannot reach further into the engine than this.
"""

from __future__ import annotations

from typing import Protocol

from dispatch.engine.events import PlanChanged
from dispatch.engine.locations import LocationTable
from dispatch.engine.params import EngineParams
from dispatch.engine.snapshot import LiveSnapshot
from dispatch.engine.state import OfferRecord, Trip, VehicleState
from dispatch.model import BookingId, Request, Route, ShiftId, Visit


class LiveState(Protocol):
    """The engine as its rule modules see it (the engine thread only)."""

    params: EngineParams
    table: LocationTable
    vehicles: dict[ShiftId, VehicleState]
    trips: dict[BookingId, Trip]
    offers: dict[str, OfferRecord]

    def live_snapshot(
        self,
        now: int,
        extra: tuple[Request, ...] = (),
        around: Request | None = None,
        shared: bool = False,
        only: VehicleState | None = None,
    ) -> LiveSnapshot: ...

    def vehicle_of(self, trip: Trip) -> VehicleState | None: ...

    def mark_dirty(self, now: int) -> None: ...

    def set_route(
        self, vehicle: VehicleState, visits: list[Visit], route: Route, relaxed: bool
    ) -> PlanChanged: ...

    def plan_changed(self, vehicle: VehicleState) -> PlanChanged: ...
