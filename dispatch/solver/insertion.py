"""Insertion: place one request into the current routes without reordering the rest.

Used for offers ("can you take me, and when?") in milliseconds, and to build first
solutions for re-optimisation. Candidates (vehicle, pickup position, drop-off
position) come with their exact added arc cost, computed for all positions at once;
cheap *necessary* conditions (the pickup window can still be reached, the visits after
each inserted stop can still start by their latest start, the ride can be short
enough, capacity on the arcs between pickup and drop-off) skip hopeless ones; the
survivors are checked with the exact schedule arithmetic of
:mod:`dispatch.solver.schedule`, which is the only authority on feasibility.

Candidates are checked in the order of a lower bound of their added cost (added
driving cost minus the excess ride an insertion at that position could take away, see
``route_state.shortenable_excess``),
and an insertion is emitted once no unchecked candidate can beat it, so results come
out exactly cheapest first without checking every candidate.

The filters assume travel times obey the triangle inequality (shortest-path matrices
do): then inserting stops never makes any existing visit earlier.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from dispatch.model import (
    Request,
    Route,
    ShiftId,
    Snapshot,
    TimeWindow,
    Vehicle,
    Visit,
    latest_dropoff_start,
)
from dispatch.solver.params import ObjectiveParams, PromiseParams
from dispatch.solver.route_state import (
    RouteState,
    first_pickup_position,
    inserted_stops,
    route_state,
    try_insert,
)
from dispatch.solver.schedule import (
    Infeasibility,
    Schedule,
    dropoff_upper,
    least_schedule,
    loads_after,
    route_from_schedule,
)

Sequences = Mapping[ShiftId, Sequence[Visit]]

#: Old private names, still imported by :mod:`dispatch.solver.repair`.
_RouteState = RouteState
_route_state = route_state

#: With a ``limit`` (and for offers) at most this many candidates get the exact check
#: per call: it bounds the worst-case latency of a quote.
MAX_EXACT_CHECKS = 400


@dataclass(frozen=True, slots=True, eq=False)
class Insertion:
    """One way to serve a request on one vehicle, with the timed route it gives.

    ``pickup_pos``/``dropoff_pos`` index ``visits``, the vehicle's full new sequence;
    ``added_cost`` is the increase of drive weight × arc cost + excess-ride weight ×
    excess ride seconds of that vehicle's route. The timed ``route`` is built when
    first asked for: most insertions a quote checks are never looked at again.
    """

    vehicle_id: ShiftId
    pickup_pos: int
    dropoff_pos: int
    visits: tuple[Visit, ...]
    added_cost: float
    _timing: tuple[Snapshot, Vehicle, Schedule] = field(repr=False)
    _built: list[Route] = field(default_factory=list, repr=False)

    @property
    def pickup_start(self) -> int:
        return self._timing[2].start[self.pickup_pos]

    @property
    def dropoff_start(self) -> int:
        return self._timing[2].start[self.dropoff_pos]

    @property
    def route(self) -> Route:
        if not self._built:
            snapshot, vehicle, schedule = self._timing
            loads = loads_after(snapshot, vehicle, self.visits)
            if isinstance(loads, Infeasibility):  # the candidate filter checked every arc
                raise AssertionError(f"insertion over capacity: {loads.reason}")
            self._built.append(route_from_schedule(snapshot, vehicle, self.visits, schedule, loads))
        return self._built[0]


@dataclass(frozen=True, slots=True)
class Offer:
    """What can be promised for an insertion: see :func:`make_offer` for the rules."""

    vehicle_id: ShiftId
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
    #: The earliest the pickup could start here (the exact schedule's start is never earlier
    #: and, unless a ride-time limit holds a stop back, the same).
    pickup_start: int = 0


def feasible_insertions(
    snapshot: Snapshot,
    visits: Sequences,
    request: Request,
    params: ObjectiveParams | None = None,
    limit: int | None = None,
    vehicles: Collection[ShiftId] | None = None,
) -> list[Insertion]:
    """Feasible insertions of ``request`` into ``visits``, cheapest first.

    Without ``limit`` every feasible (vehicle, pickup, drop-off) position is returned;
    with it, the ``limit`` cheapest, from at most :data:`MAX_EXACT_CHECKS` exact checks
    (so that a booking or a repair never stalls on a huge fleet). Locked prefixes stay
    first, capacity holds in every dimension, riders on board are counted. ``request``
    must be in ``snapshot.requests``. With ``vehicles``, only those are tried.
    """
    params = params or ObjectiveParams()
    max_checks = None if limit is None else MAX_EXACT_CHECKS
    found: list[Insertion] = []
    for insertion, _ in _best_first(snapshot, visits, request, params, max_checks, vehicles):
        if limit is not None and len(found) >= limit:
            break
        found.append(insertion)
    return found


def offers(
    snapshot: Snapshot,
    visits: Sequences,
    request: Request,
    params: ObjectiveParams | None = None,
    n: int = 3,
    promise: PromiseParams | None = None,
) -> list[Offer]:
    """Up to ``n`` offers with pickup times at least ``min_separation_s`` apart, cheapest first.

    Offers are chosen greedily in the order of their insertion's cost. Only the pickup
    time separates alternatives: the promise names no vehicle (re-optimisation may move
    the booking to another one), so two offers at the same time would look identical to
    the rider. Each promise is checked again with the exact schedule before it is made.
    """
    params = params or ObjectiveParams()
    promise = promise or PromiseParams()
    chosen: list[Offer] = []
    if promise.max_wait_only:
        n = 1  # every offer would promise the same window

    def too_close(c: _Candidate) -> bool:
        """Skip the exact check of an insertion whose pickup would be too close in time to
        an offer already chosen (judged by its earliest pickup, which is nearly always
        the planned one: without this, most of a busy fleet's checks went to insertions
        at the same time as the cheapest, only to be dropped)."""
        return any(abs(c.pickup_start - o.pickup_start) < promise.min_separation_s for o in chosen)

    found = _best_first(snapshot, visits, request, params, MAX_EXACT_CHECKS, skip=too_close)
    for insertion, state in found:
        if len(chosen) >= n:
            break
        offer = make_offer(insertion, request, promise)
        if not all(_distinct(offer, other, promise) for other in chosen):
            continue
        if _promise_keeps(snapshot, state, request, offer):
            chosen.append(offer)
    return chosen


def _promise_keeps(snapshot: Snapshot, state: RouteState, request: Request, offer: Offer) -> bool:
    """Whether the insertion stays feasible with the promise as the request's hard windows."""
    latest = offer.latest_arrival
    promised = replace(
        request,
        pickup_window=offer.pickup_window,
        dropoff_window=TimeWindow(min(request.dropoff_window.start, latest), latest),
    )
    i, j = offer.insertion.pickup_pos, offer.insertion.dropoff_pos - 1
    stops = inserted_stops(state.stops, promised, i, j)
    return not isinstance(least_schedule(snapshot, state.vehicle, stops), Infeasibility)


