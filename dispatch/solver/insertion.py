"""Insertion: place one request into the current routes without reordering the rest.

Used for offers ("can you take me, and when?") in milliseconds, and to build first
solutions for re-optimisation. Candidates (vehicle, pickup position, drop-off
position) are ranked by the added driving time, computed for all positions at once;
cheap *necessary* conditions (the pickup window can still be reached, capacity on the
arcs between pickup and drop-off) skip hopeless ones; the survivors are checked
cheapest first with the exact schedule arithmetic of :mod:`dispatch.solver.schedule`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from dispatch.model import (
    Plan,
    Request,
    RequestId,
    Route,
    Snapshot,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleId,
    Visit,
)
from dispatch.solver.params import ObjectiveParams, PromiseParams
from dispatch.solver.plan import make_plan, route_arc_cost, route_excess_ride_s
from dispatch.solver.schedule import (
    Infeasibility,
    Schedule,
    build_route,
    compute_schedule,
    initial_load,
    loads_after,
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


def _route_state(
    snapshot: Snapshot, vehicle: Vehicle, sequence: Sequence[Visit], params: ObjectiveParams
) -> _RouteState | None:
    seq = tuple(sequence)
    schedule = compute_schedule(snapshot, vehicle, seq)
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
    return _RouteState(vehicle, seq, path, departures, load_before, cost)


def _service(request: Request, kind: StopKind) -> int:
    return request.pickup_service_s if kind is StopKind.PICKUP else request.dropoff_service_s


def _route_cost(
    snapshot: Snapshot,
    vehicle: Vehicle,
    seq: tuple[Visit, ...],
    schedule: Schedule,
    params: ObjectiveParams,
) -> float:
    if not seq or params.excess_ride_weight == 0:
        return params.drive_weight * schedule.arc_cost
    route = build_route(snapshot, vehicle, seq)
    assert not isinstance(route, Infeasibility)
    return (
        params.drive_weight * schedule.arc_cost
        + params.excess_ride_weight * route_excess_ride_s(snapshot, route)
    )


def _candidates(
    snapshot: Snapshot, k: int, st: _RouteState, request: Request
) -> Iterator[_Candidate]:
    """Position pairs that pass the necessary conditions, with their added driving time."""
    travel = snapshot.cost_rows
    time_rows = snapshot.travel_rows
    path, p, d = st.path, request.pickup, request.dropoff
    capacity, q = st.vehicle.capacity, request.load
    first = len(st.vehicle.locked)
    n = len(st.visits)
    for i in range(first, n + 1):
        a, b = path[i], path[i + 1]
        if st.departures[i] + time_rows[a][p] > request.pickup_window.end:
            continue
        if any(x + y > c for x, y, c in zip(st.load_before[i], q, capacity, strict=True)):
            continue
        pick = travel[a][p] + travel[p][b] - travel[a][b]
        yield _Candidate(travel[a][p] + travel[p][d] + travel[d][b] - travel[a][b], k, i, i)
        for j in range(i + 1, n + 1):
            if any(x + y > c for x, y, c in zip(st.load_before[j], q, capacity, strict=True)):
                break
            a2, b2 = path[j], path[j + 1]
            yield _Candidate(pick + travel[a2][d] + travel[d][b2] - travel[a2][b2], k, i, j)


def _try(
    snapshot: Snapshot,
    st: _RouteState,
    request: Request,
    c: _Candidate,
    params: ObjectiveParams,
) -> Insertion | None:
    pickup, dropoff = Visit(request.id, StopKind.PICKUP), Visit(request.id, StopKind.DROPOFF)
    seq = st.visits
    i, j = c.pickup_pos, c.dropoff_pos
    new = (*seq[:i], pickup, *seq[i:j], dropoff, *seq[j:])
    route = build_route(snapshot, st.vehicle, new)
    if isinstance(route, Infeasibility):
        return None
    cost = params.drive_weight * route_arc_cost(snapshot, route)
    cost += params.excess_ride_weight * route_excess_ride_s(snapshot, route)
    return Insertion(st.vehicle.id, i, j + 1, new, route, cost - st.base_cost)


# ---- several requests: first solutions and repairs ---------------------------------------


def insert_requests(
    snapshot: Snapshot,
    visits: Sequences,
    request_ids: Sequence[RequestId],
    params: ObjectiveParams | None = None,
    *,
    regret: int = 1,
    rng: random.Random | None = None,
) -> tuple[dict[VehicleId, tuple[Visit, ...]], list[RequestId]]:
    """Insert several requests one after another (greedy, or regret-k when ``regret > 1``).

    Returns the new sequences and the requests that fit nowhere. ``rng`` shuffles the
    order of equally ranked requests (for randomised repair in large-neighbourhood search).
    """
    params = params or ObjectiveParams()
    current = {v.id: tuple(visits.get(v.id, ())) for v in snapshot.vehicles}
    pending = list(request_ids)
    if rng is not None:
        rng.shuffle(pending)
    unserved: list[RequestId] = []
    while pending:
        choice = _next_choice(snapshot, current, pending, params, regret)
        if choice is None:
            unserved.extend(pending)
            break
        rid, insertion = choice
        pending.remove(rid)
        if insertion is None:
            unserved.append(rid)
            continue
        current[insertion.vehicle_id] = insertion.visits
    return current, unserved


def _next_choice(
    snapshot: Snapshot,
    current: dict[VehicleId, tuple[Visit, ...]],
    pending: list[RequestId],
    params: ObjectiveParams,
    regret: int,
) -> tuple[RequestId, Insertion | None] | None:
    requests = snapshot.request_by_id
    if regret <= 1:
        rid = pending[0]
        found = feasible_insertions(snapshot, current, requests[rid], params, limit=1)
        return rid, (found[0] if found else None)
    best: tuple[float, RequestId, Insertion | None] | None = None
    for rid in pending:
        found = _best_per_vehicle(snapshot, current, requests[rid], params)
        if not found:
            return rid, None
        costs = [ins.added_cost for ins in found[:regret]]
        score = sum(c - costs[0] for c in costs[1:]) + (len(costs) < regret) * 1e9
        key = -score
        if best is None or key < best[0]:
            best = (key, rid, found[0])
    assert best is not None
    return best[1], best[2]


def _best_per_vehicle(
    snapshot: Snapshot, current: Sequences, request: Request, params: ObjectiveParams
) -> list[Insertion]:
    best: dict[VehicleId, Insertion] = {}
    for ins in feasible_insertions(snapshot, current, request, params, limit=12):
        if ins.vehicle_id not in best:
            best[ins.vehicle_id] = ins
    return sorted(best.values(), key=lambda ins: ins.added_cost)


def initial_visits(snapshot: Snapshot) -> dict[VehicleId, tuple[Visit, ...]]:
    """Locked prefixes, then every on-board rider's drop-off placed where it fits best."""
    result: dict[VehicleId, tuple[Visit, ...]] = {}
    for vehicle in snapshot.vehicles:
        seq = list(vehicle.locked)
        for rid in vehicle.on_board:
            visit = Visit(rid, StopKind.DROPOFF)
            if visit not in seq:
                seq = _best_single(snapshot, vehicle, seq, visit)
        result[vehicle.id] = tuple(seq)
    return result


