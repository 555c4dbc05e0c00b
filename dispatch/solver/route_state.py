"""What insertion needs to know of one vehicle's current route, computed once and cached.

Plans change far less often than quotes come in, so most quotes (and most repair steps
in the large-neighbourhood search) reuse every vehicle's state unchanged.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from dispatch.model import (
    NO_LIMIT_S,
    Request,
    Route,
    Snapshot,
    StopKind,
    Vehicle,
    Visit,
    ride_limit_s,
)
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.schedule import (
    Infeasibility,
    Schedule,
    Stops,
    WarmStart,
    dropoff_upper,
    initial_load,
    least_schedule,
    loads_after,
    resolve_stops,
    route_from_schedule,
)


@dataclass(frozen=True, slots=True)
class RouteState:
    """One vehicle's current route as the candidate generation sees it."""

    vehicle: Vehicle
    visits: tuple[Visit, ...]
    #: Locations: the start, every visit, the end.
    path: list[int]
    #: Departure from the start, then from every visit (least schedule).
    departures: list[int]
    #: Load on the arc leaving the start, then leaving every visit.
    load_before: list[tuple[int, ...]]
    base_cost: float
    stops: Stops
    #: Latest start of each visit (and, last, the latest end) ignoring ride limits: a relaxation,
    #: so a detour that makes a visit start after it is certainly infeasible.
    latest: list[int]
    #: Excess ride seconds of the current route: an insertion can lower it by at most this,
    #: which bounds the added cost from below (see ``insertion._best_first``).
    base_excess: int
    #: Per arc (leaving the start, then leaving every visit): how many seconds a detour on
    #: it may add to the rides of the riders on board there, before the tightest of them
    #: exceeds its maximum ride even without any waiting. Unlimited: ``NO_LIMIT_S``.
    ride_slack: list[int]
    #: For a pickup before old position ``i``: the last old position the drop-off may go
    #: before (the first stop at or after ``i`` that needs an empty vehicle, e.g. a break).
    next_barrier: list[int]
    #: The least schedule's start and arrival at every visit.
    starts: tuple[int, ...] = ()
    arrivals: tuple[int, ...] = ()
    #: Driving seconds and arc cost of the route.
    drive_s: int = 0
    arc_cost: int = 0
    #: Per position ``i``: the excess ride seconds that an insertion with its pickup
    #: before ``i`` could take away (see :func:`shortenable_excess`).
    shortenable: list[int] = field(default_factory=list)
    #: Riders already on board: (position of their drop-off, when they left their pickup
    #: plus their direct ride); see :func:`excess_of`.
    on_board: list[tuple[int, int]] = field(default_factory=list)
    #: The least schedule itself, and the seconds riders picked up here wait beyond the
    #: time they asked for (see :func:`waiting`).
    schedule: Schedule | None = None
    wait_s: int = 0
    #: The timed route, built when first asked for (see :meth:`route`).
    _route: list[Route] = field(default_factory=list, compare=False)
    #: ``fits(load)`` answers, by load (quotes of one or two riders repeat the same loads).
    _fits: dict[tuple[int, ...], list[bool]] = field(default_factory=dict, compare=False)

    def route(self, snapshot: Snapshot) -> Route:
        """The timed route of this sequence: what ``build_route`` gives for it."""
        if not self._route:
            assert self.schedule is not None, "a state of an empty sequence has no schedule"
            loads = self.load_before[1:]
            built = route_from_schedule(snapshot, self.vehicle, self.visits, self.schedule, loads)
            self._route.append(built)
        return self._route[0]

    def fits(self, load: tuple[int, ...]) -> list[bool]:
        """Per position, whether ``load`` fits on the arc leaving it (every dimension)."""
        found = self._fits.get(load)
        if found is None:
            found = self._fits[load] = _fits_per_arc(self.vehicle.capacity, load, self.load_before)
        return found