def _best_first(
    snapshot: Snapshot,
    visits: Sequences,
    request: Request,
    params: ObjectiveParams,
    max_checks: int | None,
    only: Collection[ShiftId] | None = None,
    skip: Callable[[_Candidate], bool] | None = None,
) -> Iterator[tuple[Insertion, RouteState]]:
    """Feasible insertions in exact cost order (see the module docstring), leaving out
    candidates that ``skip`` (asked just before each exact check) rules out.

    A candidate's added cost is at least ``drive_weight × added arc cost −
    excess_ride_weight × the excess ride it could shorten``: the arc part is exact and
    no rider can ride less than the direct trip. Found insertions wait in a heap until
    the next candidate's bound is no lower than them.
    """
    states = [
        route_state(snapshot, v, visits.get(v.id, ()), params)
        if only is None or v.id in only
        else None
        for v in snapshot.vehicles
    ]
    bounded = []
    for k, st in enumerate(states):
        if st is None:
            continue
        saving = st.shortenable
        for c in _candidates(snapshot, k, st, request):
            bound = params.drive_weight * c.estimate
            if params.excess_ride_weight:
                bound -= params.excess_ride_weight * saving[c.pickup_pos]
            key = (bound, k, c.pickup_pos, c.dropoff_pos)
            bounded.append((key, c, st))
    bounded.sort(key=lambda entry: entry[0])
    if max_checks is not None:
        bounded = bounded[:max_checks]
    found: list[tuple[tuple[float, int, int, int], Insertion, RouteState]] = []
    for key, candidate, st in bounded:
        while found and found[0][0][0] <= key[0]:
            _, insertion, state = heapq.heappop(found)
            yield insertion, state
        if skip is not None and skip(candidate):
            continue
        made = _try(snapshot, st, request, candidate, params)
        if made is not None:
            heapq.heappush(found, ((made.added_cost, *key[1:]), made, st))
    while found:
        _, insertion, state = heapq.heappop(found)
        yield insertion, state


def _distinct(a: Offer, b: Offer, promise: PromiseParams) -> bool:
    return abs(a.pickup_start - b.pickup_start) >= promise.min_separation_s


def make_offer(insertion: Insertion, request: Request, promise: PromiseParams) -> Offer:
    """The promise that can be made for an insertion (see :func:`promise_for`)."""
    pickup_start, dropoff_start = insertion.pickup_start, insertion.dropoff_start
    window, latest = promise_for(request, pickup_start, dropoff_start, promise)
    return Offer(insertion.vehicle_id, pickup_start, dropoff_start, window, latest, insertion)


