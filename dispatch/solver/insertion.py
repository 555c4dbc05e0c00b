"""Insertion: place one request into the current routes without reordering the rest.

Used for offers ("can you take me, and when?") in milliseconds, and to build first
solutions for re-optimisation. Candidates (vehicle, pickup position, drop-off
position) are ranked by the added driving time, computed for all positions at once;
cheap *necessary* conditions (the pickup window can still be reached, capacity on the
arcs between pickup and drop-off) skip hopeless ones; the survivors are checked
cheapest first with the exact schedule arithmetic of :mod:`dispatch.solver.schedule`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from dispatch.model import (
    Request,
    Route,
    Snapshot,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleId,
    Visit,
)
from dispatch.solver.params import ObjectiveParams, PromiseParams
from dispatch.solver.plan import route_arc_cost, route_excess_ride_s
from dispatch.solver.schedule import (
    Infeasibility,
    Schedule,
    Stops,
    dropoff_upper,
    initial_load,
    least_schedule,
    loads_after,
    resolve_stops,
    route_from_schedule,
)

Sequences = Mapping[VehicleId, Sequence[Visit]]

#: At most this many candidates get the exact check per call (bounds the worst case).
MAX_EXACT_CHECKS = 400


@dataclass(frozen=True, slots=True)
class Insertion:
    vehicle_id: VehicleId
    pickup_pos: int
    dropoff_pos: int
    visits: tuple[Visit, ...]
    route: Route
    added_cost: float


@dataclass(frozen=True, slots=True)
class Offer:
    vehicle_id: VehicleId
    pickup_start: int
    dropoff_start: int
    pickup_window: TimeWindow
    latest_arrival: int
    insertion: Insertion


@dataclass(frozen=True, slots=True)
class _Candidate:
    estimate: int
    vehicle_index: int
    pickup_pos: int
    dropoff_pos: int


@dataclass(frozen=True, slots=True)
class _RouteState:
    """What the candidate generation needs to know of one vehicle's current route."""

    vehicle: Vehicle
    visits: tuple[Visit, ...]
    path: list[int]
    departures: list[int]
    load_before: list[tuple[int, ...]]
    base_cost: float
    stops: Stops
    #: Latest start of each visit (and, last, the latest end) ignoring ride limits: a relaxation,
    #: so a detour that makes a visit start after it is certainly infeasible.
    latest: list[int]


def feasible_insertions(
    snapshot: Snapshot,
    visits: Sequences,
    request: Request,
    params: ObjectiveParams | None = None,
    limit: int | None = None,
) -> list[Insertion]:
    """Feasible insertions of ``request``, cheapest first (at most ``limit``)."""
    params = params or ObjectiveParams()
    found: list[Insertion] = []
    for insertion in _exact_in_order(snapshot, visits, request, params):
        found.append(insertion)
        if limit is not None and len(found) >= 4 * limit:
            break
    found.sort(key=lambda ins: ins.added_cost)
    return found[:limit] if limit is not None else found


def offers(
    snapshot: Snapshot,
    visits: Sequences,
    request: Request,
    params: ObjectiveParams | None = None,
    n: int = 3,
    promise: PromiseParams | None = None,
) -> list[Offer]:
    """Up to ``n`` alternatives that differ in vehicle or pickup time, cheapest first."""
    params = params or ObjectiveParams()
    promise = promise or PromiseParams()
    chosen: list[Offer] = []
    for insertion in _exact_in_order(snapshot, visits, request, params):
        offer = make_offer(insertion, request, promise)
        if all(_distinct(offer, other, promise) for other in chosen):
            chosen.append(offer)
        if len(chosen) >= n:
            break
    return sorted(chosen, key=lambda o: o.insertion.added_cost)


def _distinct(a: Offer, b: Offer, promise: PromiseParams) -> bool:
    return abs(a.pickup_start - b.pickup_start) >= promise.min_separation_s


def make_offer(insertion: Insertion, request: Request, promise: PromiseParams) -> Offer:
    """The promise that can be made for an insertion.

    The pickup window is ``window_width_s`` wide, starts ``window_before_s`` before the
    planned pickup (never before the rider's own earliest time) and never ends after
    the rider's latest acceptable pickup. The latest arrival is what the ride-time
    rule guarantees anyway: the end of the pickup window plus boarding plus the
    maximum ride time, capped by the rider's own latest arrival. Both keep the
    insertion's schedule feasible, so the promise can be kept by this very plan.
    """
    stops = insertion.route.stops
    pickup = stops[insertion.pickup_pos]
    dropoff = stops[insertion.dropoff_pos]
    own = request.pickup_window
    start = max(own.start, pickup.start - promise.window_before_s)
    end = max(pickup.start, min(own.end, start + promise.window_width_s))
    window = TimeWindow(start, end)
    latest = min(request.dropoff_window.end, end + request.pickup_service_s + request.max_ride_s)
    latest = max(latest, dropoff.start)
    return Offer(insertion.vehicle_id, pickup.start, dropoff.start, window, latest, insertion)


