"""The engine's mutable live state (owned by the engine alone, the single writer)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dispatch.engine.events import Promise, TripSpec
from dispatch.model import BookingId, BookingStatus, Request, Route, ShiftId, StopKind, Visit


@dataclass(slots=True)
class Trip:
    """A confirmed booking as the engine tracks it."""

    booking_id: BookingId
    spec: TripSpec
    promise: Promise
    max_ride_s: int
    pickup_service_s: int
    dropoff_service_s: int
    status: BookingStatus = BookingStatus.CONFIRMED
    vehicle_id: ShiftId | None = None
    #: When boarding was over and the ride began (the driver's "boarded"), never ahead
    #: of the clock. For a planned break: the shift start.
    boarded_at: int | None = None
    #: The solver request for this trip and the state it was made in (see snapshot.trip_request).
    cached_request: tuple[tuple[object, ...], Request] | None = None
    #: A driver's planned break, not a rider's booking: "on board" its vehicle from the
    #: shift start (so it stays on that vehicle), one stop at the depot, no seat taken.
    is_break: bool = False
    #: When the rider asked to be picked up (``depart_after`` trips), for the wait the
    #: objective counts.
    desired_pickup: int | None = None

    @property
    def load(self) -> tuple[int, int]:
        if self.is_break:
            return (0, 0)
        return (self.spec.passengers - self.spec.wheelchairs, self.spec.wheelchairs)

    @property
    def dropoff_kind(self) -> StopKind:
        """The kind of the trip's last stop: the break itself, or the rider's drop-off."""
        return StopKind.BREAK if self.is_break else StopKind.DROPOFF

    def visits(self) -> tuple[Visit, ...]:
        rid = self.booking_id
        last = Visit(rid, self.dropoff_kind)
        if self.status is BookingStatus.ON_BOARD:
            return (last,)
        return (Visit(rid, StopKind.PICKUP), last)


@dataclass(slots=True)
class VehicleState:
    """A vehicle, where it is, and its current plan (visit order and timed route)."""

    vehicle_id: ShiftId
    seats: int
    wheelchair_places: int
    depot_node: int
    shift_start: int
    shift_end: int
    position_node: int
    position_at: int
    visits: list[Visit] = field(default_factory=list)
    route: Route | None = None
    version: int = 0
    #: The vehicle has reached its first visit and is serving it (boarding in progress).
    at_stop: bool = False
    #: The route was timed with windows widened to reality (the vehicle is running late).
    relaxed: bool = False
    #: When the latest position or stop event of the vehicle was dated (never ahead of the
    #: clock); older reports arriving late are refused.
    reported_at: int | None = None
    #: While an idle bus drives to where demand is expected (rebalancing): when it gets
    #: there. Until then it is planned from there, and reports on the way change nothing.
    relocation_arrival: int | None = None

    @property
    def capacity(self) -> tuple[int, int]:
        return (self.seats, self.wheelchair_places)


@dataclass(slots=True)
class OfferRecord:
    """An offer held for the rider until it expires or is booked."""

    offer_id: str
    quote_id: str
    spec: TripSpec
    request: Request
    promise: Promise
    vehicle_id: ShiftId
    expires_at: int
    max_ride_s: int
    pickup_service_s: int
    dropoff_service_s: int
    used: bool = False
    #: For an offer that moves other bookings: the new sequences of the vehicles that
    #: change, and their sequences when the offer was made (it holds only while those stand).
    reassignment: dict[ShiftId, tuple[Visit, ...]] | None = None
    based_on: dict[ShiftId, tuple[Visit, ...]] | None = None


@dataclass(slots=True)
class SolveInFlight:
    token: int
    started_at: int
    state_version: int
