"""What a driver's stop events do to the live state (arrived, boarded, ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dispatch.engine.events import (
    Command,
    EventRefused,
    StopEventKind,
    StopEventReported,
    TripStatusChanged,
)
from dispatch.engine.state import Trip, VehicleState
from dispatch.model import BookingStatus, StopKind

if TYPE_CHECKING:
    from dispatch.engine.live import LiveState


@dataclass
class Outcome:
    """Commands to emit and, when its visits changed, the vehicle to re-time."""

    commands: list[Command] = field(default_factory=list)
    vehicle: VehicleState | None = None


def apply_stop_event(engine: LiveState, event: StopEventReported, now: int) -> Outcome:
    vehicle = engine.vehicles.get(event.vehicle_id)
    trip = engine.trips.get(event.booking_id)
    if vehicle is None or trip is None:
        return _refuse(event, "unknown vehicle or booking")
    if trip.vehicle_id != vehicle.vehicle_id:
        return _refuse(event, "this booking is not on this vehicle's plan")
    if trip.is_break:
        return _break_event(engine, vehicle, trip, event, now)
    handler = _HANDLERS[event.event]
    return handler(engine, vehicle, trip, event, now)


def _break_event(
    engine: LiveState, vehicle: VehicleState, trip: Trip, ev: StopEventReported, now: int
) -> Outcome:
    """A planned break: arrived (at the depot, break begins), departed (break is over)."""
    if trip.status is not BookingStatus.ON_BOARD:
        return _refuse(ev, "this break is over already")
    if ev.event is StopEventKind.ARRIVED:
        return _arrived(engine, vehicle, trip, ev, now)
    if ev.event in (StopEventKind.DEPARTED, StopEventKind.ALIGHTED):
        trip.status = BookingStatus.COMPLETED
        _drop_visit(vehicle, trip, StopKind.BREAK)
        _move(engine, vehicle, trip.spec.dropoff_node, ev.at, now)
        vehicle.at_stop = False
        return Outcome([], vehicle)
    return _refuse(ev, f"{ev.event.value} does not apply to a break")


def _refuse(event: StopEventReported, reason: str) -> Outcome:
    return Outcome([EventRefused(event.vehicle_id, event.booking_id, reason)])


def _arrived(
    engine: LiveState, vehicle: VehicleState, trip: Trip, ev: StopEventReported, now: int
) -> Outcome:
    kind = trip.dropoff_kind if trip.status is BookingStatus.ON_BOARD else StopKind.PICKUP
    visit = next(
        (v for v in vehicle.visits if v.request_id == trip.booking_id and v.kind is kind), None
    )
    if visit is None:
        return _refuse(ev, "no such stop on this vehicle's plan")
    vehicle.visits.remove(visit)
    vehicle.visits.insert(0, visit)
    node = trip.spec.pickup_node if kind is StopKind.PICKUP else trip.spec.dropoff_node
    _move(engine, vehicle, node, ev.at, now)
    vehicle.at_stop = True
    return Outcome([], vehicle)


def _boarded(
    engine: LiveState, vehicle: VehicleState, trip: Trip, ev: StopEventReported, now: int
) -> Outcome:
    if trip.status is not BookingStatus.CONFIRMED:
        return _refuse(ev, f"cannot board a booking that is {trip.status.value}")
    trip.status = BookingStatus.ON_BOARD
    trip.boarded_at = min(ev.at, now)
    _drop_visit(vehicle, trip, StopKind.PICKUP)
    _move(engine, vehicle, trip.spec.pickup_node, ev.at, now)
    vehicle.at_stop = False
    return Outcome(
        [TripStatusChanged(trip.booking_id, trip.status, now, vehicle.vehicle_id)], vehicle
    )


def _alighted(
    engine: LiveState, vehicle: VehicleState, trip: Trip, ev: StopEventReported, now: int
) -> Outcome:
    if trip.status is not BookingStatus.ON_BOARD:
        return _refuse(ev, f"cannot drop off a booking that is {trip.status.value}")
    trip.status = BookingStatus.COMPLETED
    _drop_visit(vehicle, trip, StopKind.DROPOFF)
    _move(engine, vehicle, trip.spec.dropoff_node, ev.at, now)
    vehicle.at_stop = False
    return Outcome(
        [TripStatusChanged(trip.booking_id, trip.status, now, vehicle.vehicle_id)], vehicle
    )


def _no_show(
    engine: LiveState, vehicle: VehicleState, trip: Trip, ev: StopEventReported, now: int
) -> Outcome:
    if trip.status is not BookingStatus.CONFIRMED:
        return _refuse(ev, f"cannot mark a booking that is {trip.status.value} as no-show")
    allowed_from = trip.promise.pickup_window.start + engine.params.no_show_wait_s
    if now < allowed_from:
        wait = allowed_from - now
        return _refuse(
            ev, f"no-show only after the pickup window started plus the wait ({wait} s left)"
        )
    trip.status = BookingStatus.NO_SHOW
    vehicle.visits = [v for v in vehicle.visits if v.request_id != trip.booking_id]
    vehicle.at_stop = False
    return Outcome(
        [TripStatusChanged(trip.booking_id, trip.status, now, vehicle.vehicle_id)], vehicle
    )


def _departed(
    engine: LiveState, vehicle: VehicleState, trip: Trip, ev: StopEventReported, now: int
) -> Outcome:
    vehicle.at_stop = False
    vehicle.position_at = min(ev.at, now)
    vehicle.reported_at = max(vehicle.reported_at or vehicle.position_at, vehicle.position_at)
    return Outcome()


def _drop_visit(vehicle: VehicleState, trip: Trip, kind: StopKind) -> None:
    vehicle.visits = [
        v for v in vehicle.visits if not (v.request_id == trip.booking_id and v.kind is kind)
    ]


def _move(engine: LiveState, vehicle: VehicleState, node: int, at: int, now: int) -> None:
    """The vehicle is at ``node`` since ``at`` (never ahead of the clock)."""
    vehicle.position_node = node
    vehicle.position_at = min(at, now)
    vehicle.reported_at = max(vehicle.reported_at or vehicle.position_at, vehicle.position_at)
    engine.table.index(node)


_HANDLERS = {
    StopEventKind.ARRIVED: _arrived,
    StopEventKind.BOARDED: _boarded,
    StopEventKind.ALIGHTED: _alighted,
    StopEventKind.NO_SHOW: _no_show,
    StopEventKind.DEPARTED: _departed,
}