def _exact_in_order(
    snapshot: Snapshot, visits: Sequences, request: Request, params: ObjectiveParams
) -> Iterator[Insertion]:
    states = [_route_state(snapshot, v, visits.get(v.id, ()), params) for v in snapshot.vehicles]
    candidates = sorted(
        (
            c
            for k, st in enumerate(states)
            if st is not None
            for c in _candidates(snapshot, k, st, request)
        ),
        key=lambda c: (c.estimate, c.vehicle_index, c.pickup_pos, c.dropoff_pos),
    )
    for candidate in candidates[:MAX_EXACT_CHECKS]:
        state = states[candidate.vehicle_index]
        assert state is not None
        insertion = _try(snapshot, state, request, candidate, params)
        if insertion is not None:
            yield insertion


#: Route states by everything they depend on. Plans change far less often than quotes
#: come in, so most quotes reuse every vehicle's state. Entries are kept for one travel
#: matrix only (the engine's, which only ever grows): a new matrix empties the cache, and
#: the matrix is held here so that its id cannot be reused by another one meanwhile.
_STATE_CACHE: dict[tuple[object, ...], _RouteState | None] = {}
_STATE_CACHE_SIZE = 20_000
_STATE_ROWS: list[object] = []


def _route_state(
    snapshot: Snapshot, vehicle: Vehicle, sequence: Sequence[Visit], params: ObjectiveParams
) -> _RouteState | None:
    seq = tuple(sequence)
    requests = snapshot.request_by_id
    try:
        involved = tuple(requests[v.request_id] for v in seq)
    except KeyError:
        return None
    rows = (snapshot.travel_rows, snapshot.cost_rows)
    if not _STATE_ROWS or _STATE_ROWS[0] is not rows[0] or _STATE_ROWS[1] is not rows[1]:
        _STATE_CACHE.clear()
        _STATE_ROWS[:] = rows
    key = (vehicle, seq, involved, params)
    if key in _STATE_CACHE:
        return _STATE_CACHE[key]
    state = _compute_route_state(snapshot, vehicle, seq, params)
    if len(_STATE_CACHE) >= _STATE_CACHE_SIZE:
        _STATE_CACHE.clear()
    _STATE_CACHE[key] = state
    return state


def _compute_route_state(
    snapshot: Snapshot, vehicle: Vehicle, seq: tuple[Visit, ...], params: ObjectiveParams
) -> _RouteState | None:
    stops = resolve_stops(snapshot, seq)
    if isinstance(stops, Infeasibility):
        return None
    schedule = least_schedule(snapshot, vehicle, stops)
    loads = loads_after(snapshot, vehicle, seq)
    if isinstance(schedule, Infeasibility) or isinstance(loads, Infeasibility):
        return None
    requests = snapshot.request_by_id
    path = [vehicle.start_location]
    for v in seq:
        r = requests[v.request_id]
        path.append(r.pickup if v.kind is StopKind.PICKUP else r.dropoff)
    path.append(vehicle.end_location)
    departures = [schedule.departure] + [
        schedule.start[k] + _service(requests[v.request_id], v.kind) for k, v in enumerate(seq)
    ]
    load_before = [initial_load(snapshot, vehicle), *loads]
    cost = _route_cost(snapshot, vehicle, seq, schedule, params)
    latest = _latest_starts(snapshot, vehicle, stops)
    return _RouteState(vehicle, seq, path, departures, load_before, cost, stops, latest)


def _latest_starts(snapshot: Snapshot, vehicle: Vehicle, stops: Stops) -> list[int]:
    travel = snapshot.travel_rows
    n = len(stops.location)
    latest = [0] * (n + 1)
    latest[n] = vehicle.shift_end
    nxt = vehicle.end_location
    for k in range(n - 1, -1, -1):
        loc = stops.location[k]
        latest[k] = min(stops.upper[k], latest[k + 1] - stops.service[k] - travel[loc][nxt])
        nxt = loc
    return latest


def _service(request: Request, kind: StopKind) -> int:
    return request.pickup_service_s if kind is StopKind.PICKUP else request.dropoff_service_s


def _route_cost(
    snapshot: Snapshot,
    vehicle: Vehicle,
    seq: tuple[Visit, ...],
    schedule: Schedule,
    params: ObjectiveParams,
) -> float:
    cost = params.drive_weight * schedule.arc_cost
    if seq and params.excess_ride_weight:
        cost += params.excess_ride_weight * _excess_ride(snapshot, seq, schedule)
    return cost