def _fits_per_arc(
    capacity: tuple[int, ...], q: tuple[int, ...], load_before: list[tuple[int, ...]]
) -> list[bool]:
    if len(q) == 2:  # the usual seats/wheelchairs case, without the generic loop
        c0, c1 = capacity
        q0, q1 = q
        return [lb[0] + q0 <= c0 and lb[1] + q1 <= c1 for lb in load_before]
    return [all(x + y <= c for x, y, c in zip(lb, q, capacity, strict=True)) for lb in load_before]


#: Route states by everything they depend on. Entries are kept for one travel matrix
#: only (the engine's, which only ever grows): a new matrix empties the cache, and the
#: matrix is held here so that its id cannot be reused by another one meanwhile.
_STATE_CACHE: dict[
    tuple[object, ...], tuple[Vehicle, tuple[Request, ...], ObjectiveParams, RouteState | None]
] = {}
_STATE_CACHE_SIZE = 20_000
_STATE_ROWS: list[object] = []


def clear_route_state_cache() -> None:
    """Forget every cached state (benchmarks measure the cold path with it)."""
    _STATE_CACHE.clear()
    _STATE_ROWS.clear()


_MEMO = "_route_states"


def use_route_states(snapshot: Snapshot, memo: dict[tuple[object, ...], object]) -> None:
    """Keep ``snapshot``'s route states in ``memo`` (which may already hold some).

    A state is reused only for the very same vehicle object and visit sequence, so the
    caller must keep vehicle objects only while they and their visits' requests stand
    (the engine's per-vehicle snapshot entries do).
    """
    snapshot.__dict__[_MEMO] = memo


def share_route_states(source: Snapshot, target: Snapshot) -> None:
    """Let ``target`` reuse the route states computed on ``source``.

    Only valid when ``target`` has the same vehicles, the same requests for every
    visit and an extension of the same travel matrix (the engine's snapshot of a quote
    is its live snapshot plus the quoted request).
    """
    target.__dict__[_MEMO] = source.__dict__.setdefault(_MEMO, {})


def route_state(
    snapshot: Snapshot, vehicle: Vehicle, sequence: Sequence[Visit], params: ObjectiveParams
) -> RouteState | None:
    """The state of ``sequence`` on ``vehicle``, or ``None`` if it is itself infeasible."""
    seq = tuple(sequence)
    memo: dict[tuple[object, ...], tuple[Vehicle, RouteState | None, tuple[Visit, ...]]]
    memo = snapshot.__dict__.setdefault(_MEMO, {})
    # The very sequence object asked for last time for this vehicle (every quote asks for
    # every vehicle's current one) is found without hashing its visits.
    last = memo.get((vehicle.id, params))
    if last is not None and last[0] is vehicle and last[2] is seq:
        return last[1]
    quick = (vehicle.id, seq, params)
    found = memo.get(quick)
    if found is None or found[0] is not vehicle:
        found = (vehicle, _cached_route_state(snapshot, vehicle, seq, params), seq)
        if len(memo) >= _STATE_CACHE_SIZE:
            memo.clear()
        memo[quick] = found
    memo[(vehicle.id, params)] = (vehicle, found[1], seq)
    return found[1]


def _cached_route_state(
    snapshot: Snapshot, vehicle: Vehicle, seq: tuple[Visit, ...], params: ObjectiveParams
) -> RouteState | None:
    requests = snapshot.request_by_id
    try:
        involved = tuple(requests[v.request_id] for v in seq)
    except KeyError:
        return None
    rows = (snapshot.travel_rows, snapshot.cost_rows)
    if not _STATE_ROWS or _STATE_ROWS[0] is not rows[0] or _STATE_ROWS[1] is not rows[1]:
        _STATE_CACHE.clear()
        _STATE_ROWS[:] = rows
    # Keyed by identity (hashing every request's fields costs more than it saves); the
    # entry holds the objects themselves, so their ids cannot be reused while it lives.
    key = (vehicle.id, seq, tuple(map(id, involved)), id(params))
    found = _STATE_CACHE.get(key)
    if (
        found is not None
        and found[0] == vehicle
        and found[2] is params
        and all(a is b for a, b in zip(found[1], involved, strict=True))
    ):
        return found[3]
    state = _compute_route_state(snapshot, vehicle, seq, params)
    if len(_STATE_CACHE) >= _STATE_CACHE_SIZE:
        _STATE_CACHE.clear()
    _STATE_CACHE[key] = (vehicle, involved, params, state)
    return state


