"""The repair's candidate scan skips no feasible insertion: brute force over every
position pair finds the same cheapest one."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.model import Plan, Request, Snapshot, StopKind, Vehicle, Visit
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.plan import route_arc_cost
from dispatch.solver.repair_moves import candidates, evaluate
from dispatch.solver.route_state import RouteState, route_state, try_insert
from dispatch.solver.schedule import Infeasibility, build_route, compute_schedule
from tests.solver.builders import random_case

PARAMS = ObjectiveParams(excess_ride_weight=0.0)


def _brute_force(
    snapshot: Snapshot, vehicle: Vehicle, seq: tuple[Visit, ...], request: Request
) -> float | None:
    base = build_route(snapshot, vehicle, seq)
    assert not isinstance(base, Infeasibility)
    best: float | None = None
    pick, drop = Visit(request.id, StopKind.PICKUP), Visit(request.id, StopKind.DROPOFF)
    for i in range(len(vehicle.locked), len(seq) + 1):
        for j in range(i, len(seq) + 1):
            new = (*seq[:i], pick, *seq[i:j], drop, *seq[j:])
            route = build_route(snapshot, vehicle, new)
            if isinstance(route, Infeasibility):
                continue
            added = route_arc_cost(snapshot, route) - route_arc_cost(snapshot, base)
            best = added if best is None else min(best, added)
    return best


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_scan_finds_the_cheapest_feasible_insertion(seed: int) -> None:
    snapshot, plan = random_case(seed, vehicles=2, promised=5, new=3, on_board=1)
    for request in (snapshot.request_by_id[rid] for rid in plan.unserved):
        for k, (vehicle, route) in enumerate(zip(snapshot.vehicles, plan.routes, strict=True)):
            state = route_state(snapshot, vehicle, route.visits, PARAMS)
            assert state is not None
            found = [
                option.added_cost
                for c in candidates(snapshot, k, state, request)
                if (option := evaluate(snapshot, state, request, c, PARAMS)) is not None
            ]
            expected = _brute_force(snapshot, vehicle, route.visits, request)
            assert (min(found) if found else None) == expected


def _reinsertions(snapshot: Snapshot, plan: Plan) -> Iterator[tuple[RouteState, Request, int, int]]:
    """Every position pair of every open request, and of every served one taken out of
    its route (so that some pairs are feasible: at least where it was)."""
    requests = snapshot.request_by_id
    for vehicle, route in zip(snapshot.vehicles, plan.routes, strict=True):
        locked = {v.request_id for v in vehicle.locked} | set(vehicle.on_board)
        served = [rid for rid in dict.fromkeys(v.request_id for v in route.visits)]
        cases = [(route.visits, [requests[u] for u in plan.unserved])]
        cases += [
            (tuple(v for v in route.visits if v.request_id != rid), [requests[rid]])
            for rid in served
            if rid not in locked
        ]
        for rest, movers in cases:
            state = route_state(snapshot, vehicle, rest, PARAMS)
            if state is None:
                continue
            for request in movers:
                for i in range(len(vehicle.locked), len(rest) + 1):
                    for j in range(i, len(rest) + 1):
                        yield state, request, i, j


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_warm_schedule_is_the_least_schedule_on_metric_travel_times(seed: int) -> None:
    """Started from the route's current schedule, the check finds the very schedule (and
    the same verdict) that the check from scratch finds, at every insertion position."""
    snapshot, plan = random_case(seed, vehicles=2, promised=5, new=3, on_board=1)
    feasible = 0
    for state, request, i, j in _reinsertions(snapshot, plan):
        cold = try_insert(snapshot, state, request, i, j, PARAMS)
        warm = try_insert(snapshot, state, request, i, j, PARAMS, warm=True)
        assert (cold is None) == (warm is None)
        if cold is not None and warm is not None:
            assert warm[0] == cold[0] and warm[1] == cold[1] and warm[2] == cold[2]
            feasible += 1
    assert feasible > 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), noise=st.integers(1, 120))
def test_warm_schedule_never_accepts_what_is_infeasible(seed: int, noise: int) -> None:
    """With travel times that break the triangle inequality the warm start may miss a
    feasible insertion, but whatever it accepts can be timed from scratch, and its
    schedule keeps every window (capacity is checked before, arc by arc)."""
    snapshot, plan = random_case(seed, vehicles=2, promised=5, new=3, on_board=1)
    rng = random.Random(seed)
    travel = snapshot.travel_s.copy()
    n = len(travel)
    for a, b in rng.sample([(a, b) for a in range(n) for b in range(n)], 30):
        travel[a, b] = max(0, int(travel[a, b]) - noise)
    shaken = replace(snapshot, travel_s=travel)
    for state, request, i, j in _reinsertions(shaken, plan):
        warm = try_insert(shaken, state, request, i, j, PARAMS, warm=True)
        if warm is not None:
            cold = compute_schedule(shaken, state.vehicle, warm[0])
            assert not isinstance(cold, Infeasibility)
            assert all(a >= b for a, b in zip(warm[1].start, cold.start, strict=True))
