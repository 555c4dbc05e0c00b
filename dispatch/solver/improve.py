"""Improve a plan within a time limit: insertion start, then rounds of large-neighbourhood
search, each followed by OR-Tools' guided local search from the best plan found.

Large-neighbourhood search removes a few requests (see :mod:`dispatch.solver.destroy`)
and inserts them again with greedy or regret insertion (:mod:`dispatch.solver.repair`);
a new plan is kept when it is better, or, with falling probability, slightly worse
(simulated annealing) to escape local optima. It handles ride-time limits exactly
(through the schedule arithmetic), where OR-Tools' own moves are weak; OR-Tools in
turn makes the small intra- and inter-route moves that reinsertion cannot, so the two
alternate. Measured on Cordeau's instances with 10 s: OR-Tools alone finds no solution
for a2-16 and a4-40 and is 1.6 % (a6-48) and 6.7 % (a8-80) above the best known; LNS
alone averages about 2.9 % on the four largest; LNS with OR-Tools rounds about 1.8 %
per run (one core), under 1 % mean over the eight with the best of two seeds.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

from dispatch.model import Plan, RequestId, ShiftId, Snapshot, Visit
from dispatch.solver.destroy import choose_removal
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.plan import make_plan, replan
from dispatch.solver.repair import build_initial_plan, insert_requests
from dispatch.solver.schedule import Infeasibility

#: OR-Tools is not started with less time than this (building the model alone takes some).
MIN_ORTOOLS_S = 0.2


@dataclass(frozen=True, slots=True)
class ImproveParams:
    """How the time is split and how large the LNS moves are.

    ``rounds`` LNS/OR-Tools alternations share the time; in each, LNS gets
    ``lns_share`` of it. ``max_iterations`` caps the LNS iterations and drives the
    annealing schedule by iteration count instead of the clock: with it and without
    OR-Tools, the result depends on the seed alone.
    """

    lns_share: float = 0.75
    rounds: int = 5
    min_remove: int = 2
    max_remove_share: float = 0.25
    max_remove: int = 30
    #: A plan this much worse (share of the cost) is accepted with probability 1/2 at first;
    #: the temperature falls to a hundredth of that by the end of the search.
    start_worsening: float = 0.02
    use_ortools: bool = True
    max_iterations: int | None = None
    #: With ``max_iterations``: OR-Tools stops after this many search steps (failed
    #: branches of its local search) instead of at a time limit, and is used only for
    #: models up to ``max_ortools_nodes`` routing nodes, so that the whole search depends
    #: on the input and the seed alone (the planner's replays).
    ortools_steps: int | None = None
    max_ortools_nodes: int = 600

    @property
    def deterministic(self) -> bool:
        """Bounded by counts, not by the clock: same input and seed, same plan."""
        if self.max_iterations is None:
            return False
        return not self.use_ortools or self.ortools_steps is not None

    def __post_init__(self) -> None:
        if not 0.0 <= self.lns_share <= 1.0 or self.rounds < 1:
            raise ValueError("lns_share must be between 0 and 1, rounds at least 1")
        if not 1 <= self.min_remove <= self.max_remove:
            raise ValueError("need 1 <= min_remove <= max_remove")
        if not 0.0 < self.max_remove_share <= 1.0 or self.start_worsening < 0:
            raise ValueError("max_remove_share must be in (0, 1], start_worsening >= 0")
        if self.max_iterations is not None and self.max_iterations < 0:
            raise ValueError("max_iterations must not be negative")
        if self.ortools_steps is not None and self.ortools_steps < 1:
            raise ValueError("ortools_steps must be at least 1")


@dataclass
class SolveStats:
    initial_cost: float = 0.0
    lns_cost: float = 0.0
    final_cost: float = 0.0
    lns_iterations: int = 0
    ortools_build_s: float = 0.0
    ortools_solve_s: float = 0.0
    ortools_status: str = ""
    ortools_gain: float = 0.0
    seconds: float = 0.0
    history: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SolveResult:
    plan: Plan
    stats: SolveStats


@dataclass
class _Annealing:
    """Progress of the search (0 to 1) by the clock, or by iterations when capped."""

    hot: float
    lns_s: float
    max_iterations: int | None
    spent_s: float = 0.0

    def temperature(self, iterations: int, round_s: float) -> float:
        if self.max_iterations:
            progress = iterations / self.max_iterations
        else:
            progress = (self.spent_s + round_s) / max(1e-3, self.lns_s)
        return float(self.hot * 0.01 ** min(1.0, progress))


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
    stats = SolveStats()
    best = _start(snapshot, params, warm_start)
    stats.initial_cost = best.cost.total
    rng = random.Random(seed)
    hot = improve.start_worsening * max(1.0, best.cost.total) / math.log(2)
    rounds = _rounds(improve, time_limit_s)
    ortools_s = (1 - improve.lns_share) * time_limit_s / rounds
    use_ortools = improve.use_ortools and _ortools_pays(snapshot, improve, ortools_s)
    lns_share = improve.lns_share if use_ortools else 1.0
    annealing = _Annealing(hot, lns_share * time_limit_s, improve.max_iterations)
    n_rounds = rounds if use_ortools else 1
    for k in range(n_rounds):
        round_end = started + time_limit_s * (k + 1) / n_rounds
        lns_until = round_end - (ortools_s if use_ortools else 0.0)
        budget = _iteration_budget(improve, k, n_rounds)
        best = _lns(snapshot, params, best, lns_until, budget, improve, rng, stats, annealing)
        stats.lns_cost = best.cost.total
        if use_ortools:
            best = _polish(snapshot, params, best, round_end, stats, improve.ortools_steps)
    stats.final_cost = best.cost.total
    stats.seconds = time.perf_counter() - started
    return SolveResult(best, stats)


def _rounds(improve: ImproveParams, time_limit_s: float) -> int:
    """Fewer rounds when time is short, so that each OR-Tools phase gets enough of it."""
    if not improve.use_ortools or improve.deterministic:
        return improve.rounds
    affordable = int((1 - improve.lns_share) * time_limit_s / (2 * MIN_ORTOOLS_S))
    return max(1, min(improve.rounds, affordable))


def _start(snapshot: Snapshot, params: ObjectiveParams, warm_start: Plan | None) -> Plan:
    """The warm start completed with any request it leaves out, or insertion from scratch."""
    if warm_start is None:
        return build_initial_plan(snapshot, params)
    visits = {r.vehicle_id: r.visits for r in warm_start.routes}
    missing = list(warm_start.unserved)
    if not missing:
        return warm_start
    completed, _ = insert_requests(snapshot, visits, missing, params, regret=2)
    plan = make_plan(snapshot, completed, params)
    if isinstance(plan, Infeasibility) or plan.cost.total >= warm_start.cost.total:
        return warm_start
    return plan


def _iteration_budget(improve: ImproveParams, k: int, rounds: int) -> int | None:
    """LNS iterations allowed by the end of round ``k`` (shared evenly by the rounds)."""
    if improve.max_iterations is None:
        return None
    return -(-improve.max_iterations * (k + 1) // rounds)


def _ortools_pays(snapshot: Snapshot, improve: ImproveParams, ortools_s: float) -> bool:
    """Whether OR-Tools can do anything within its share (by size, when deterministic)."""
    if improve.deterministic:
        return 2 * len(snapshot.requests) + 2 * len(snapshot.vehicles) <= improve.max_ortools_nodes
    # A model too large to build in half of OR-Tools' time would only overrun: the large
    # neighbourhood search gets all the time instead.
    return _build_estimate_s(snapshot) <= 0.5 * ortools_s


def _polish(
    snapshot: Snapshot,
    params: ObjectiveParams,
    best: Plan,
    until: float,
    stats: SolveStats,
    steps: int | None = None,
) -> Plan:
    """OR-Tools' guided local search from ``best`` until ``until`` (never worse).

    With ``steps``, OR-Tools stops after that many search steps (``until`` only guards
    against a runaway search), so that the result does not depend on the machine.
    """
    remaining = until - time.perf_counter()
    if not snapshot.requests or (steps is None and remaining < MIN_ORTOOLS_S):
        return best
    from dispatch.solver.ortools_backend import reoptimise  # OR-Tools only when used

    result = reoptimise(snapshot, params, best, max(remaining, MIN_ORTOOLS_S), steps)
    stats.ortools_build_s += result.build_s
    stats.ortools_solve_s += result.solve_s
    stats.ortools_status = result.status
    if result.plan is None or result.plan.cost.total >= best.cost.total:
        return best
    stats.ortools_gain += best.cost.total - result.plan.cost.total
    stats.history.append((time.perf_counter(), result.plan.cost.total))
    return result.plan


#: Seconds to build the OR-Tools model per squared node count (its arc callbacks),
#: measured on the CI machine: 30 buses with 200 requests 0.08 s, with 900 about 0.9 s.
BUILD_S_PER_NODE_PAIR = 3e-7


def _build_estimate_s(snapshot: Snapshot) -> float:
    nodes = 2 * len(snapshot.requests) + 2 * len(snapshot.vehicles)
    return BUILD_S_PER_NODE_PAIR * nodes * nodes


def _lns(
    snapshot: Snapshot,
    params: ObjectiveParams,
    start: Plan,
    until: float,
    budget: int | None,
    improve: ImproveParams,
    rng: random.Random,
    stats: SolveStats,
    annealing: _Annealing,
) -> Plan:
    removable = _removable(snapshot)
    if len(removable) < 2:
        return start
    current = best = start
    t0 = time.perf_counter()
    while (now := time.perf_counter()) < until and (
        budget is None or stats.lns_iterations < budget
    ):
        temperature = annealing.temperature(stats.lns_iterations, now - t0)
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
    annealing.spent_s += time.perf_counter() - t0
    return best


def _removable(snapshot: Snapshot) -> list[RequestId]:
    """Requests LNS may move: not on board and not in any vehicle's locked prefix."""
    locked = {v.request_id for vehicle in snapshot.vehicles for v in vehicle.locked}
    return [r.id for r in snapshot.requests if not r.on_board and r.id not in locked]


