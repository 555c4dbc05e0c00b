"""Turn the engine's live state into an immutable solver snapshot.

Promises are hard constraints for the dispatcher, but reality can break them: a bus
stuck behind a tractor may no longer reach a pickup inside its window. A snapshot in
which the current plan is infeasible would leave the solver nothing to start from,
so for such vehicles the windows are widened *in the solver's view only* to what is
still reachable (the booking's stored promise is untouched). The plan then keeps
everybody as close to their promise as reality allows, and no plan the dispatcher
chooses ever makes a promise worse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from dispatch.engine.events import OPEN_STATUSES
from dispatch.engine.locations import LocationTable
from dispatch.engine.state import Trip, VehicleState
from dispatch.model import (
    NO_LIMIT_S,
    BookingId,
    BookingStatus,
    Request,
    RequestId,
    ShiftId,
    Snapshot,
    StopKind,
    TimeWindow,
    Vehicle,
    Visit,
)
from dispatch.solver.route_state import share_route_states, use_route_states
from dispatch.solver.schedule import Infeasibility, build_route


@dataclass(frozen=True)
class LiveSnapshot:
    """A snapshot plus the current visit order of each vehicle in it."""

    snapshot: Snapshot
    visits: dict[ShiftId, tuple[Visit, ...]]
    relaxed: frozenset[ShiftId]


def trip_request(trip: Trip, table: LocationTable) -> Request:
    """The trip as a solver request (cached on the trip until its status changes).

    A booking that no vehicle's plan holds (an incident, see ``TripUnplaced``) is not
    ``promised`` in the solver's view: a plan may leave it out, so that one booking that
    cannot be placed never stops the rest from being re-optimised, while every plan that
    places it is preferred (it costs like an unserved request).
    """
    key = (trip.status, trip.boarded_at, trip.promise, trip.vehicle_id is None)
    if trip.cached_request is not None and trip.cached_request[0] == key:
        return trip.cached_request[1]
    request = _trip_request(trip, table)
    trip.cached_request = (key, request)
    return request


def _trip_request(trip: Trip, table: LocationTable) -> Request:
    if trip.is_break:
        depot = table.index(trip.spec.dropoff_node)
        return Request(
            id=trip.booking_id,
            pickup=depot,
            dropoff=depot,
            load=(0, 0),
            dropoff_window=trip.promise.pickup_window,  # when the break may start
            dropoff_service_s=trip.dropoff_service_s,  # how long it lasts
            promised=True,
            boarded_at=trip.boarded_at,
            exclusive=True,  # nobody on board during the break
            is_break=True,
        )
    return Request(
        id=trip.booking_id,
        pickup=table.index(trip.spec.pickup_node),
        dropoff=table.index(trip.spec.dropoff_node),
        load=trip.load,
        pickup_window=trip.promise.pickup_window,
        dropoff_window=TimeWindow(0, trip.promise.latest_arrival),
        max_ride_s=trip.max_ride_s,
        pickup_service_s=trip.pickup_service_s,
        dropoff_service_s=trip.dropoff_service_s,
        promised=trip.vehicle_id is not None,
        boarded_at=_boarding_start(trip),
        desired_pickup=trip.desired_pickup,
    )


def _boarding_start(trip: Trip) -> int | None:
    """The solver's ``boarded_at`` is when boarding began; the driver reports its end."""
    if trip.status is not BookingStatus.ON_BOARD or trip.boarded_at is None:
        return None
    return trip.boarded_at - trip.pickup_service_s


def vehicle_view(
    state: VehicleState, table: LocationTable, now: int, lock_ahead_s: int = 900
) -> Vehicle:
    started = now >= state.shift_start
    start_node = state.position_node if started else state.depot_node
    locked = (
        (state.visits[0],)
        if started and state.visits and _heading_to_first(state, table, now, lock_ahead_s)
        else ()
    )
    available = max(now, state.shift_start, state.position_at if started else 0)
    if locked:
        available = _on_the_way(state, table, now, locked[0])
    picked_up_later = {v.request_id for v in state.visits if v.kind is StopKind.PICKUP}
    on_board = tuple(
        v.request_id
        for v in state.visits
        if v.kind is not StopKind.PICKUP and v.request_id not in picked_up_later
    )
    return Vehicle(
        id=state.vehicle_id,
        capacity=state.capacity,
        start_location=table.index(start_node),
        available_from=available,
        end_location=table.index(state.depot_node),
        shift_end=max(state.shift_end, available),
        on_board=on_board,
        locked=locked,
    )


def _on_the_way(state: VehicleState, table: LocationTable, now: int, first: Visit) -> int:
    """When the bus was free to go on from its reported node, serving its locked first stop.

    A bus driving to its first stop passed its reported node at ``position_at`` and drives
    on: it gets there ``travel`` later, not ``travel`` after ``now`` (counting from ``now``
    would put every moving bus behind where it really is). A bus at the stop arrived at
    ``position_at`` and serves it from then on. Either way it cannot be done earlier than
    the time still needed from ``now`` (a device that stopped reporting, a slow rider),
    nor before its shift starts.
    """
    route = state.route
    if route is None or not route.stops or route.stops[0].visit != first:
        return max(now, state.shift_start, state.position_at)
    stop = route.stops[0]
    if state.at_stop:
        needed = stop.departure - stop.start
    else:
        needed = table.seconds(table.index(state.position_node), stop.location)
    return max(state.shift_start, state.position_at, now - needed)


