"""KPI arithmetic on a tiny hand-made day whose answers are known."""

from __future__ import annotations

import pytest

from dispatch.sim.kpis import compute_kpis
from dispatch.sim.outcomes import Outcome, VehicleLog
from dispatch.sim.vehicles import StopRecord


def _served(
    rid: str, requested: int, pickup: int, dropoff: int, direct: int, vehicle: str
) -> Outcome:
    """Boarding takes 60 s, alighting 45 s."""
    o = Outcome(
        rid, booked_at=0, requested_time=requested, arrive_by=False, passengers=1, wheelchairs=0
    )
    o.promised_pickup_start = requested + 60
    o.picked_up(StopRecord(vehicle, rid, "pickup", 1, pickup, pickup, pickup + 60))
    o.dropped_off(StopRecord(vehicle, rid, "dropoff", 2, dropoff, dropoff, dropoff + 45))
    o.direct_s = direct
    return o


def test_known_day() -> None:
    # a: wait 5 min, ride 20 min incl. 1 min boarding: 19 min on board for 10 min direct
    a = _served("a", requested=0, pickup=300, dropoff=1500, direct=600, vehicle="v1")
    # b: wait 10 min, ride 20 min: 19 min on board for 19 min direct
    b = _served("b", requested=600, pickup=1200, dropoff=2400, direct=1140, vehicle="v1")
    c = Outcome("c", 0, 0, False, 2, 0)
    c.reject("full")
    log = VehicleLog("v1", shift_start=0, shift_end=7200)
    log.distance_m, log.empty_m, log.passenger_m, log.return_m = 30_000, 6_000, 36_000, 4_000
    kpis = compute_kpis([a, b, c], [log], solver_s=1.5)
    assert (kpis.requested, kpis.served, kpis.rejected, kpis.unfinished) == (3, 2, 1, 0)
    assert kpis.served_share == pytest.approx(2 / 3)
    assert kpis.wait_mean_min == pytest.approx(7.5)
    assert kpis.wait_median_min == pytest.approx(10)
    assert kpis.wait_max_min == pytest.approx(10)
    assert kpis.promised_wait_mean_min == pytest.approx(1.0)
    assert kpis.ride_mean_min == pytest.approx(20)
    assert kpis.detour_mean == pytest.approx((1.9 + 1.0) / 2)
    assert kpis.detour_max == pytest.approx(1.9)
    assert kpis.vehicle_km == pytest.approx(30) and kpis.empty_km == pytest.approx(6)
    assert kpis.vehicle_km_no_return == pytest.approx(26)
    assert kpis.passenger_km == pytest.approx(36)
    assert kpis.occupancy == pytest.approx(1.2)
    assert kpis.pooling_rate == pytest.approx(1.0)  # a and b are on board between 1260 and 1500
    assert kpis.vehicle_hours == pytest.approx(2.0)
    assert kpis.passengers_per_vehicle_hour == pytest.approx(1.0)  # 2 riders in a 2-hour shift
    assert kpis.solver_s == 1.5


def test_riders_who_never_met_are_not_pooled() -> None:
    a = _served("a", requested=0, pickup=300, dropoff=900, direct=500, vehicle="v1")
    b = _served("b", requested=0, pickup=1000, dropoff=1600, direct=500, vehicle="v1")
    kpis = compute_kpis([a, b], [VehicleLog("v1", 0, 3600)])
    assert kpis.pooling_rate == 0.0


def test_a_booked_rider_not_yet_dropped_off_is_unfinished() -> None:
    o = Outcome("a", 0, 0, False, 1, 0)
    o.status = "booked"
    kpis = compute_kpis([o], [])
    assert (kpis.served, kpis.unfinished) == (0, 1)


def test_no_requests_gives_zeros() -> None:
    kpis = compute_kpis([], [])
    assert kpis.served_share == 0.0 and kpis.vehicle_km == 0.0
