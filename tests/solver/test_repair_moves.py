"""The repair's candidate scan skips no feasible insertion: brute force over every
position pair finds the same cheapest one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.model import Request, Snapshot, StopKind, Vehicle, Visit
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.plan import route_arc_cost
from dispatch.solver.repair_moves import candidates, evaluate
from dispatch.solver.route_state import route_state
from dispatch.solver.schedule import Infeasibility, build_route
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