def _heading_to_first(
    state: VehicleState, table: LocationTable, now: int, lock_ahead_s: int
) -> bool:
    """Whether the vehicle is at its first stop or must leave for it within ``lock_ahead_s``.

    A pickup hours ahead is not locked: the bus may serve others first. Without a timed
    route for the current visits the stop stays locked (the safe side).
    """
    route = state.route
    if state.at_stop or route is None or not route.stops:
        return True
    first = route.stops[0]
    if first.visit != state.visits[0]:
        return True
    here = table.index(state.position_node)
    leave_by = first.start - table.seconds(here, first.location)
    return leave_by - now <= lock_ahead_s


@dataclass(frozen=True, slots=True)
class VehicleEntry:
    """One vehicle's part of a snapshot: its view and, if it runs late, its widened requests.

    Kept by the engine between snapshots: while the vehicle's state and ``now`` are the
    same, so is its entry (and the solver's route state computed for it).
    """

    key: tuple[object, ...]
    view: Vehicle
    relaxed: dict[RequestId, Request] | None
    #: A boarding under way, whose start can no longer move (see :func:`_pinned_boarding`).
    pinned: dict[RequestId, Request] | None = None
    #: The vehicle's visits, the very tuple of every snapshot that reuses the entry: the
    #: solver's route states are then found by identity, without hashing the visits.
    visits: tuple[Visit, ...] = ()


def _entry_key(state: VehicleState, now: int) -> tuple[object, ...]:
    """What a vehicle's entry depends on. Before its shift (and its route) starts, that is
    not the time: the bus waits at its depot until the shift starts, with nothing locked,
    so a snapshot a second later reuses the entry (most of a day's bookings are made for
    shifts that have not started, each quote at another second)."""
    route = state.route
    starts = state.shift_start if route is None else min(state.shift_start, route.departure)
    waiting = now < starts and not state.at_stop
    return (
        None if waiting else now,
        state.version,
        state.position_node,
        state.position_at,
        state.at_stop,
        state.relaxed,
        state.shift_start,
        state.shift_end,
        state.route,
        tuple(state.visits),
    )


def build_live_snapshot(
    now: int,
    vehicles: Iterable[VehicleState],
    trips: Mapping[BookingId, Trip],
    table: LocationTable,
    extra: Sequence[Request] = (),
    entries: dict[ShiftId, VehicleEntry] | None = None,
    route_states: dict[tuple[object, ...], object] | None = None,
    lock_ahead_s: int = 900,
) -> LiveSnapshot:
    """Snapshot of every open trip and every vehicle whose shift has not ended.

    ``entries`` keeps each vehicle's part between calls (it is only recomputed when the
    vehicle changed or time moved on); ``route_states`` is handed to the solver's
    route-state memo, so that route states outlive one snapshot too.
    """
    open_trips = [t for t in trips.values() if t.status in OPEN_STATUSES and _plannable(t)]
    requests = {t.booking_id: trip_request(t, table) for t in open_trips}
    active = [v for v in vehicles if v.shift_end > now or v.visits]
    plain: Snapshot | None = None
    parts: list[VehicleEntry] = []
    for state in active:
        key = _entry_key(state, now)
        entry = entries.get(state.vehicle_id) if entries is not None else None
        if entry is None or entry.key != key:
            if plain is None:
                plain = _snapshot(now, (), tuple(requests.values()), table)
            entry = _vehicle_entry(state, key, now, table, plain, lock_ahead_s)
            if entries is not None:
                entries[state.vehicle_id] = entry
        parts.append(entry)
    for entry in parts:
        if entry.pinned:
            requests.update(entry.pinned)
        if entry.relaxed:
            requests.update(entry.relaxed)
    for r in extra:
        requests[r.id] = r
    snapshot = _snapshot(now, tuple(e.view for e in parts), tuple(requests.values()), table)
    if route_states is not None:
        use_route_states(snapshot, route_states)
    visits = {v.vehicle_id: e.visits for v, e in zip(active, parts, strict=True)}
    relaxed = frozenset(
        v.vehicle_id for v, e in zip(active, parts, strict=True) if e.relaxed is not None
    )
    return LiveSnapshot(snapshot, visits, relaxed)


def _vehicle_entry(
    state: VehicleState,
    key: tuple[object, ...],
    now: int,
    table: LocationTable,
    plain: Snapshot,
    lock_ahead_s: int,
) -> VehicleEntry:
    """The vehicle's view; if its current visits cannot be timed, widened to reality."""
    view = vehicle_view(state, table, now, lock_ahead_s)
    sequence = tuple(state.visits)
    if not sequence or _settled(state, now):
        return VehicleEntry(key, view, None, None, sequence)
    pinned = _pinned_boarding(state, now, plain)
    base = _replaced(plain, pinned) if pinned else plain
    if not isinstance(build_route(base, view, sequence), Infeasibility):
        return VehicleEntry(key, view, None, pinned, sequence)
    widened = dict(base.request_by_id)
    relaxed_view = _relax_vehicle(base, view, sequence, widened)
    changed = {v.request_id: widened[v.request_id] for v in sequence}
    return VehicleEntry(key, relaxed_view, changed, pinned, sequence)


