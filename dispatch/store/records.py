"""Plain, immutable records the store returns and accepts.

Callers outside ``dispatch/store`` never see SQLModel rows: every repository method
converts to and from these dataclasses. Instants are UTC epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dispatch.model import BookingId, BookingStatus, ShiftId, VehicleId

OPEN_BOOKING_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.UNPLACED, BookingStatus.ON_BOARD)

#: Allowed status changes; everything not listed is an ``InvalidTransition``.
BOOKING_TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.CONFIRMED: frozenset(
        {
            BookingStatus.ON_BOARD,
            BookingStatus.CANCELLED,
            BookingStatus.NO_SHOW,
            BookingStatus.UNPLACED,
        }
    ),
    BookingStatus.UNPLACED: frozenset({BookingStatus.CONFIRMED, BookingStatus.CANCELLED}),
    BookingStatus.ON_BOARD: frozenset({BookingStatus.COMPLETED}),
    BookingStatus.COMPLETED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.NO_SHOW: frozenset(),
}


class ShiftStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    ENDED = "ended"


class StopSource(StrEnum):
    OSM = "osm"
    PLACE = "place"
    FILE = "file"
    PROPOSAL = "proposal"


@dataclass(frozen=True, slots=True)
class RiderNeeds:
    wheelchair: bool = False
    walker: bool = False
    extra_boarding_s: int = 0


@dataclass(frozen=True, slots=True)
class Address:
    text: str
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class Rider:
    id: str
    name: str
    phone: str | None
    language: str
    needs: RiderNeeds
    home: Address | None
    created_at: int


@dataclass(frozen=True, slots=True)
class Place:
    """A booking's origin or destination: a virtual stop or an address."""

    name: str
    lat: float
    lon: float
    stop_id: str | None = None
    node: int | None = None


@dataclass(frozen=True, slots=True)
class NewBooking:
    """What ``confirm_booking`` writes; the promise comes from the accepted offer."""

    booking_id: BookingId
    rider_id: str | None
    origin: Place
    destination: Place
    passengers: int
    pickup_window_start: int
    pickup_window_end: int
    latest_arrival: int
    wheelchairs: int = 0
    extra_boarding_s: int = 0
    depart_after: int | None = None
    arrive_by: int | None = None
    planned_pickup: int | None = None
    planned_dropoff: int | None = None
    vehicle_id: ShiftId | None = None
    access_token_hash: str | None = None
    notes: str = ""
    standing_order_id: int | None = None
    max_ride_s: int | None = None


@dataclass(frozen=True, slots=True)
class Booking:
    id: BookingId
    rider_id: str | None
    status: BookingStatus
    origin: Place
    destination: Place
    passengers: int
    wheelchairs: int
    extra_boarding_s: int
    depart_after: int | None
    arrive_by: int | None
    pickup_window_start: int
    pickup_window_end: int
    latest_arrival: int
    planned_pickup: int | None
    planned_dropoff: int | None
    vehicle_id: ShiftId | None
    boarded_at: int | None
    access_token_hash: str | None
    notes: str
    standing_order_id: int | None
    created_at: int
    updated_at: int
    version: int
    #: The promised maximum ride time (``None`` for bookings stored before it was kept).
    max_ride_s: int | None = None


@dataclass(frozen=True, slots=True)
class BookingEvent:
    booking_id: BookingId
    status: BookingStatus
    at: int
    detail: str


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    """The outcome of ``confirm_booking``; ``replayed`` if an earlier call's response."""

    booking_id: BookingId
    status_code: int
    response: dict[str, Any]
    replayed: bool


@dataclass(frozen=True, slots=True)
class Offer:
    offer_id: str
    quote_id: str
    request: dict[str, Any]
    promise: dict[str, Any]
    expires_at: int
    created_at: int
    vehicle_id: ShiftId | None = None
    consumed_by: str | None = None


@dataclass(frozen=True, slots=True)
class VehicleRecord:
    id: VehicleId
    name: str
    seats: int
    wheelchair_places: int
    depot_lat: float
    depot_lon: float
    device_token_hash: str | None = None
    last_lat: float | None = None
    last_lon: float | None = None
    last_at: int | None = None


@dataclass(frozen=True, slots=True)
class Break:
    start_at: int
    end_at: int


@dataclass(frozen=True, slots=True)
class ShiftRecord:
    vehicle_id: VehicleId
    start_at: int
    end_at: int
    start_depot_lat: float
    start_depot_lon: float
    end_depot_lat: float
    end_depot_lon: float
    breaks: tuple[Break, ...] = ()
    status: ShiftStatus = ShiftStatus.PLANNED
    id: int | None = None


@dataclass(frozen=True, slots=True)
class StopRecord:
    id: str
    name: str
    lat: float
    lon: float
    source: StopSource
    node: int | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """Something the dispatcher must look at, e.g. a confirmed booking no bus can take."""

    id: int
    booking_id: BookingId
    kind: str
    detail: str
    opened_at: int
    closed_at: int | None = None


@dataclass(frozen=True, slots=True)
class PlanVersion:
    vehicle_id: ShiftId
    version: int
    created_at: int
    stops: list[Any]


@dataclass(frozen=True, slots=True)
class StopEvent:
    vehicle_id: VehicleId
    booking_id: BookingId | None
    stop_kind: str
    event: str
    at: int
    client_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class StandingOrder:
    """A recurring trip; ``time_of_day`` is local ``HH:MM``, dates are ISO ``YYYY-MM-DD``."""

    rider_id: str
    weekdays: tuple[int, ...]
    time_of_day: str
    time_kind: str
    origin: Place
    destination: Place
    valid_from: str
    passengers: int = 1
    wheelchairs: int = 0
    valid_until: str | None = None
    exceptions: tuple[str, ...] = ()
    active: bool = True
    id: int | None = None
    created_at: int = 0
    updated_at: int = 0
