"""Bookings: accepting an offer, the booking as riders and agents see it, cancelling."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from dispatch.model import BookingStatus as BookingStatus
from rider_api.schemas.common import (
    Id,
    Latitude,
    Longitude,
    Name,
    Passengers,
    PublicModel,
    StrictBody,
    Wheelchairs,
)
from rider_api.schemas.quotes import DropoffPublic, PickupPublic
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
    at: datetime


class BookingPublic(PublicModel):
    """A booking and its promise; ``pickup_eta`` and ``vehicle`` once the bus is on its way."""

    booking_id: str
    status: BookingStatus
    pickup: PickupPublic
    dropoff: DropoffPublic
    passengers: Passengers = 1
    wheelchairs: Wheelchairs = 0
    pickup_eta: datetime | None = None
    vehicle: VehiclePosition | None = None


class BookingCreatedPublic(BookingPublic):
    """The answer to a booking: shown once, with the rider's ``access_token``."""

    access_token: str = Field(description="keep it: it lets the rider see and cancel the booking")
