"""Rebuild the live state after a restart: bookings, each vehicle's plan, then re-time.

The database is the truth of who rides which bus: a booking's stored ``vehicle_id`` is
the vehicle whose latest stored plan holds it (the service writes both in one
transaction). So a restart puts every open booking back where it was, in the stored
order, and nothing needs to be inserted again. A booking that is not in place anyway
(its vehicle has no shift any more, data written by an older version of the service) is
inserted again, on its own vehicle first; if no vehicle can take it, it becomes an
incident (``TripUnplaced``) — never a silently dropped promise — and every later
re-optimisation tries to place it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dispatch.engine import trips as trip_rules
from dispatch.engine.events import (
    OPEN_STATUSES,
    BookingRestored,
    Command,
    PlanRestored,
    StateRestored,
    TripUnplaced,
)
from dispatch.engine.state import Trip
from dispatch.model import BookingId, BookingStatus, ShiftId, StopKind, Visit
from dispatch.solver.insertion import feasible_insertions
from dispatch.solver.schedule import Infeasibility, build_route

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from dispatch.engine.live import LiveState

log = logging.getLogger(__name__)

UNPLACEABLE = "no vehicle's plan can take this booking after a restart"


def state(engine: LiveState, event: StateRestored) -> list[Command]:
    """The open bookings, then the stored plans (re-timed later, by ``completed``)."""
    for restored in event.bookings:
        booking(engine, restored)
    for stored in event.plans:
        plan(engine, stored)
    return []


def booking(engine: LiveState, event: BookingRestored) -> list[Command]:
    trip = trip_rules.restored_trip(event, engine.table, engine.params)
    engine.trips[trip.booking_id] = trip
    return []


def plan(engine: LiveState, event: PlanRestored) -> list[Command]:
    """The stored visit order, kept for the open bookings that the database puts here."""
    vehicle = engine.vehicles.get(event.vehicle_id)
    if vehicle is None:
        return []
    vehicle.version = max(vehicle.version, event.version)
    kept = restored_visits(engine.trips, vehicle.vehicle_id, event.visits)
    # Planned breaks were put on the vehicle when it was added: keep one of each.
    vehicle.visits = kept + [v for v in vehicle.visits if v not in kept]
    return []


def restored_visits(
    trips: Mapping[BookingId, Trip],
    vehicle_id: ShiftId,
    stored: Iterable[tuple[BookingId, StopKind]],
) -> list[Visit]:
    """The stored order, restricted to complete visits of open trips of this vehicle."""
    order = [_stored_visit(trips, b, k) for b, k in stored]
    seen = set(order)
    kept: list[Visit] = []
    for visit in order:
        trip = trips.get(visit.request_id)
        if trip is None or trip.status not in OPEN_STATUSES or trip.vehicle_id != vehicle_id:
            continue
        wanted = trip.visits()
        if visit in wanted and all(v in seen for v in wanted) and visit not in kept:
            kept.append(visit)
    return kept


def _stored_visit(trips: Mapping[BookingId, Trip], booking_id: BookingId, kind: StopKind) -> Visit:
    """A stored visit; plans stored before breaks were a stop kind of their own call a
    break's stop a drop-off."""
    trip = trips.get(booking_id)
    if trip is not None and kind is StopKind.DROPOFF:
        kind = trip.dropoff_kind
    return Visit(booking_id, kind)


def completed(engine: LiveState, now: int) -> list[Command]:
    """Re-time every vehicle; bookings not in place are inserted again or reported."""
    placed = {v for vehicle in engine.vehicles.values() for v in vehicle.visits}
    commands: list[Command] = []
    homeless: list[tuple[Trip, ShiftId | None]] = []
    for trip in engine.trips.values():
        if trip.status not in OPEN_STATUSES or set(trip.visits()) <= placed:
            continue
        vehicle = engine.vehicle_of(trip)
        if trip.status is BookingStatus.ON_BOARD and vehicle is not None:
            vehicle.visits.extend(v for v in trip.visits() if v not in placed)
            continue
        if vehicle is not None:
            vehicle.visits = [v for v in vehicle.visits if v.request_id != trip.booking_id]
        homeless.append((trip, trip.vehicle_id))
        trip.vehicle_id = None
    commands += _retime_all(engine, now)
    for trip, preferred in homeless:
        commands += reinsert(engine, trip, now, preferred)
    return commands


def _retime_all(engine: LiveState, now: int) -> list[Command]:
    """Time every vehicle's restored order from one snapshot (a vehicle's view depends only
    on itself, so this equals re-timing them one by one, at a fraction of the cost)."""
    live = engine.live_snapshot(now)
    commands: list[Command] = []
    for vehicle in engine.vehicles.values():
        view = live.snapshot.vehicle_by_id.get(vehicle.vehicle_id)
        if view is None:
            vehicle.route = None
            continue
        route = build_route(live.snapshot, view, vehicle.visits)
        if isinstance(route, Infeasibility):
            log.error("vehicle %s: route cannot be timed: %s", vehicle.vehicle_id, route.reason)
            continue
        vehicle.route, vehicle.relaxed = route, vehicle.vehicle_id in live.relaxed
        vehicle.version += 1
        commands.append(engine.plan_changed(vehicle))
    engine.mark_dirty(now)
    return commands


def reinsert(engine: LiveState, trip: Trip, now: int, preferred: ShiftId | None) -> list[Command]:
    """Insert a booking that lost its place: its own vehicle first, then any."""
    if trip.status is not BookingStatus.CONFIRMED:  # on board a vehicle that is not in service
        log.error("booking %s: the rider is on board a vehicle not in service", trip.booking_id)
        return [TripUnplaced(trip.booking_id, "the rider's vehicle is not in service", now)]
    live = engine.live_snapshot(now)
    request = live.snapshot.request_by_id[trip.booking_id]
    objective = engine.params.objective
    found = []
    if preferred is not None and preferred in engine.vehicles:
        own = {preferred}
        found = feasible_insertions(
            live.snapshot, live.visits, request, objective, limit=1, vehicles=own
        )
    found = found or feasible_insertions(live.snapshot, live.visits, request, objective, limit=1)
    if not found:
        log.error("booking %s cannot be placed on any vehicle after restart", trip.booking_id)
        return [TripUnplaced(trip.booking_id, UNPLACEABLE, now)]
    vehicle = engine.vehicles[found[0].vehicle_id]
    trip.vehicle_id = vehicle.vehicle_id
    relaxed = vehicle.vehicle_id in live.relaxed
    engine.mark_dirty(now)
    return [engine.set_route(vehicle, list(found[0].visits), found[0].route, relaxed)]


def unplaced(engine: LiveState) -> list[BookingId]:
    """Open bookings on no vehicle's plan (incidents)."""
    return [
        t.booking_id
        for t in engine.trips.values()
        if t.status in OPEN_STATUSES and t.vehicle_id is None and not t.is_break
    ]
