"""Insert many requests at once: first solutions, repairs in large-neighbourhood search,
and merging a re-optimised plan with bookings made while the solver ran.

An :class:`InsertionContext` keeps each vehicle's route state and, per pending request,
the best insertion on each vehicle; after an insertion only the changed vehicle is
evaluated again. That turns regret insertion from quadratic into nearly linear work.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from dispatch.model import Plan, Request, RequestId, ShiftId, Snapshot, StopKind, Vehicle, Visit
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.plan import make_plan
from dispatch.solver.repair_moves import Candidate, Option, candidates, evaluate
from dispatch.solver.route_state import RouteState, route_state
from dispatch.solver.schedule import Infeasibility, build_route

#: Exact checks per (request, vehicle) before giving up on that vehicle.
MAX_CHECKS_PER_VEHICLE = 60


class InsertionContext:
    """Current sequences and route states, updated one vehicle at a time."""

    def __init__(
        self,
        snapshot: Snapshot,
        visits: Mapping[ShiftId, Sequence[Visit]],
        params: ObjectiveParams,
    ) -> None:
        self.snapshot = snapshot
        self.params = params
        self.vehicles = list(snapshot.vehicles)
        self.sequences = {v.id: tuple(visits.get(v.id, ())) for v in self.vehicles}
        self.states = [self._state(v) for v in self.vehicles]

    def _state(self, vehicle: Vehicle) -> RouteState | None:
        return route_state(self.snapshot, vehicle, self.sequences[vehicle.id], self.params)

    def best_on(self, k: int, request: Request) -> Option | None:
        """The feasible insertion on vehicle ``k`` with the least added arc cost."""
        state = self.states[k]
        if state is None:
            return None
        ranked = sorted(candidates(self.snapshot, k, state, request))
        for candidate in ranked[:MAX_CHECKS_PER_VEHICLE]:
            found = evaluate(self.snapshot, state, request, candidate, self.params)
            if found is not None:
                return found
        return None

    def best(self, request: Request) -> Option | None:
        """The feasible insertion with the least added cost on any vehicle, best first.

        Candidates of every vehicle are checked in the order of a lower bound of their
        added cost (the exact added arc cost, less the excess ride an insertion there
        could shorten, as for quotes), until the cheapest found costs no more than the
        next bound: usually after a few checks instead of one or more per vehicle.
        """
        drive, excess = self.params.drive_weight, self.params.excess_ride_weight
        bounded: list[tuple[float, Candidate, RouteState]] = []
        for k, state in enumerate(self.states):
            if state is None:
                continue
            saving = state.shortenable
            for c in candidates(self.snapshot, k, state, request):
                bound = drive * c.estimate - excess * saving[c.pickup_pos]
                bounded.append((bound, c, state))
        bounded.sort(key=lambda entry: entry[:2])
        best: Option | None = None
        checks = [0] * len(self.states)
        for bound, c, state in bounded:
            if best is not None and best.added_cost <= bound:
                break
            k = c.vehicle_index
            if checks[k] >= MAX_CHECKS_PER_VEHICLE:
                continue
            checks[k] += 1
            found = evaluate(self.snapshot, state, request, c, self.params)
            if found is not None and (best is None or found.added_cost < best.added_cost):
                best = found
        return best

    def apply(self, option: Option) -> int:
        k = option.vehicle_index
        self.sequences[self.vehicles[k].id] = option.visits
        self.states[k] = self._state(self.vehicles[k])
        return k


def insert_requests(
    snapshot: Snapshot,
    visits: Mapping[ShiftId, Sequence[Visit]],
    request_ids: Sequence[RequestId],
    params: ObjectiveParams | None = None,
    *,
    regret: int = 1,
    rng: random.Random | None = None,
) -> tuple[dict[ShiftId, tuple[Visit, ...]], list[RequestId]]:
    """Insert requests (greedy in the given order, or regret-k); return sequences and the rest."""
    params = params or ObjectiveParams()
    context = InsertionContext(snapshot, visits, params)
    pending = list(request_ids)
    if rng is not None:
        rng.shuffle(pending)
    unserved = _greedy(context, pending) if regret <= 1 else _regret(context, pending, regret)
    return dict(context.sequences), unserved


def _greedy(context: InsertionContext, pending: list[RequestId]) -> list[RequestId]:
    requests = context.snapshot.request_by_id
    unserved = []
    for rid in pending:
        option = context.best(requests[rid])
        if option is None:
            unserved.append(rid)
            continue
        context.apply(option)
    return unserved


def _regret(context: InsertionContext, pending: list[RequestId], regret: int) -> list[RequestId]:
    requests = context.snapshot.request_by_id
    n_veh = len(context.vehicles)
    best: dict[RequestId, list[Option | None]] = {
        rid: [context.best_on(k, requests[rid]) for k in range(n_veh)] for rid in pending
    }
    unserved: list[RequestId] = []
    while best:
        rid, choice = _pick(best, regret)
        del best[rid]
        if choice is None:
            unserved.append(rid)
            continue
        k = context.apply(choice)
        for other, options in best.items():
            options[k] = context.best_on(k, requests[other])
    return unserved


def _pick(
    best: dict[RequestId, list[Option | None]], regret: int
) -> tuple[RequestId, Option | None]:
    """The request that loses most by waiting (fewest options first, then regret)."""
    chosen: tuple[tuple[int, float, float], RequestId, Option | None] | None = None
    for rid, options in best.items():
        costs = sorted(ins.added_cost for ins in options if ins is not None)
        if not costs:
            return rid, None
        top = costs[:regret]
        score = sum(c - top[0] for c in top[1:])
        key = (len(costs) >= regret, -score, top[0])
        if chosen is None or key < chosen[0]:
            first = min((ins for ins in options if ins is not None), key=lambda ins: ins.added_cost)
            chosen = (key, rid, first)
    assert chosen is not None
    return chosen[1], chosen[2]


def initial_visits(snapshot: Snapshot) -> dict[ShiftId, tuple[Visit, ...]]:
    """Locked prefixes, then the drop-offs of riders on board and of locked pickups,
    each placed where it fits best."""
    result: dict[ShiftId, tuple[Visit, ...]] = {}
    for vehicle in snapshot.vehicles:
        seq = list(vehicle.locked)
        locked_pickups = [v.request_id for v in vehicle.locked if v.kind is StopKind.PICKUP]
        for rid in (*vehicle.on_board, *locked_pickups):
            visit = snapshot.request_by_id[rid].dropoff_visit
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


def _urgency(snapshot: Snapshot, r: Request) -> tuple[int, int]:
    """Latest time the pickup can start (given both windows), then the earliest."""
    direct = snapshot.travel_rows[r.pickup][r.dropoff]
    latest = min(r.pickup_window.end, r.dropoff_window.end - direct - r.pickup_service_s)
    return latest, r.pickup_window.start


def build_initial_plan(snapshot: Snapshot, params: ObjectiveParams | None = None) -> Plan:
    """Insertion from scratch: on-board riders, then promised requests, then new ones.

    Requests go in by urgency (latest possible pickup first): routes then grow in time
    order, which keeps tight instances feasible; what does not fit is retried with
    regret insertion.
    """
    params = params or ObjectiveParams()
    visits = initial_visits(snapshot)
    placed = {v.request_id for seq in visits.values() for v in seq}
    open_requests = [r for r in snapshot.requests if r.id not in placed and not r.on_board]
    for group in (
        [r for r in open_requests if r.promised],
        [r for r in open_requests if not r.promised],
    ):
        ordered = [r.id for r in sorted(group, key=lambda r: _urgency(snapshot, r))]
        visits, left = insert_requests(snapshot, visits, ordered, params)
        if left:
            visits, _ = insert_requests(snapshot, visits, left, params, regret=2)
    plan = make_plan(snapshot, visits, params)
    if isinstance(plan, Infeasibility):
        raise ValueError(f"initial plan cannot be timed: {plan.reason}")
    return plan
