"""The shared vocabulary of dispatch.model: shift ids, the ride-time helpers, break stops."""

from __future__ import annotations

from datetime import date

from dispatch.model import (
    NO_LIMIT_S,
    Request,
    RequestId,
    ShiftId,
    StopKind,
    VehicleId,
    Visit,
    boarded_dropoff_deadline,
    latest_dropoff_start,
    ride_limit_s,
    ride_limited,
    ride_s,
    shift_id,
    vehicle_of,
)


def test_a_shift_is_a_vehicles_day_and_names_its_vehicle() -> None:
    shift = shift_id(VehicleId("bus-1"), date(2026, 11, 25))
    assert shift == "bus-1@2026-11-25"
    assert shift_id("bus-1", "2026-11-25") == shift
    assert vehicle_of(shift) == "bus-1"


def test_a_shift_id_without_a_day_is_the_vehicle_itself() -> None:
    assert vehicle_of(ShiftId("bus1")) == "bus1"  # as the engine's tests name their buses


def _ride(max_ride_s: int = 900, boarded_at: int | None = None) -> Request:
    return Request(
        RequestId("r"),
        1,
        2,
        (1, 0),
        max_ride_s=max_ride_s,
        pickup_service_s=60,
        boarded_at=boarded_at,
    )


def test_ride_time_counts_from_leaving_the_pickup_to_reaching_the_drop_off() -> None:
    request = _ride()
    assert ride_s(request, 1000, 1960) == 900  # boarding 60 s, then 900 s on the road
    assert ride_limit_s(request) == 960
    assert latest_dropoff_start(request, 1000) == 1960
    assert ride_s(request, 1000, latest_dropoff_start(request, 1000)) == request.max_ride_s


def test_a_rider_on_board_must_be_dropped_by_the_ride_limit_and_others_have_none() -> None:
    assert boarded_dropoff_deadline(_ride(boarded_at=5000)) == 5000 + 60 + 900
    assert boarded_dropoff_deadline(_ride()) == NO_LIMIT_S  # not on board
    unlimited = _ride(max_ride_s=NO_LIMIT_S, boarded_at=5000)
    assert not ride_limited(unlimited) and boarded_dropoff_deadline(unlimited) == NO_LIMIT_S


def test_a_break_is_its_own_stop_kind() -> None:
    brk = Request(RequestId("break-0@bus-1@2026-11-25"), 0, 0, (0, 0), boarded_at=0, is_break=True)
    assert brk.visits == (Visit(brk.id, StopKind.BREAK),)
    rider = _ride()
    assert rider.visits == (Visit(rider.id, StopKind.PICKUP), Visit(rider.id, StopKind.DROPOFF))
    assert _ride(boarded_at=10).visits == (Visit(rider.id, StopKind.DROPOFF),)
