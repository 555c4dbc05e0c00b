"""Exact schedule arithmetic for one vehicle's sequence of visits.

All the timing constraints of a route are difference constraints between start-of-
service times ``x``:

* travel: ``x[k+1] >= x[k] + service[k] + travel(k, k+1)`` (waiting is allowed),
* windows: ``lower[k] <= x[k] <= upper[k]``,
* ride time: ``x[drop] - (x[pick] + service[pick]) <= max_ride``, i.e.
  ``x[pick] >= x[drop] - max_ride - service[pick]``,
* route duration: ``end - departure <= max_duration``.

Every constraint raises a variable to at least another one plus a constant, so the
*least* solution is found by monotone iteration: a forward pass of earliest times,
then raise the pickups (and the departure) that the ride-time and duration limits
demand, and repeat. The sequence is feasible exactly when that least solution stays
under every upper bound; it is also the schedule we publish (earliest arrivals,
vehicles wait at the pickup rather than with riders on board).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.model import (
    Load,
    PlannedStop,
    Request,
    Route,
    Snapshot,
    StopKind,
    Vehicle,
    Visit,
    boarded_dropoff_deadline,
    ride_limit_s,
)


@dataclass(frozen=True, slots=True)
class Infeasibility:
    """Why a sequence has no feasible schedule (for logs and error messages)."""

    reason: str
    position: int | None = None

    def __bool__(self) -> bool:  # an Infeasibility is never "truthy" like a schedule
        return False


@dataclass(frozen=True, slots=True)
class Schedule:
    """The least feasible times of a sequence; lists are indexed like the visits."""

    departure: int
    arrival: tuple[int, ...]
    start: tuple[int, ...]
    end_arrival: int
    drive_s: int
    arc_cost: int


@dataclass(frozen=True, slots=True)
class Stops:
    """Per-visit data of a sequence, resolved once from the snapshot."""

    location: list[int]
    service: list[int]
    lower: list[int]
    upper: list[int]
    #: (pickup position, drop-off position, max ride + pickup service) per pair in the route
    pairs: list[tuple[int, int, int]]


def resolve_stops(snapshot: Snapshot, visits: Sequence[Visit]) -> Stops | Infeasibility:
    requests = snapshot.request_by_id
    location: list[int] = []
    service: list[int] = []
    lower: list[int] = []
    upper: list[int] = []
    pickup_pos: dict[str, int] = {}
    pairs: list[tuple[int, int, int]] = []
    for k, visit in enumerate(visits):
        request = requests.get(visit.request_id)
        if request is None:
            return Infeasibility(f"unknown request {visit.request_id}", k)
        if visit.kind is StopKind.PICKUP:
            if request.on_board:
                return Infeasibility(f"request {request.id} is already on board", k)
            window = request.pickup_window
            location.append(request.pickup)
            service.append(request.pickup_service_s)
            lower.append(window.start)
            upper.append(window.end)
            pickup_pos[request.id] = k
        else:
            location.append(request.dropoff)
            service.append(request.dropoff_service_s)
            lower.append(request.dropoff_window.start)
            upper.append(dropoff_upper(request))
            p = pickup_pos.get(request.id)
            if p is not None:
                pairs.append((p, k, ride_limit_s(request)))
            elif not request.on_board:
                return Infeasibility(f"drop-off of {request.id} before its pickup", k)
    return Stops(location, service, lower, upper, pairs)


def dropoff_upper(request: Request) -> int:
    return min(request.dropoff_window.end, boarded_dropoff_deadline(request))


def compute_schedule(
    snapshot: Snapshot, vehicle: Vehicle, visits: Sequence[Visit]
) -> Schedule | Infeasibility:
    """The least feasible schedule of ``visits`` on ``vehicle``, or why there is none.

    Capacity and pairing (every pickup's drop-off on the same route, on-board riders
    dropped) are not checked here; see :func:`check_loads` and ``validate_plan``.
    """
    stops = resolve_stops(snapshot, visits)
    if isinstance(stops, Infeasibility):
        return stops
    return least_schedule(snapshot, vehicle, stops)


@dataclass(frozen=True, slots=True)
class WarmStart:
    """What is already known of the least schedule of a sequence (see ``least_schedule``).

    ``floor``: per visit, a time the least start is known not to be before; ``departure``
    likewise for the departure; and the visits before ``first`` are known to start
    exactly at their floors and arrive at ``arrival`` (their entries at ``first`` and
    after are ignored). Inserting a visit into a route whose travel times obey the
    triangle inequality only adds constraints, so the old route's least schedule is such
    a floor for its visits, and the part before the insertion stays as it was.
    """

    floor: list[int]
    arrival: list[int]
    departure: int
    first: int


def least_schedule(
    snapshot: Snapshot,
    vehicle: Vehicle,
    stops: Stops,
    warm: WarmStart | None = None,
    totals: tuple[int, int] | None = None,
) -> Schedule | Infeasibility:
    """The least feasible schedule of ``stops`` on ``vehicle``, or why there is none.

    ``totals``: the route's driving seconds and arc cost, when the caller knows them
    (an insertion changes them by a difference that needs no timing).
    With ``warm``, the iteration starts from what is known (fewer and shorter passes).
    A floor above the true least start would make the result later than least, never
    infeasible where it says feasible: every constraint is still checked.
    """
    travel = snapshot.travel_rows
    n = len(stops.location)
    if warm is None:
        lower = list(stops.lower)
        depart_lower = vehicle.available_from
        arrival, start, first = [0] * n, [0] * n, 0
    else:
        lower = [a if a > b else b for a, b in zip(stops.lower, warm.floor, strict=True)]
        depart_lower = max(vehicle.available_from, warm.departure)
        first = warm.first
        arrival = [*warm.arrival[:first], *[0] * (n - first)]
        start = [*lower[:first], *[0] * (n - first)]
    for _ in range(len(stops.pairs) + 3):
        end_arrival = _forward(travel, vehicle, stops, lower, depart_lower, arrival, start, first)
        if isinstance(end_arrival, Infeasibility):
            return end_arrival
        first = n
        for p, d, limit in stops.pairs:
            need = start[d] - limit
            if start[p] < need:
                lower[p] = need
                first = min(first, p)
        if (
            vehicle.max_duration_s is not None
            and end_arrival - depart_lower > vehicle.max_duration_s
        ):
            depart_lower = end_arrival - vehicle.max_duration_s
            first = 0
        if first == n:
            if totals is not None:
                drive, arc = totals
                return Schedule(depart_lower, tuple(arrival), tuple(start), end_arrival, drive, arc)
            return _finish(snapshot, vehicle, stops, depart_lower, arrival, start, end_arrival, n)
    return Infeasibility("ride-time or route-duration limits cannot all be met")


def _forward(
    travel: list[list[int]],
    vehicle: Vehicle,
    stops: Stops,
    lower: list[int],
    depart_lower: int,
    arrival: list[int],
    start: list[int],
    first: int,
) -> int | Infeasibility:
    """Earliest times from visit ``first`` on, given the current lower bounds (``arrival``
    and ``start`` are filled in place; the visits before ``first`` are kept); the end
    arrival. The departure is as late as waiting allows."""
    location, service, upper = stops.location, stops.service, stops.upper
    if first == 0:
        prev, t = vehicle.start_location, depart_lower
    else:
        prev, t = location[first - 1], start[first - 1] + service[first - 1]
    for k in range(first, len(location)):
        loc = location[k]
        arr = t + travel[prev][loc]
        st = arr if arr > lower[k] else lower[k]
        if st > upper[k]:
            return Infeasibility(
                f"visit {k} would start at {st}, after its window end {upper[k]}", k
            )
        arrival[k] = arr
        start[k] = st
        t = st + service[k]
        prev = loc
    end_arrival = t + travel[prev][vehicle.end_location]
    if end_arrival > vehicle.shift_end:
        return Infeasibility(
            f"end of route at {end_arrival} is after the shift end {vehicle.shift_end}"
        )
    return end_arrival


def _finish(
    snapshot: Snapshot,
    vehicle: Vehicle,
    stops: Stops,
    departure: int,
    arrival: list[int],
    start: list[int],
    end_arrival: int,
    n: int,
) -> Schedule:
    travel = snapshot.travel_rows
    cost = snapshot.cost_rows
    path = [vehicle.start_location, *stops.location, vehicle.end_location]
    drive = sum(travel[a][b] for a, b in itertools.pairwise(path))
    arc = sum(cost[a][b] for a, b in itertools.pairwise(path))
    return Schedule(departure, tuple(arrival), tuple(start), end_arrival, drive, arc)


def initial_load(snapshot: Snapshot, vehicle: Vehicle) -> Load:
    """The load a vehicle carries when it becomes available (its riders on board)."""
    requests = snapshot.request_by_id
    dims = len(vehicle.capacity)
    load = [0] * dims
    for rid in vehicle.on_board:
        for i, q in enumerate(requests[rid].load):
            load[i] += q
    return tuple(load)


def loads_after(
    snapshot: Snapshot, vehicle: Vehicle, visits: Sequence[Visit]
) -> list[Load] | Infeasibility:
    """The load after each visit, or the first position where a capacity is exceeded."""
    requests = snapshot.request_by_id
    load = list(initial_load(snapshot, vehicle))
    capacity = vehicle.capacity
    if any(q > c for q, c in zip(load, capacity, strict=True)):
        return Infeasibility("riders on board exceed the vehicle's capacity")
    result: list[Load] = []
    for k, visit in enumerate(visits):
        request = requests[visit.request_id]
        if request.exclusive and visit.kind is not StopKind.PICKUP and any(load):
            return Infeasibility(f"riders on board at the break at visit {k}", k)
        sign = 1 if visit.kind is StopKind.PICKUP else -1
        for i, q in enumerate(request.load):
            load[i] += sign * q
            if load[i] > capacity[i]:
                return Infeasibility(f"capacity exceeded after visit {k}", k)
        result.append(tuple(load))
    return result


def build_route(
    snapshot: Snapshot, vehicle: Vehicle, visits: Sequence[Visit]
) -> Route | Infeasibility:
    """A fully timed route for ``visits``, or why it is infeasible (time or capacity)."""
    loads = loads_after(snapshot, vehicle, visits)
    if isinstance(loads, Infeasibility):
        return loads
    schedule = compute_schedule(snapshot, vehicle, visits)
    if isinstance(schedule, Infeasibility):
        return schedule
    return route_from_schedule(snapshot, vehicle, visits, schedule, loads)


def route_from_schedule(
    snapshot: Snapshot,
    vehicle: Vehicle,
    visits: Sequence[Visit],
    schedule: Schedule,
    loads: Sequence[Load],
) -> Route:
    requests = snapshot.request_by_id
    stops = []
    for k, visit in enumerate(visits):
        request = requests[visit.request_id]
        is_pickup = visit.kind is StopKind.PICKUP
        service = request.pickup_service_s if is_pickup else request.dropoff_service_s
        stops.append(
            PlannedStop(
                request_id=visit.request_id,
                kind=visit.kind,
                location=request.pickup if is_pickup else request.dropoff,
                arrival=schedule.arrival[k],
                start=schedule.start[k],
                departure=schedule.start[k] + service,
                load_after=tuple(loads[k]),
            )
        )
    return Route(vehicle.id, schedule.departure, tuple(stops), schedule.end_arrival)


def empty_route(vehicle: Vehicle, snapshot: Snapshot) -> Route:
    """A vehicle with nothing to do drives straight to its end location."""
    travel = snapshot.travel_rows[vehicle.start_location][vehicle.end_location]
    return Route(vehicle.id, vehicle.available_from, (), vehicle.available_from + travel)