def _compute_route_state(
    snapshot: Snapshot, vehicle: Vehicle, seq: tuple[Visit, ...], params: ObjectiveParams
) -> RouteState | None:
    stops = resolve_stops(snapshot, seq)
    if isinstance(stops, Infeasibility):
        return None
    schedule = least_schedule(snapshot, vehicle, stops)
    loads = loads_after(snapshot, vehicle, seq)
    if isinstance(schedule, Infeasibility) or isinstance(loads, Infeasibility):
        return None
    requests = snapshot.request_by_id
    path = [vehicle.start_location, *stops.location, vehicle.end_location]
    departures = [schedule.departure] + [
        schedule.start[k] + service(requests[v.request_id], v.kind) for k, v in enumerate(seq)
    ]
    load_before = [initial_load(snapshot, vehicle), *loads]
    barrier = next_barriers(snapshot, seq)
    excess = excess_ride(snapshot, seq, schedule) if seq else 0
    wait = waiting(snapshot, seq, schedule) if seq else 0
    cost = params.drive_weight * schedule.arc_cost + params.excess_ride_weight * excess
    if params.wait_weight:
        cost += params.wait_weight * wait
    latest = latest_starts(snapshot, vehicle, stops)
    slack = ride_slack(snapshot, stops)
    return RouteState(
        vehicle,
        seq,
        path,
        departures,
        load_before,
        cost,
        stops,
        latest,
        excess,
        slack,
        barrier,
        schedule.start,
        schedule.arrival,
        schedule.drive_s,
        schedule.arc_cost,
        shortenable_excess(snapshot, stops, schedule.start),
        on_board_dropoffs(snapshot, seq),
        schedule,
        wait,
    )


def first_pickup_position(st: RouteState, request: Request) -> int:
    """The first position a pickup may go before: not in the locked prefix, and not before a
    visit whose latest start comes before the pickup could even be done (latest starts
    never decrease along a route, so the positions before it are skipped by bisection —
    on a long day's route most of them)."""
    earliest_done = request.pickup_window.start + request.pickup_service_s
    return max(len(st.vehicle.locked), bisect.bisect_left(st.latest, earliest_done))


def shortenable_excess(snapshot: Snapshot, stops: Stops, start: Sequence[int]) -> list[int]:
    """Per position ``i``, the excess ride of the route's riders that an insertion before
    ``i`` could shorten: a lower bound of its added cost is then ``−excess_ride_weight ×``
    this, far tighter than the whole route's excess on a long route.

    With travel times that obey the triangle inequality an insertion only delays stops.
    It delays nothing before ``i`` except, through a ride-time limit, the pickups of
    riders whose ride spans ``i`` and the stops after them. A rider's ride can get
    shorter only if one of its stops moves, so only rides ending at or after the
    earliest stop that can move count. Riders already on board never ride shorter (their
    drop-off can only be delayed), so they do not count at all.
    """
    travel, loc, service = snapshot.travel_rows, stops.location, stops.service
    n = len(loc)
    reach = list(range(n + 1))
    ending = [0] * (n + 1)
    for p, d, _ in stops.pairs:
        for k in range(p + 1, d + 1):
            reach[k] = min(reach[k], p)
        ending[d] += max(0, start[d] - start[p] - service[p] - travel[loc[p]][loc[d]])
    after = [0] * (n + 2)
    for k in range(n, -1, -1):
        after[k] = after[k + 1] + ending[k]
    return [after[reach[i]] for i in range(n + 1)]