def _pinned_boarding(
    state: VehicleState, now: int, plain: Snapshot
) -> dict[RequestId, Request] | None:
    """A pickup whose boarding began: its start is fixed, not for a new plan to move.

    The bus at its first stop starts boarding at the time its plan says; once that time
    has passed, a later plan may no longer hold the pickup back (to shorten the rider's
    ride around a newly inserted stop): the rider is already boarding. The start stays
    where it was, or, if boarding is still going on, as late as it can have begun.
    """
    route = state.route
    if not state.at_stop or route is None or not route.stops or not state.visits:
        return None
    first = route.stops[0]
    if first.kind is not StopKind.PICKUP or first.start > now or state.visits[0] != first.visit:
        return None
    request = plain.request_by_id.get(first.request_id)
    if request is None:
        return None
    latest = max(first.start, now - (first.departure - first.start))
    return {request.id: replace(request, pickup_window=TimeWindow(first.start, latest))}


def _replaced(plain: Snapshot, changes: Mapping[RequestId, Request]) -> Snapshot:
    requests = tuple(changes.get(r.id, r) for r in plain.requests)
    snapshot = Snapshot(plain.now, plain.vehicles, requests, plain.travel_s, plain.distance_m)
    snapshot.__dict__["travel_rows"] = plain.travel_rows
    return snapshot


def with_requests(
    live: LiveSnapshot, extra: Sequence[Request], table: LocationTable
) -> LiveSnapshot:
    """``live`` plus requests that are in no vehicle's visits yet (a quote's or a booking's).

    Vehicles, their visits and their relaxation do not depend on such requests, so a
    snapshot built once can serve every quote until the live state changes. The
    location table may have grown since (a new address): its entries never change, so
    the larger matrix is consistent with the old indices.
    """
    if not extra:
        return live
    base = live.snapshot
    travel, distance = table.matrices()
    snapshot = Snapshot(base.now, base.vehicles, (*base.requests, *extra), travel, distance)
    snapshot.__dict__["travel_rows"] = table.travel_rows()
    # The base's index plus the new requests (indexing thousands of open requests again
    # for every quote cost more than the quote's own search).
    snapshot.__dict__["request_by_id"] = {**base.request_by_id, **{r.id: r for r in extra}}
    share_route_states(base, snapshot)
    return LiveSnapshot(snapshot, live.visits, live.relaxed)


def _plannable(trip: Trip) -> bool:
    """A rider on board a vehicle that is not in service cannot be planned (an incident)."""
    return trip.vehicle_id is not None or trip.status is not BookingStatus.ON_BOARD


def _settled(vehicle: VehicleState, now: int) -> bool:
    """The vehicle's timed route still holds: made for its current visits, not yet departed."""
    route = vehicle.route
    if route is None or vehicle.relaxed or vehicle.at_stop or now > route.departure:
        return False
    return route.visits == tuple(vehicle.visits) and route.departure >= vehicle.position_at


def _snapshot(
    now: int, vehicles: tuple[Vehicle, ...], requests: tuple[Request, ...], table: LocationTable
) -> Snapshot:
    travel, distance = table.matrices()
    snapshot = Snapshot(now, vehicles, requests, travel, distance)
    # The table keeps the same numbers as Python lists; hand them over instead of
    # converting the matrix again for every quote (the lists only ever grow).
    snapshot.__dict__["travel_rows"] = table.travel_rows()
    return snapshot


def _relax_vehicle(
    snapshot: Snapshot,
    vehicle: Vehicle,
    sequence: Sequence[Visit],
    requests: dict[RequestId, Request],
) -> Vehicle:
    """Widen windows and ride limits on this route to the earliest times still reachable."""
    travel = snapshot.travel_rows
    t, prev = vehicle.available_from, vehicle.start_location
    for visit in sequence:
        request = requests[visit.request_id]
        pickup = visit.kind is StopKind.PICKUP
        loc = request.pickup if pickup else request.dropoff
        window = request.pickup_window if pickup else request.dropoff_window
        start = max(t + travel[prev][loc], window.start)
        widened = TimeWindow(window.start, max(window.end, start))
        changes = {
            "pickup_window" if pickup else "dropoff_window": widened,
            "max_ride_s": NO_LIMIT_S,
            "exclusive": False,  # reality first: a late bus may still carry riders
        }
        requests[visit.request_id] = replace(request, **changes)  # type: ignore[arg-type]
        t = start + (request.pickup_service_s if pickup else request.dropoff_service_s)
        prev = loc
    end = t + travel[prev][vehicle.end_location]
    return replace(vehicle, shift_end=max(vehicle.shift_end, end), max_duration_s=None)
