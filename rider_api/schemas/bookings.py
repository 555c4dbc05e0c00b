"""Bookings: accepting an offer, the booking as riders and agents see it, cancelling."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated, Self

from pydantic import Field

from dispatch.model import BookingStatus
from dispatch.service.booking import BookingView
from rider_api.schemas.common import (
    Id,
    Latitude,
    Longitude,
    Name,
    PublicModel,
    ServiceTime,
    StrictBody,
    at_zone,
    maybe_at_zone,
)
from rider_api.schemas.quotes import StopPoint
from rider_api.schemas.riders import Language, Phone

Notes = Annotated[str, Field(max_length=500, description="for the driver, e.g. 'ring twice'")]


class RiderContact(StrictBody):
    name: Name
    phone: Phone | None = None
    language: Language | None = None


class BookingCreate(StrictBody):
    """``POST /v1/bookings`` (with an ``Idempotency-Key`` header)."""

    offer_id: Id
    rider: RiderContact
    notes: Notes | None = None
    rider_id: Id | None = Field(
        default=None, description="a registered rider the booking is for (hotline agents only)"
    )


class AgentBookingCreate(StrictBody):
    """An agent books an offer on behalf of a known rider."""

    offer_id: Id
    rider_id: Id
    notes: Notes | None = None


class BookingCancel(StrictBody):
    reason: Annotated[str, Field(max_length=500)] | None = None


class VehiclePosition(PublicModel):
    lat: Latitude
    lon: Longitude
    at: ServiceTime


class BookingVehiclePublic(PublicModel):
    """The rider's bus while it drives to the pickup or carries the rider, else ``None``."""

    vehicle: VehiclePosition | None


class BookingPickupPublic(StopPoint):
    window_start: ServiceTime
    window_end: ServiceTime


class BookingDropoffPublic(StopPoint):
    latest_arrival: ServiceTime


class BookingPublic(PublicModel):
    """A booking and its promise, with the current ETAs (``None`` while no bus is planned;
    then ``notice`` says what happens)."""

    booking_id: str
    status: BookingStatus
    pickup: BookingPickupPublic
    dropoff: BookingDropoffPublic
    passengers: int
    wheelchairs: int
    pickup_eta: ServiceTime | None
    dropoff_eta: ServiceTime | None
    notice: str | None = None

    @classmethod
    def of(cls, v: BookingView, zone: tzinfo) -> Self:
        extra = {"access_token": v.access_token} if v.access_token is not None else {}
        return cls(
            booking_id=v.booking_id,
            status=v.status,
            pickup=BookingPickupPublic.of(
                v.origin,
                window_start=at_zone(v.window_start, zone),
                window_end=at_zone(v.window_end, zone),
            ),
            dropoff=BookingDropoffPublic.of(
                v.destination, latest_arrival=at_zone(v.latest_arrival, zone)
            ),
            passengers=v.passengers,
            wheelchairs=v.wheelchairs,
            pickup_eta=maybe_at_zone(v.pickup_eta, zone),
            dropoff_eta=maybe_at_zone(v.dropoff_eta, zone),
            notice=v.notice,
            **extra,
        )


class BookingCreatedPublic(BookingPublic):
    """The answer to a booking: shown once, with the rider's ``access_token``."""

    access_token: str = Field(description="keep it: it lets the rider see and cancel the booking")