def promise_for(
    request: Request, pickup_start: int, dropoff_start: int, promise: PromiseParams
) -> tuple[TimeWindow, int]:
    """The pickup window and latest arrival to promise for a planned pickup and drop-off.

    The pickup window is ``window_width_s`` wide, starts ``window_before_s`` before the
    planned pickup (never before the rider's own earliest time) and never ends after
    the rider's latest acceptable pickup (with ``max_wait_only``: the rider's own window).
    The latest arrival is what the ride-time rule guarantees anyway: the end of the
    pickup window plus boarding plus the maximum ride time, capped by the rider's own
    latest arrival. Both keep the planned schedule feasible, so the promise can be kept
    by this very plan.
    """
    own = request.pickup_window
    if promise.max_wait_only:
        window = own
    else:
        start = max(own.start, pickup_start - promise.window_before_s)
        end = max(pickup_start, min(own.end, start + promise.window_width_s))
        window = TimeWindow(start, end)
    latest = min(request.dropoff_window.end, latest_dropoff_start(request, window.end))
    return window, max(latest, dropoff_start)


def _candidates(
    snapshot: Snapshot, k: int, st: RouteState, request: Request
) -> Iterator[_Candidate]:
    """Position pairs that pass the necessary conditions, with their added arc cost.

    Conditions (each implied by feasibility, so no feasible insertion is skipped): the
    pickup and drop-off windows can be reached, every visit between and after the
    inserted stops can still start by its latest start, the new rider's ride can be
    short enough, and no arc between pickup and drop-off exceeds a capacity. Start
    times only grow along a route, so once one of them fails for a pickup position,
    every later drop-off position fails too.
    """
    cost, time_rows = snapshot.cost_rows, snapshot.travel_rows
    path, dep, latest, slack = st.path, st.departures, st.latest, st.ride_slack
    p, d = request.pickup, request.dropoff
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
    fits = st.fits(request.load)
    for i in range(first_pickup_position(st, request), len(st.visits) + 1):
        if dep[i] > upper_p:
            break
        a, b = path[i], path[i + 1]
        start_p = max(dep[i] + time_rows[a][p], lower_p)
        if not fits[i] or start_p > upper_p or start_p + s_p + time_rows[p][b] > latest[i]:
            continue
        detour_p = time_rows[a][p] + s_p + time_rows[p][b] - time_rows[a][b]
        if detour_p > slack[i]:
            continue
        start_d = max(start_p + s_p + time_rows[p][d], lower_d)
        both = time_rows[a][p] + s_p + time_rows[p][d] + s_d + time_rows[d][b] - time_rows[a][b]
        if start_d <= upper_d and start_d + s_d + time_rows[d][b] <= latest[i] and both <= slack[i]:
            yield _Candidate(cost[a][p] + cost[p][d] + cost[d][b] - cost[a][b], k, i, i, start_p)
        latest_p = min(upper_p, latest[i] - s_p - time_rows[p][b])
        last_d = min(upper_d, latest_dropoff_start(request, latest_p))
        pick = cost[a][p] + cost[p][b] - cost[a][b]
        for j, left, start_d in _dropoff_starts(snapshot, st, request, i, start_p + s_p, fits):
            if left > last_d:
                break
            if start_d > last_d:
                continue
            a2, b2 = path[j], path[j + 1]
            detour_d = time_rows[a2][d] + s_d + time_rows[d][b2] - time_rows[a2][b2]
            if start_d + s_d + time_rows[d][b2] <= latest[j] and detour_d <= slack[j]:
                yield _Candidate(pick + cost[a2][d] + cost[d][b2] - cost[a2][b2], k, i, j, start_p)


def _dropoff_starts(
    snapshot: Snapshot, st: RouteState, request: Request, i: int, left_p: int, fits: list[bool]
) -> Iterator[tuple[int, int, int]]:
    """Drop-off positions ``j > i`` with lower bounds of the departure before and the drop-off's start.

    The visits between pickup and drop-off are pushed by the pickup's detour (minus the
    waiting it absorbs); the pushed departures (never earlier than today's) bound the
    drop-off's start from below. Stops when a pushed visit misses its latest start or a
    capacity would be exceeded: no later drop-off position can help either.
    """
    time_rows, path, dep, latest = snapshot.travel_rows, st.path, st.departures, st.latest
    lower, service = st.stops.lower, st.stops.service
    d, lower_d = request.dropoff, request.dropoff_window.start
    prev, t = request.pickup, left_p
    barrier = st.next_barrier[i]  # nobody rides through a stop that needs an empty vehicle
    for j in range(i + 1, len(st.visits) + 1):
        if not fits[j] or j > barrier:
            return
        loc = path[j]
        begin = max(t + time_rows[prev][loc], lower[j - 1])
        if begin > latest[j - 1]:
            return
        t = max(begin + service[j - 1], dep[j])
        prev = loc
        yield j, t, max(t + time_rows[loc][d], lower_d)


def _try(
    snapshot: Snapshot,
    st: _RouteState,
    request: Request,
    c: _Candidate,
    params: ObjectiveParams,
) -> Insertion | None:
    i, j = c.pickup_pos, c.dropoff_pos
    done = try_insert(snapshot, st, request, i, j, params)
    if done is None:
        return None
    new, schedule, added = done
    return Insertion(st.vehicle.id, i, j + 1, new, added, (snapshot, st.vehicle, schedule))
