"""Improve a plan within a time limit: insertion start, large-neighbourhood search,
then OR-Tools' guided local search from the best plan found.

Large-neighbourhood search removes a few requests (random ones, or ones related in
place and time) and inserts them again with regret insertion; a new plan is kept when
it is better, or, rarely, slightly worse (simulated-annealing acceptance) to escape
local optima. It handles ride-time limits exactly (through the schedule arithmetic),
which is where OR-Tools' own moves are weak; OR-Tools then polishes the result.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

from dispatch.model import Plan, RequestId, Snapshot, VehicleId, Visit
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.plan import make_plan
from dispatch.solver.repair import build_initial_plan, insert_requests
from dispatch.solver.schedule import Infeasibility


@dataclass(frozen=True, slots=True)
class ImproveParams:
    """Share of the time for LNS (the rest goes to OR-Tools) and LNS move sizes."""

    lns_share: float = 0.85
    min_remove: int = 2
    max_remove_share: float = 0.25
    max_remove: int = 30
    #: A plan this much worse (share of the cost) is accepted with probability 1/2 at first;
    #: the temperature falls to a hundredth of that by the end of the search.
    start_worsening: float = 0.01
    use_ortools: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.lns_share <= 1.0:
            raise ValueError("lns_share must be between 0 and 1")
        if not 1 <= self.min_remove <= self.max_remove:
            raise ValueError("need 1 <= min_remove <= max_remove")
        if not 0.0 < self.max_remove_share <= 1.0 or self.start_worsening < 0:
            raise ValueError("max_remove_share must be in (0, 1], start_worsening >= 0")


@dataclass
class SolveStats:
    initial_cost: float = 0.0
    lns_cost: float = 0.0
    final_cost: float = 0.0
    lns_iterations: int = 0
    ortools_build_s: float = 0.0
    ortools_solve_s: float = 0.0
    ortools_status: str = ""
    seconds: float = 0.0
    history: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SolveResult:
    plan: Plan
    stats: SolveStats


def solve(
    snapshot: Snapshot,
    params: ObjectiveParams | None = None,
    time_limit_s: float = 1.0,
    *,
    seed: int = 0,
    warm_start: Plan | None = None,
    improve: ImproveParams | None = None,
) -> SolveResult:
    """The best plan found within ``time_limit_s``; never worse than ``warm_start``."""
    params = params or ObjectiveParams()
    improve = improve or ImproveParams()
    started = time.perf_counter()
    deadline = started + time_limit_s
    stats = SolveStats()
    best = _start(snapshot, params, warm_start)
    stats.initial_cost = best.cost.total
    best = _lns(
        snapshot, params, best, started + improve.lns_share * time_limit_s, improve, seed, stats
    )
    stats.lns_cost = best.cost.total
    remaining = deadline - time.perf_counter()
    if improve.use_ortools and remaining > 0.2 and snapshot.requests:
        from dispatch.solver.ortools_backend import reoptimise

        result = reoptimise(snapshot, params, best, remaining)
        stats.ortools_build_s, stats.ortools_solve_s = result.build_s, result.solve_s
        stats.ortools_status = result.status
        if result.plan is not None and result.plan.cost.total < best.cost.total:
            best = result.plan
    stats.final_cost = best.cost.total
    stats.seconds = time.perf_counter() - started
    return SolveResult(best, stats)


def _start(snapshot: Snapshot, params: ObjectiveParams, warm_start: Plan | None) -> Plan:
    """The warm start completed with any request it leaves out, or insertion from scratch."""
    if warm_start is None:
        return build_initial_plan(snapshot, params)
    visits = {r.vehicle_id: r.visits for r in warm_start.routes}
    missing = [r for r in warm_start.unserved]
    if not missing:
        return warm_start
    completed, _ = insert_requests(snapshot, visits, missing, params, regret=2)
    plan = make_plan(snapshot, completed, params)
    if isinstance(plan, Infeasibility) or plan.cost.total >= warm_start.cost.total:
        return warm_start
    return plan


def _lns(
    snapshot: Snapshot,
    params: ObjectiveParams,
    start: Plan,
    until: float,
    improve: ImproveParams,
    seed: int,
    stats: SolveStats,
) -> Plan:
    rng = random.Random(seed)
    removable = _removable(snapshot)
    if len(removable) < 2:
        return start
    current = best = start
    t0 = time.perf_counter()
    span = max(1e-3, until - t0)
    hot = improve.start_worsening * max(1.0, start.cost.total) / math.log(2)
    while (now := time.perf_counter()) < until:
        temperature = hot * 0.01 ** ((now - t0) / span)
        stats.lns_iterations += 1
        candidate = _destroy_repair(snapshot, params, current, removable, improve, rng)
        if candidate is None:
            continue
        delta = candidate.cost.total - current.cost.total
        if delta < 0 or rng.random() < math.exp(-delta / max(1e-9, temperature)):
            current = candidate
            if current.cost.total < best.cost.total - 1e-9:
                best = current
                stats.history.append((time.perf_counter(), best.cost.total))
    return best


def _removable(snapshot: Snapshot) -> list[RequestId]:
    """Requests LNS may move: not on board and not in any vehicle's locked prefix."""
    locked = {v.request_id for vehicle in snapshot.vehicles for v in vehicle.locked}
    return [r.id for r in snapshot.requests if not r.on_board and r.id not in locked]