def _best_single(
    snapshot: Snapshot, vehicle: Vehicle, seq: list[Visit], visit: Visit
) -> list[Visit]:
    options = []
    for pos in range(len(vehicle.locked), len(seq) + 1):
        candidate = [*seq[:pos], visit, *seq[pos:]]
        route = build_route(snapshot, vehicle, candidate)
        if not isinstance(route, Infeasibility):
            options.append((route.end_arrival, pos, candidate))
    if not options:
        return [*seq, visit]
    return min(options)[2]


def build_initial_plan(snapshot: Snapshot, params: ObjectiveParams | None = None) -> Plan:
    """Insertion from scratch: on-board riders, then promised requests, then new ones."""
    params = params or ObjectiveParams()
    visits = initial_visits(snapshot)
    placed = {v.request_id for seq in visits.values() for v in seq}
    open_requests = [r for r in snapshot.requests if r.id not in placed and not r.on_board]
    promised = [r.id for r in open_requests if r.promised]
    new = [r.id for r in open_requests if not r.promised]
    visits, _ = insert_requests(snapshot, visits, promised, params, regret=2)
    visits, _ = insert_requests(snapshot, visits, new, params, regret=2)
    plan = make_plan(snapshot, visits, params)
    if isinstance(plan, Infeasibility):
        raise ValueError(f"initial plan cannot be timed: {plan.reason}")
    return plan