def _excess_ride(snapshot: Snapshot, seq: tuple[Visit, ...], schedule: Schedule) -> int:
    """Seconds on board beyond the direct trip, read from the schedule (drop-offs in ``seq``)."""
    requests, travel = snapshot.request_by_id, snapshot.travel_rows
    left: dict[str, int] = {}
    excess = 0
    for k, visit in enumerate(seq):
        r = requests[visit.request_id]
        if visit.kind is StopKind.PICKUP:
            left[r.id] = schedule.start[k] + r.pickup_service_s
            continue
        departed = left.get(r.id)
        if departed is None and r.boarded_at is not None:
            departed = r.boarded_at + r.pickup_service_s
        if departed is not None:
            excess += max(0, schedule.start[k] - departed - travel[r.pickup][r.dropoff])
    return excess


def _candidates(
    snapshot: Snapshot, k: int, st: _RouteState, request: Request
) -> Iterator[_Candidate]:
    """Position pairs that pass the necessary conditions, with their added driving time.

    Conditions (each implied by feasibility, so no feasible insertion is skipped): the
    pickup and drop-off windows can be reached, the visit after each inserted stop can
    still start by its latest start, the new rider's ride can be short enough, and no
    arc between pickup and drop-off exceeds a capacity.
    """
    cost, time_rows = snapshot.cost_rows, snapshot.travel_rows
    path, dep, latest = st.path, st.departures, st.latest
    p, d = request.pickup, request.dropoff
    capacity, q = st.vehicle.capacity, request.load
    lower_p, upper_p, s_p = (
        request.pickup_window.start,
        request.pickup_window.end,
        request.pickup_service_s,
    )
    lower_d, upper_d, s_d = (
        request.dropoff_window.start,
        dropoff_upper(request),
        request.dropoff_service_s,
    )
    ride_limit = request.max_ride_s
    n = len(st.visits)
    fits = [
        all(x + y <= c for x, y, c in zip(lb, q, capacity, strict=True)) for lb in st.load_before
    ]
    for i in range(len(st.vehicle.locked), n + 1):
        a, b = path[i], path[i + 1]
        start_p = max(dep[i] + time_rows[a][p], lower_p)
        if not fits[i] or start_p > upper_p or start_p + s_p + time_rows[p][b] > latest[i]:
            continue
        start_d = max(start_p + s_p + time_rows[p][d], lower_d)
        if start_d <= upper_d and start_d + s_d + time_rows[d][b] <= latest[i]:
            yield _Candidate(cost[a][p] + cost[p][d] + cost[d][b] - cost[a][b], k, i, i)
        pick = cost[a][p] + cost[p][b] - cost[a][b]
        latest_p = min(upper_p, latest[i] - s_p - time_rows[p][b])
        for j in range(i + 1, n + 1):
            if not fits[j]:
                break
            a2, b2 = path[j], path[j + 1]
            start_d = max(dep[j] + time_rows[a2][d], lower_d)
            if start_d > upper_d or start_d - latest_p - s_p > ride_limit:
                continue
            if start_d + s_d + time_rows[d][b2] > latest[j]:
                continue
            yield _Candidate(pick + cost[a2][d] + cost[d][b2] - cost[a2][b2], k, i, j)


def _inserted_stops(stops: Stops, request: Request, i: int, j: int) -> Stops:
    """The resolved stop data with the request's pickup before old ``i``, drop-off before old ``j``."""

    def put(values: list[int], at_pickup: int, at_dropoff: int) -> list[int]:
        return [*values[:i], at_pickup, *values[i:j], at_dropoff, *values[j:]]

    def shift(x: int) -> int:
        return x + (x >= i) + (x >= j)

    pairs = [(shift(p), shift(d), limit) for p, d, limit in stops.pairs]
    pairs.append((i, j + 1, request.max_ride_s + request.pickup_service_s))
    return Stops(
        location=put(stops.location, request.pickup, request.dropoff),
        service=put(stops.service, request.pickup_service_s, request.dropoff_service_s),
        lower=put(stops.lower, request.pickup_window.start, request.dropoff_window.start),
        upper=put(stops.upper, request.pickup_window.end, dropoff_upper(request)),
        pairs=pairs,
    )


def _try(
    snapshot: Snapshot,
    st: _RouteState,
    request: Request,
    c: _Candidate,
    params: ObjectiveParams,
) -> Insertion | None:
    i, j = c.pickup_pos, c.dropoff_pos
    schedule = least_schedule(snapshot, st.vehicle, _inserted_stops(st.stops, request, i, j))
    if isinstance(schedule, Infeasibility):
        return None
    pickup, dropoff = Visit(request.id, StopKind.PICKUP), Visit(request.id, StopKind.DROPOFF)
    seq = st.visits
    new = (*seq[:i], pickup, *seq[i:j], dropoff, *seq[j:])
    loads = loads_after(snapshot, st.vehicle, new)
    if isinstance(loads, Infeasibility):  # cannot happen: the candidate filter checked the arcs
        return None
    route = route_from_schedule(snapshot, st.vehicle, new, schedule, loads)
    cost = params.drive_weight * route_arc_cost(snapshot, route)
    cost += params.excess_ride_weight * route_excess_ride_s(snapshot, route)
    return Insertion(st.vehicle.id, i, j + 1, new, route, cost - st.base_cost)