def _removal_size(improve: ImproveParams, n: int, rng: random.Random) -> int:
    most = min(improve.max_remove, n, max(improve.min_remove, round(improve.max_remove_share * n)))
    return rng.randint(min(improve.min_remove, most), most)


def _destroy_repair(
    snapshot: Snapshot,
    params: ObjectiveParams,
    plan: Plan,
    removable: list[RequestId],
    improve: ImproveParams,
    rng: random.Random,
) -> Plan | None:
    k = _removal_size(improve, len(removable), rng)
    chosen = choose_removal(snapshot, plan, removable, k, rng)
    gone = set(chosen)
    visits: dict[ShiftId, list[Visit]] = {
        r.vehicle_id: [v for v in r.visits if v.request_id not in gone] for r in plan.routes
    }
    allowed = set(removable)
    order = chosen + [rid for rid in plan.unserved if rid in allowed]
    regret = 2 if rng.random() < 0.5 else 1
    repaired, _ = insert_requests(snapshot, visits, order, params, regret=regret, rng=rng)
    candidate = replan(snapshot, plan, repaired, params)
    return None if isinstance(candidate, Infeasibility) else candidate


def warm_up() -> str:
    """Load the OR-Tools backend and solve a tiny model (a solver process does this before
    it reports ready, so that no real solve pays for the import); the solver's status."""
    from dispatch.solver.ortools_backend import warm_up as solve_tiny_model

    return solve_tiny_model()