def ride_slack(snapshot: Snapshot, stops: Stops) -> list[int]:
    """Per arc, the least ride-time slack (without waiting) of the pairs spanning it.

    A pair's start-to-start gap is at least the pickup's service plus the travel and
    service times between, whatever the waiting; a detour on an arc inside the pair adds
    to that minimum. Riders on board are bounded by their drop-off window instead (in
    ``latest``), so only pairs with both stops in the route count.
    """
    travel = snapshot.travel_rows
    loc, service = stops.location, stops.service
    # reach[k]: minimal gap between the start of visit 0 and the start of visit k
    reach = [0] * len(loc)
    for k in range(1, len(loc)):
        reach[k] = reach[k - 1] + service[k - 1] + travel[loc[k - 1]][loc[k]]
    slack = [NO_LIMIT_S] * (len(loc) + 1)
    for p, d, limit in stops.pairs:
        spare = limit - (reach[d] - reach[p])
        for arc in range(p + 1, d + 1):
            slack[arc] = min(slack[arc], spare)
    return slack


def latest_starts(snapshot: Snapshot, vehicle: Vehicle, stops: Stops) -> list[int]:
    """Backward pass of latest starts (windows, travel, shift end; ride limits ignored)."""
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


def service(request: Request, kind: StopKind) -> int:
    return request.pickup_service_s if kind is StopKind.PICKUP else request.dropoff_service_s


def excess_ride(snapshot: Snapshot, seq: tuple[Visit, ...], schedule: Schedule) -> int:
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


def on_board_dropoffs(snapshot: Snapshot, seq: Sequence[Visit]) -> list[tuple[int, int]]:
    """Drop-offs in ``seq`` of riders already on board: (position, when their ride would
    end without any detour), for :func:`excess_of`."""
    requests, travel = snapshot.request_by_id, snapshot.travel_rows
    picked = {v.request_id for v in seq if v.kind is StopKind.PICKUP}
    out = []
    for k, visit in enumerate(seq):
        if visit.kind is StopKind.PICKUP or visit.request_id in picked:
            continue
        r = requests[visit.request_id]
        if r.boarded_at is not None:
            out.append((k, r.boarded_at + r.pickup_service_s + travel[r.pickup][r.dropoff]))
    return out


def excess_of(
    snapshot: Snapshot, stops: Stops, start: Sequence[int], on_board: list[tuple[int, int]]
) -> int:
    """:func:`excess_ride` from resolved stops: the same seconds without looking up every
    visit's request (the exact check of an insertion asks this for its whole route)."""
    travel, loc, service = snapshot.travel_rows, stops.location, stops.service
    excess = 0
    for p, d, _ in stops.pairs:
        ride = start[d] - start[p] - service[p] - travel[loc[p]][loc[d]]
        if ride > 0:
            excess += ride
    for d, direct_end in on_board:
        if start[d] > direct_end:
            excess += start[d] - direct_end
    return excess


def waiting(snapshot: Snapshot, seq: tuple[Visit, ...], schedule: Schedule) -> int:
    """Seconds the riders picked up in ``seq`` wait beyond the time they asked for."""
    requests = snapshot.request_by_id
    total = 0
    for k, visit in enumerate(seq):
        if visit.kind is StopKind.PICKUP:
            desired = requests[visit.request_id].desired_pickup
            if desired is not None:
                total += max(0, schedule.start[k] - desired)
    return total


def next_barriers(snapshot: Snapshot, seq: Sequence[Visit]) -> list[int]:
    """Per position ``0..len(seq)``, the index of the next exclusive stop (or ``len(seq)``)."""
    requests = snapshot.request_by_id
    out = [len(seq)] * (len(seq) + 1)
    for k in range(len(seq) - 1, -1, -1):
        visit = seq[k]
        exclusive = visit.kind is not StopKind.PICKUP and requests[visit.request_id].exclusive
        out[k] = k if exclusive else out[k + 1]
    return out


