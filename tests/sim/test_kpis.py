"""KPI arithmetic on a tiny hand-made day whose answers are known."""

from __future__ import annotations

import pytest

from dispatch.sim.kpis import compute_kpis
from dispatch.sim.outcomes import Outcome, VehicleLog


def _served(
    rid: str, requested: int, pickup: int, dropoff: int, direct: int, vehicle: str
) -> Outcome:
    o = Outcome(
        rid, booked_at=0, requested_time=requested, arrive_by=False, passengers=1, wheelchairs=0
    )
    o.promised_pickup_start = requested + 60
    o.picked_up(pickup, vehicle)
    o.dropped_off(dropoff)
    o.direct_s = direct
    return o


def test_known_day() -> None:
    a = _served(
        "a", requested=0, pickup=300, dropoff=1500, direct=600, vehicle="v1"
    )  # wait 5, ride 20
    b = _served(
        "b", requested=600, pickup=1200, dropoff=2400, direct=1200, vehicle="v1"
    )  # wait 10, ride 20
    c = Outcome("c", 0, 0, False, 2, 0)
    c.reject("full")
    log = VehicleLog("v1", shift_start=0, shift_end=7200)
    log.distance_m, log.empty_m, log.passenger_m = 30_000, 6_000, 36_000
    kpis = compute_kpis([a, b, c], [log], solver_s=1.5)
    assert (kpis.requested, kpis.served, kpis.rejected, kpis.unfinished) == (3, 2, 1, 0)
    assert kpis.served_share == pytest.approx(2 / 3)
    assert kpis.wait_mean_min == pytest.approx(7.5)
    assert kpis.wait_max_min == pytest.approx(10)
    assert kpis.promised_wait_mean_min == pytest.approx(1.0)
    assert kpis.ride_mean_min == pytest.approx(20)
    assert kpis.detour_mean == pytest.approx((2.0 + 1.0) / 2)
    assert kpis.vehicle_km == pytest.approx(30) and kpis.empty_km == pytest.approx(6)
    assert kpis.occupancy == pytest.approx(1.2)
    assert kpis.pooling_rate == pytest.approx(1.0)  # a and b overlap between 1200 and 1500
    assert kpis.passengers_per_vehicle_hour == pytest.approx(1.0)  # 2 riders in a 2-hour shift
    assert kpis.solver_s == 1.5


def test_vehicle_log_counts_empty_and_passenger_distance() -> None:
    class Line:
        def one_to_many(self, source: int, targets: list[int]):  # type: ignore[no-untyped-def]
            import numpy as np

            d = np.array([abs(t - source) * 1000 for t in targets], dtype=np.int64)
            return d // 10, d

    log = VehicleLog("v", 0, 3600, node=0)
    log.drive_to(2, 100, Line())  # empty 2 km
    log.board(2)
    log.drive_to(5, 400, Line())  # 3 km with 2 riders
    log.alight(2)
    assert (log.distance_m, log.empty_m, log.passenger_m) == (5000, 2000, 6000)


def test_no_requests_gives_zeros() -> None:
    kpis = compute_kpis([], [])
    assert kpis.served_share == 0.0 and kpis.vehicle_km == 0.0
