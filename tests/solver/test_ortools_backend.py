"""OR-Tools re-optimisation on random live snapshots (riders on board, locked next stops,
promised and new requests): the result always validates, keeps every promise, leaves
riders on their vehicle, and is never worse than the plan it started from."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.model import Plan, Snapshot
from dispatch.solver.ortools_backend import reoptimise
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.validate import validate_plan
from tests.solver.builders import random_case

KNOWN_STATUSES = {
    "not_solved",
    "success",
    "partial_success_local_optimum_not_reached",
    "fail",
    "fail_timeout",
    "invalid",
    "infeasible",
    "optimal",
}


def _keeps_promises(snapshot: Snapshot, plan: Plan) -> None:
    assert validate_plan(snapshot, plan) == []
    served = {s.request_id for r in plan.routes for s in r.stops}
    assert {r.id for r in snapshot.requests if r.promised} <= served
    for vehicle, route in zip(snapshot.vehicles, plan.routes, strict=True):
        assert set(vehicle.on_board) <= {s.request_id for s in route.stops}
        assert route.visits[: len(vehicle.locked)] == vehicle.locked


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_never_worse_than_its_warm_start(seed: int) -> None:
    snapshot, known = random_case(seed, vehicles=3, promised=5, new=2, on_board=2)
    result = reoptimise(snapshot, ObjectiveParams(), known, 0.3)
    assert result.plan is not None
    _keeps_promises(snapshot, result.plan)
    assert result.plan.cost.total <= known.cost.total
    assert result.status in KNOWN_STATUSES


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_without_warm_start_any_plan_found_is_valid(seed: int) -> None:
    snapshot, _ = random_case(seed, vehicles=2, promised=4, new=3, on_board=1)
    result = reoptimise(snapshot, ObjectiveParams(), None, 0.3)
    if result.plan is not None:
        _keeps_promises(snapshot, result.plan)
    assert result.build_s >= 0 and result.solve_s >= 0


def test_new_requests_left_out_by_the_warm_start_may_be_added() -> None:
    snapshot, known = random_case(7, vehicles=3, promised=3, new=4, on_board=1)
    assert known.unserved  # the builder leaves every new request out
    result = reoptimise(snapshot, ObjectiveParams(), known, 0.5)
    assert result.plan is not None
    _keeps_promises(snapshot, result.plan)
    assert result.plan.cost.total <= known.cost.total


def test_a_rejected_warm_start_is_returned_unchanged_when_nothing_better() -> None:
    """With an impossible promise OR-Tools finds nothing; the caller keeps its plan."""
    snapshot, known = random_case(5, vehicles=2, promised=3, new=0, on_board=1)
    victim = next(r for r in snapshot.requests if r.promised and not r.on_board)
    impossible = replace(victim, max_ride_s=0, pickup_service_s=0)
    broken = replace(
        snapshot,
        requests=tuple(impossible if r.id == victim.id else r for r in snapshot.requests),
    )
    result = reoptimise(broken, ObjectiveParams(), known, 0.2)
    assert result.plan is known


def test_nobody_rides_through_a_break_in_the_ortools_plan() -> None:
    """One bus, a short break at its depot and riders whose direct way passes the depot."""
    import numpy as np

    from dispatch.model import Request, RequestId, TimeWindow, Vehicle, VehicleId, Visit
    from dispatch.model import StopKind as K
    from dispatch.solver.plan import make_plan

    # Locations on a line: 0 depot, 1 west of it, 2 east of it (60 s per step).
    pos = [0, -1, 1, -2, 2]
    travel = np.array([[60 * abs(a - b) for b in pos] for a in pos], dtype=np.int64)
    pause = Request(
        RequestId("break-0@bus"), 0, 0, (0, 0),
        dropoff_window=TimeWindow(1000, 1000), dropoff_service_s=600,
        promised=True, boarded_at=0, exclusive=True, is_break=True,
    )  # fmt: skip
    riders = [
        Request(RequestId(f"r{k}"), a, b, (1, 0), pickup_window=TimeWindow(900, 2500))
        for k, (a, b) in enumerate(((1, 2), (3, 4), (2, 1)))
    ]
    bus = Vehicle(VehicleId("bus"), (4, 1), 0, 0, 0, 10_000, on_board=(pause.id,))
    snapshot = Snapshot(0, (bus,), (pause, *riders), travel, travel)
    start = make_plan(snapshot, {bus.id: (Visit(pause.id, K.BREAK),)}, ObjectiveParams())
    assert isinstance(start, Plan)
    result = reoptimise(snapshot, ObjectiveParams(), start, 2.0)
    assert result.plan is not None
    assert validate_plan(snapshot, result.plan) == []
    assert len(result.plan.unserved) < len(riders)  # OR-Tools' own plan, not the warm start
    (brk,) = [s for s in result.plan.routes[0].stops if s.request_id == pause.id]
    assert brk.kind is K.BREAK