def try_insert(
    snapshot: Snapshot,
    st: RouteState,
    request: Request,
    i: int,
    j: int,
    params: ObjectiveParams,
    *,
    warm: bool = False,
) -> tuple[tuple[Visit, ...], Schedule, float] | None:
    """The exact check of putting ``request``'s pickup before old ``i``, drop-off before old ``j``.

    Returns the new visit sequence, its least schedule and the added cost, or ``None`` if
    infeasible. Capacity is not checked here: candidates are filtered arc by arc first.
    With ``warm``, the schedule is computed from the route's current one (see
    :class:`WarmStart`): the same schedule whenever travel times obey the triangle
    inequality, otherwise possibly a little later — good enough for a search step, whose
    result is timed again from scratch, but not for an offer.
    """
    stops = inserted_stops(st.stops, request, i, j)
    known = None
    if warm:
        floor = list(st.starts)
        floor.insert(j, request.dropoff_window.start)
        floor.insert(i, request.pickup_window.start)
        known = WarmStart(floor, list(st.arrivals[:i]), st.departures[0], i)
    totals = _inserted_totals(snapshot, st, request, i, j)
    schedule = least_schedule(snapshot, st.vehicle, stops, known, totals)
    if isinstance(schedule, Infeasibility):
        return None
    seq = st.visits
    pickup, dropoff = Visit(request.id, StopKind.PICKUP), Visit(request.id, StopKind.DROPOFF)
    new = (*seq[:i], pickup, *seq[i:j], dropoff, *seq[j:])
    cost = params.drive_weight * schedule.arc_cost
    if params.excess_ride_weight:
        moved = [(k + (k >= i) + (k >= j), end) for k, end in st.on_board]
        cost += params.excess_ride_weight * excess_of(snapshot, stops, schedule.start, moved)
    if params.wait_weight:
        cost += params.wait_weight * waiting(snapshot, new, schedule)
    return new, schedule, cost - st.base_cost


def _inserted_totals(
    snapshot: Snapshot, st: RouteState, request: Request, i: int, j: int
) -> tuple[int, int]:
    """Driving seconds and arc cost of the route with the request inserted at ``i``, ``j``."""
    path, p, d = st.path, request.pickup, request.dropoff
    totals = []
    for rows, base in ((snapshot.travel_rows, st.drive_s), (snapshot.cost_rows, st.arc_cost)):
        a, b = path[i], path[i + 1]
        if i == j:
            totals.append(base + rows[a][p] + rows[p][d] + rows[d][b] - rows[a][b])
            continue
        a2, b2 = path[j], path[j + 1]
        added = rows[a][p] + rows[p][b] - rows[a][b] + rows[a2][d] + rows[d][b2] - rows[a2][b2]
        totals.append(base + added)
    return totals[0], totals[1]


def inserted_stops(stops: Stops, request: Request, i: int, j: int) -> Stops:
    """The resolved stop data with the request's pickup before old ``i``, drop-off before old ``j``."""

    def put(values: list[int], at_pickup: int, at_dropoff: int) -> list[int]:
        return [*values[:i], at_pickup, *values[i:j], at_dropoff, *values[j:]]

    pairs = [
        (p + (p >= i) + (p >= j), d + (d >= i) + (d >= j), limit) for p, d, limit in stops.pairs
    ]
    pairs.append((i, j + 1, ride_limit_s(request)))
    return Stops(
        location=put(stops.location, request.pickup, request.dropoff),
        service=put(stops.service, request.pickup_service_s, request.dropoff_service_s),
        lower=put(stops.lower, request.pickup_window.start, request.dropoff_window.start),
        upper=put(stops.upper, request.pickup_window.end, dropoff_upper(request)),
        pairs=pairs,
    )
