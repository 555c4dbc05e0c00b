"""Take back an engine decision that could not be made durable.

The engine decides first (is the offer still feasible? may this rider board?) and the
service then writes the decision to the database. If that write fails — the database
is locked, unreachable, or the key was answered meanwhile — the decision must not
stand: riders and drivers are told "try again", so the engine has to be exactly as it
was. A :class:`Checkpoint` holds copies of what an event may change (the vehicles it can
touch, the trips it can change, the offer it uses); :func:`rollback` puts them back.

Plan version numbers are the exception: a vehicle keeps its higher version after a
rollback, so a number handed out once is never handed out again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from dispatch.engine.events import (
    OPEN_STATUSES,
    BookingRequested,
    CancelRequested,
    Event,
    RestoreCompleted,
    ShiftEndReported,
    SolveFinished,
    StopEventReported,
    VehicleAdded,
)
from dispatch.engine.state import Trip, VehicleState
from dispatch.model import BookingId, ShiftId

if TYPE_CHECKING:
    from dispatch.engine.engine import Engine

#: Events whose commands are written to the database (and so may have to be taken back).
DURABLE_EVENTS = (
    BookingRequested,
    CancelRequested,
    StopEventReported,
    ShiftEndReported,
    SolveFinished,
    RestoreCompleted,
    VehicleAdded,
)
_VEHICLE_FIELDS = tuple(f.name for f in fields(VehicleState) if f.name != "version")
_TRIP_FIELDS = tuple(f.name for f in fields(Trip))


@dataclass(frozen=True)
class Checkpoint:
    vehicles: dict[ShiftId, VehicleState]
    vehicle_count: int
    trips: dict[BookingId, Trip]
    trip_count: int
    offer_used: tuple[str, bool] | None


def checkpoint(engine: Engine, event: Event) -> Checkpoint | None:
    """Copies of what ``event`` may change, or ``None`` for events that write nothing."""
    if not isinstance(event, DURABLE_EVENTS):
        return None
    vehicles = {v.vehicle_id: _copy_vehicle(v) for v in _vehicles_touched(engine, event)}
    trips = {t.booking_id: copy.copy(t) for t in _trips_touched(engine, event)}
    offer_used = None
    if isinstance(event, BookingRequested) and event.offer_id in engine.offers:
        offer_used = (event.offer_id, engine.offers[event.offer_id].used)
    return Checkpoint(vehicles, len(engine.vehicles), trips, len(engine.trips), offer_used)


def rollback(engine: Engine, saved: Checkpoint) -> None:
    """Put the engine back as it was at ``saved`` (plan versions stay as high as they got)."""
    for booking in list(engine.trips)[saved.trip_count :]:
        del engine.trips[booking]
    for shift in list(engine.vehicles)[saved.vehicle_count :]:
        del engine.vehicles[shift]
    for booking_id, old in saved.trips.items():
        trip = engine.trips.get(booking_id)
        if trip is not None:
            for name in _TRIP_FIELDS:
                setattr(trip, name, getattr(old, name))
    for vehicle_id, old_vehicle in saved.vehicles.items():
        vehicle = engine.vehicles.get(vehicle_id)
        if vehicle is not None:
            for name in _VEHICLE_FIELDS:
                setattr(vehicle, name, getattr(old_vehicle, name))
            vehicle.version = max(vehicle.version, old_vehicle.version)
    if saved.offer_used is not None and saved.offer_used[0] in engine.offers:
        engine.offers[saved.offer_used[0]].used = saved.offer_used[1]
    engine.forget_snapshots()


def _copy_vehicle(vehicle: VehicleState) -> VehicleState:
    saved = copy.copy(vehicle)
    saved.visits = list(vehicle.visits)
    return saved


def _vehicles_touched(engine: Engine, event: Event) -> list[VehicleState]:
    match event:
        case BookingRequested(offer_id=offer_id):
            offer = engine.offers.get(offer_id)
            if offer is None:
                return []
            start, end = offer.promise.pickup_window.start, offer.promise.latest_arrival
            return [v for v in engine.vehicles.values() if _overlaps(v, start, end)]
        case CancelRequested(booking_id=booking_id):
            trip = engine.trips.get(booking_id)
            vehicle = engine.vehicle_of(trip) if trip else None
            return [vehicle] if vehicle is not None else []
        case StopEventReported(vehicle_id=vehicle_id) | ShiftEndReported(vehicle_id=vehicle_id):
            vehicle = engine.vehicles.get(vehicle_id)
            return [vehicle] if vehicle is not None else []
        case SolveFinished() | RestoreCompleted():
            return list(engine.vehicles.values())
    return []


def _overlaps(vehicle: VehicleState, start: int, end: int) -> bool:
    """The vehicles a booking may be placed on (the engine's own filter for it)."""
    return vehicle.shift_start <= end and vehicle.shift_end >= start


def _trips_touched(engine: Engine, event: Event) -> list[Trip]:
    match event:
        case BookingRequested(offer_id=offer_id):
            offer = engine.offers.get(offer_id)
            if offer is None or offer.reassignment is None:
                return []
            # An offer that moves other bookings changes which bus they are on.
            moved = {v.request_id for seq in offer.reassignment.values() for v in seq}
            return [engine.trips[b] for b in sorted(moved) if b in engine.trips]
        case CancelRequested(booking_id=booking_id) | StopEventReported(booking_id=booking_id):
            trip = engine.trips.get(booking_id)
            return [trip] if trip is not None else []
        case SolveFinished() | RestoreCompleted():
            return [t for t in engine.trips.values() if t.status in OPEN_STATUSES]
    return []
