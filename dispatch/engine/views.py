"""What readers may know of the live state: immutable views the engine thread publishes.

The engine's state is mutable and has one writer, the engine thread. HTTP handlers, the
plan publisher and the dispatcher's view run in other threads; they never touch that
state. After every event the engine thread builds an :class:`EngineView` (frozen
dataclasses, tuples and read-only mappings) and swaps it into a :class:`ViewBoard` in one
reference assignment. A reader takes ``board.current`` once and reads a state that is
consistent in itself: maybe a moment old, never half-updated.

Building a view after every event must cost little: a shift's view is rebuilt only when
its vehicle changed (plan version, route, position, shift end), and the trips' views
only when the engine's state version says that a trip may have changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from dispatch.engine.events import OPEN_STATUSES, Promise, TripSpec
from dispatch.model import BookingId, BookingStatus, PlannedStop, Route, ShiftId, StopKind

if TYPE_CHECKING:
    from dispatch.engine.engine import Engine
    from dispatch.engine.state import Trip, VehicleState


@dataclass(frozen=True, slots=True)
class TripView:
    """An open booking (or a driver's planned break) as readers see it."""

    booking_id: BookingId
    spec: TripSpec
    promise: Promise
    status: BookingStatus
    #: The shift (a vehicle's day) whose plan holds it; ``None``: no bus's plan holds it.
    shift_id: ShiftId | None
    is_break: bool


@dataclass(frozen=True, slots=True)
class StopView:
    """One stop of a shift's plan with its road node and the booking it serves."""

    stop: PlannedStop
    node: int
    trip: TripView

    @property
    def late_s(self) -> int:
        """How far the plan is behind the promise here (0: on time)."""
        promise = self.trip.promise
        if self.stop.kind is StopKind.PICKUP:
            return max(0, self.stop.start - promise.pickup_window.end)
        return max(0, self.stop.arrival - promise.latest_arrival)


@dataclass(frozen=True, slots=True)
class ShiftView:
    """One shift of a vehicle: where the bus is, its plan and how late it runs."""

    shift_id: ShiftId
    depot_node: int
    shift_start: int
    shift_end: int
    position_node: int
    position_at: int
    plan_version: int
    #: The plan was timed with windows widened to reality (the bus runs late).
    relaxed: bool
    route: Route | None
    #: The route's stops in order, each with its booking.
    stops: tuple[StopView, ...]
    #: The bus has reported where it is (else ``position_*`` is where its shift starts).
    reported: bool = False

    @property
    def late_s(self) -> int:
        return max((s.late_s for s in self.stops), default=0)

    @property
    def late(self) -> bool:
        return self.relaxed or self.late_s > 0

    def in_service(self, now: int) -> bool:
        return self.shift_start <= now < self.shift_end


@dataclass(frozen=True, slots=True)
class EngineView:
    """The live state at one moment, for every thread but the engine's."""

    shifts: Mapping[ShiftId, ShiftView]
    #: Open bookings and breaks by booking id.
    trips: Mapping[BookingId, TripView]
    #: A re-optimisation is running.
    solving: bool
    #: Open bookings that no bus's plan holds (incidents).
    unplaced: tuple[BookingId, ...]

    def shifts_between(self, start: int, end: int) -> list[ShiftView]:
        """The shifts that overlap ``[start, end)`` (a service day, for instance)."""
        return [s for s in self.shifts.values() if s.shift_start < end and s.shift_end > start]

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled with plain dicts (a read-only mapping cannot be pickled), so that a view
        can travel to API workers in other processes."""
        return (engine_view, (dict(self.shifts), dict(self.trips), self.solving, self.unplaced))


def engine_view(
    shifts: Mapping[ShiftId, ShiftView],
    trips: Mapping[BookingId, TripView],
    solving: bool = False,
    unplaced: tuple[BookingId, ...] = (),
) -> EngineView:
    """A view over copies of ``shifts`` and ``trips`` that nobody can change."""
    return EngineView(
        MappingProxyType(dict(shifts)), MappingProxyType(dict(trips)), solving, unplaced
    )


EMPTY_VIEW = engine_view({}, {})


class ViewBoard:
    """Holds the latest view; the engine thread swaps it, any thread reads it."""

    def __init__(self) -> None:
        self._current = EMPTY_VIEW

    @property
    def current(self) -> EngineView:
        return self._current

    def publish(self, view: EngineView) -> None:
        self._current = view  # one reference assignment: readers see the old or the new view


_ShiftKey = tuple[int, int, int, int, bool, bool]


@dataclass(frozen=True, slots=True)
class _KnownShift:
    key: _ShiftKey
    route: Route | None
    #: The trip view found for each stop of ``route`` (``None``: none) ...
    trips: tuple[TripView | None, ...]
    #: ... among these trip views.
    among: Mapping[BookingId, TripView]
    view: ShiftView


class ViewBuilder:
    """Builds views from the engine's state, reusing what did not change (engine thread only)."""

    def __init__(self) -> None:
        self._trips_key: tuple[int, int] = (-1, -1)
        self._trips: Mapping[BookingId, TripView] = MappingProxyType({})
        self._unplaced: tuple[BookingId, ...] = ()
        self._shifts: dict[ShiftId, _KnownShift] = {}

    def build(self, engine: Engine, trips_may_differ: bool = True) -> EngineView:
        """The view of ``engine`` now; ``trips_may_differ=False`` for an event that changes
        no trip (a position, a tick): then the trips are looked at only if the engine's
        state version moved."""
        trips = self._trip_views(engine, trips_may_differ)
        shifts = {vid: self._shift_view(v, trips) for vid, v in engine.vehicles.items()}
        for gone in self._shifts.keys() - shifts.keys():
            del self._shifts[gone]
        return EngineView(
            MappingProxyType(shifts), trips, engine.solving is not None, self._unplaced
        )

    def _trip_views(self, engine: Engine, may_differ: bool) -> Mapping[BookingId, TripView]:
        """The open trips' views (the same mapping as before if none changed)."""
        key = (engine.state_version, len(engine.trips))
        if key == self._trips_key and not may_differ:
            return self._trips
        old = self._trips
        views = {
            t.booking_id: _trip_view(t, old.get(t.booking_id))
            for t in engine.trips.values()
            if t.status in OPEN_STATUSES
        }
        self._trips_key = key
        if len(views) == len(old) and all(old.get(k) is t for k, t in views.items()):
            return old
        self._trips = MappingProxyType(views)
        self._unplaced = tuple(
            t.booking_id for t in views.values() if t.shift_id is None and not t.is_break
        )
        return self._trips

    def _shift_view(self, v: VehicleState, trips: Mapping[BookingId, TripView]) -> ShiftView:
        reported = v.reported_at is not None
        key: _ShiftKey = (
            v.version,
            v.position_node,
            v.position_at,
            v.shift_end,
            v.relaxed,
            reported,
        )
        route = v.route
        stops = route.stops if route is not None else ()
        known = self._shifts.get(v.vehicle_id)
        if known is not None and known.key == key and known.route is route:
            if known.among is trips:  # the same trips as last time: nothing changed
                return known.view
            if all(trips.get(s.request_id) is t for s, t in zip(stops, known.trips, strict=True)):
                self._shifts[v.vehicle_id] = replace(known, among=trips)
                return known.view
        found = tuple(trips.get(s.request_id) for s in stops)
        view = ShiftView(
            v.vehicle_id,
            v.depot_node,
            v.shift_start,
            v.shift_end,
            v.position_node,
            v.position_at,
            v.version,
            v.relaxed,
            route,
            tuple(_stop_view(s, t) for s, t in zip(stops, found, strict=True) if t is not None),
            reported,
        )
        self._shifts[v.vehicle_id] = _KnownShift(key, route, found, trips, view)
        return view


def _trip_view(trip: Trip, old: TripView | None) -> TripView:
    """The trip's view: the previous one while nothing readers see has changed."""
    if (
        old is not None
        and old.status is trip.status
        and old.shift_id == trip.vehicle_id
        and old.spec is trip.spec
        and old.promise is trip.promise
        and old.is_break == trip.is_break
    ):
        return old
    return TripView(
        trip.booking_id, trip.spec, trip.promise, trip.status, trip.vehicle_id, trip.is_break
    )


def _stop_view(stop: PlannedStop, trip: TripView) -> StopView:
    node = trip.spec.pickup_node if stop.kind is StopKind.PICKUP else trip.spec.dropoff_node
    return StopView(stop, node, trip)
