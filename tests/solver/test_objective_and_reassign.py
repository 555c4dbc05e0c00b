"""The objective's weights change choices as expected; moving bookings to make room
keeps every plan valid (checked by validate_plan, never by exact costs)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.model import (
    Request,
    RequestId,
    Snapshot,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleId,
    Visit,
)
from dispatch.solver.insertion import feasible_insertions
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.plan import make_plan
from dispatch.solver.reassign import insert_with_reassignment
from dispatch.solver.schedule import Infeasibility
from dispatch.solver.validate import validate_plan
from tests.solver.builders import NOW, random_case

# Locations: 0 = v1's depot, 1 = the rider's pickup (v2 stands there), 2 = the drop-off.
TRAVEL = np.array([[0, 120, 180], [120, 0, 60], [180, 60, 0]], dtype=np.int64)


def _two_buses() -> tuple[Snapshot, Request]:
    """Bus v1 is 2 minutes from the rider; bus v2 stands at the pickup but is free only in
    5 minutes. v2 drives less; v1 makes the rider wait less."""
    v1 = Vehicle(VehicleId("v1"), (4, 0), 0, NOW, 0, NOW + 3600)
    v2 = Vehicle(VehicleId("v2"), (4, 0), 1, NOW + 300, 1, NOW + 3600)
    rider = Request(
        RequestId("r"),
        1,
        2,
        (1, 0),
        pickup_window=TimeWindow(NOW, NOW + 900),
        desired_pickup=NOW,
    )
    return Snapshot(NOW, (v1, v2), (rider,), TRAVEL), rider


def test_driving_alone_picks_the_bus_that_drives_less() -> None:
    snapshot, rider = _two_buses()
    params = ObjectiveParams(wait_weight=0.0, excess_ride_weight=0.0)
    (best,) = feasible_insertions(snapshot, {}, rider, params, limit=1)
    assert best.vehicle_id == "v2" and best.pickup_start == NOW + 300


def test_a_weight_on_waiting_picks_the_bus_that_comes_sooner() -> None:
    snapshot, rider = _two_buses()
    params = ObjectiveParams(wait_weight=2.0, excess_ride_weight=0.0)
    (best,) = feasible_insertions(snapshot, {}, rider, params, limit=1)
    assert best.vehicle_id == "v1" and best.pickup_start == NOW + 120


def test_the_plan_cost_counts_the_wait_beyond_the_time_asked_for() -> None:
    snapshot, _ = _two_buses()
    visits = {
        VehicleId("v2"): (
            Visit(RequestId("r"), StopKind.PICKUP),
            Visit(RequestId("r"), StopKind.DROPOFF),
        )
    }
    lazy = make_plan(snapshot, visits, ObjectiveParams(wait_weight=0.0, excess_ride_weight=0.0))
    eager = make_plan(snapshot, visits, ObjectiveParams(wait_weight=0.5, excess_ride_weight=0.0))
    assert not isinstance(lazy, Infeasibility) and not isinstance(eager, Infeasibility)
    assert eager.cost.wait_s == 300
    assert eager.cost.total - lazy.cost.total == 0.5 * 300


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(seed=st.integers(0, 10_000), vehicles=st.integers(1, 3))
def test_moving_bookings_to_make_room_keeps_every_plan_valid(seed: int, vehicles: int) -> None:
    """Whenever a new request is served by moving bookings, the resulting plan serves every
    booking within its promise (validate_plan), and the request is on the named bus."""
    snapshot, plan = random_case(seed, vehicles=vehicles, promised=5, new=2)
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    promised = {r.id for r in snapshot.requests if r.promised}
    served = {s.request_id for r in plan.routes for s in r.stops}
    for request in snapshot.requests:
        if request.id in promised or request.id in served:
            continue
        found = insert_with_reassignment(snapshot, visits, request, ObjectiveParams())
        if found is None:
            continue
        after = {**visits, **found.sequences}
        new_plan = make_plan(snapshot, after, ObjectiveParams())
        assert not isinstance(new_plan, Infeasibility)
        assert validate_plan(snapshot, new_plan) == []
        carrier = new_plan.route_of(found.vehicle_id)
        assert any(s.request_id == request.id for s in carrier.stops)
        assert promised <= {s.request_id for r in new_plan.routes for s in r.stops}


def test_moving_bookings_serves_requests_that_plain_insertion_cannot() -> None:
    """Over fixed random cases: some requests with no insertion are served by moving
    bookings, each in a valid plan."""
    made_room = 0
    for seed in range(40):
        for vehicles in (1, 2, 3):
            snapshot, plan = random_case(seed, vehicles=vehicles, promised=5, new=2)
            visits = {r.vehicle_id: r.visits for r in plan.routes}
            served = {s.request_id for r in plan.routes for s in r.stops}
            for request in snapshot.requests:
                if request.promised or request.id in served:
                    continue
                if feasible_insertions(snapshot, visits, request, ObjectiveParams(), limit=1):
                    continue
                found = insert_with_reassignment(snapshot, visits, request, ObjectiveParams())
                if found is None:
                    continue
                made_room += 1
                assert found.moved
                new_plan = make_plan(snapshot, {**visits, **found.sequences}, ObjectiveParams())
                assert not isinstance(new_plan, Infeasibility)
                assert validate_plan(snapshot, new_plan) == []
    assert made_room >= 1