def _destroy_repair(
    snapshot: Snapshot,
    params: ObjectiveParams,
    plan: Plan,
    removable: list[RequestId],
    improve: ImproveParams,
    rng: random.Random,
) -> Plan | None:
    most = min(
        improve.max_remove,
        len(removable),
        max(improve.min_remove, round(improve.max_remove_share * len(removable))),
    )
    k = rng.randint(min(improve.min_remove, most), most)
    chosen = _choose(snapshot, plan, removable, k, rng)
    gone = set(chosen)
    visits: dict[VehicleId, list[Visit]] = {
        r.vehicle_id: [v for v in r.visits if v.request_id not in gone] for r in plan.routes
    }
    unserved_before = [rid for rid in plan.unserved if rid in set(removable)]
    order = chosen + unserved_before
    regret = 2 if rng.random() < 0.5 else 1
    repaired, _ = insert_requests(snapshot, visits, order, params, regret=regret, rng=rng)
    candidate = make_plan(snapshot, repaired, params)
    return None if isinstance(candidate, Infeasibility) else candidate


def _choose(
    snapshot: Snapshot, plan: Plan, removable: list[RequestId], k: int, rng: random.Random
) -> list[RequestId]:
    """Pick a removal operator: related (Shaw), random, or a whole route."""
    draw = rng.random()
    if draw < 0.5:
        return _related(snapshot, plan, removable, k, rng)
    if draw < 0.8:
        return rng.sample(removable, k)
    return _route_removal(plan, removable, k, rng)


def _route_removal(
    plan: Plan, removable: list[RequestId], k: int, rng: random.Random
) -> list[RequestId]:
    """All movable requests of one route (at most ``k``), so another route can absorb them."""
    allowed = set(removable)
    routes = [r for r in plan.routes if any(s.request_id in allowed for s in r.stops)]
    if not routes:
        return rng.sample(removable, k)
    route = rng.choice(routes)
    ids = list(dict.fromkeys(s.request_id for s in route.stops if s.request_id in allowed))
    return ids[:k] if len(ids) > k else ids


def _related(
    snapshot: Snapshot, plan: Plan, removable: list[RequestId], k: int, rng: random.Random
) -> list[RequestId]:
    """Shaw removal: a seed request and those closest to it in place and time."""
    requests = snapshot.request_by_id
    travel = snapshot.travel_rows
    starts = {s.request_id: s.start for r in plan.routes for s in r.stops}
    seed = requests[rng.choice(removable)]

    def relatedness(rid: RequestId) -> float:
        r = requests[rid]
        dist = travel[seed.pickup][r.pickup] + travel[seed.dropoff][r.dropoff]
        dt = abs(
            starts.get(rid, r.pickup_window.start) - starts.get(seed.id, seed.pickup_window.start)
        )
        return dist + 0.5 * dt + rng.random() * 60

    ranked = sorted(removable, key=relatedness)
    return ranked[:k]
