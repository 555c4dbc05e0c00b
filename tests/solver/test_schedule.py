"""Schedule arithmetic: the least feasible start times of one vehicle's visits."""

from __future__ import annotations

import numpy as np

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
from dispatch.solver.schedule import Infeasibility, build_route, compute_schedule, loads_after

# A line of locations 0..3, 100 s apart.
T = np.array([[abs(a - b) * 100 for b in range(4)] for a in range(4)], dtype=np.int64)
P, D = StopKind.PICKUP, StopKind.DROPOFF


def _case(request: Request, vehicle: Vehicle | None = None) -> tuple[Snapshot, Vehicle]:
    vehicle = vehicle or Vehicle(VehicleId("v"), (2, 1), 0, 0, 0, 10_000)
    return Snapshot(0, (vehicle,), (request,), T), vehicle


def _visits(rid: str) -> list[Visit]:
    return [Visit(RequestId(rid), P), Visit(RequestId(rid), D)]


def test_vehicle_waits_for_the_window() -> None:
    r = Request(
        RequestId("a"), 1, 3, (1, 0), pickup_window=TimeWindow(500, 600), pickup_service_s=10
    )
    snap, v = _case(r)
    s = compute_schedule(snap, v, _visits("a"))
    assert not isinstance(s, Infeasibility)
    assert s.arrival == (100, 710) and s.start == (500, 710)
    assert s.end_arrival == 710 + 300 and s.drive_s == 600


def test_ride_limit_delays_the_pickup_instead_of_the_rider_waiting_on_board() -> None:
    r = Request(
        RequestId("a"),
        1,
        2,
        (1, 0),
        dropoff_window=TimeWindow(1000, 1100),
        max_ride_s=150,
        pickup_service_s=10,
    )
    snap, v = _case(r)
    s = compute_schedule(snap, v, _visits("a"))
    assert not isinstance(s, Infeasibility)
    assert s.start == (840, 1000)  # picked up as late as the 150 s ride limit allows
    assert s.start[1] - (s.start[0] + 10) == 150


def test_ride_limit_that_cannot_be_met() -> None:
    r = Request(RequestId("a"), 1, 3, (1, 0), max_ride_s=150)
    snap, v = _case(r)
    assert isinstance(compute_schedule(snap, v, _visits("a")), Infeasibility)


def test_route_duration_delays_the_departure() -> None:
    r = Request(RequestId("a"), 1, 2, (1, 0), pickup_window=TimeWindow(1000, 1000))
    vehicle = Vehicle(VehicleId("v"), (2, 1), 0, 0, 0, 10_000, max_duration_s=500)
    snap, v = _case(r, vehicle)
    s = compute_schedule(snap, v, _visits("a"))
    assert not isinstance(s, Infeasibility)
    assert s.departure == 800 and s.end_arrival - s.departure == 500


def test_shift_end_and_windows_are_hard() -> None:
    r = Request(RequestId("a"), 1, 3, (1, 0))
    snap, v = _case(r, Vehicle(VehicleId("v"), (2, 1), 0, 0, 0, 500))
    assert isinstance(compute_schedule(snap, v, _visits("a")), Infeasibility)
    late = Request(RequestId("a"), 3, 1, (1, 0), pickup_window=TimeWindow(0, 200))
    snap, v = _case(late)
    result = compute_schedule(snap, v, _visits("a"))
    assert isinstance(result, Infeasibility) and result.position == 0


def test_capacity_in_every_dimension() -> None:
    r = Request(RequestId("a"), 1, 2, (0, 2))  # two wheelchairs, one place
    snap, v = _case(r)
    assert isinstance(loads_after(snap, v, _visits("a")), Infeasibility)
    assert isinstance(build_route(snap, v, _visits("a")), Infeasibility)


def test_on_board_rider_drop_off_limit_and_initial_load() -> None:
    r = Request(RequestId("a"), 1, 3, (2, 0), max_ride_s=250, boarded_at=0, pickup_service_s=10)
    vehicle = Vehicle(VehicleId("v"), (2, 1), 1, 0, 0, 10_000, on_board=(RequestId("a"),))
    snap, v = _case(r, vehicle)
    route = build_route(snap, v, [Visit(RequestId("a"), D)])
    assert not isinstance(route, Infeasibility)
    assert route.stops[0].start == 200 and route.stops[0].load_after == (0, 0)
    tight = Request(RequestId("a"), 1, 3, (2, 0), max_ride_s=150, boarded_at=0, pickup_service_s=10)
    snap, v = _case(tight, vehicle)
    assert isinstance(build_route(snap, v, [Visit(RequestId("a"), D)]), Infeasibility)


def test_drop_off_before_pickup_is_refused() -> None:
    r = Request(RequestId("a"), 1, 2, (1, 0))
    snap, v = _case(r)
    assert isinstance(compute_schedule(snap, v, list(reversed(_visits("a")))), Infeasibility)
