"""Riders as the hotline knows them, and their standing orders."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from rider_api.schemas.common import (
    Coordinates,
    Id,
    LocationIn,
    Name,
    Passengers,
    PublicModel,
    StrictBody,
    Wheelchairs,
)

#: How far ahead a standing order may run.
MAX_STANDING_ORDER_DAYS = 366 * 2

_PHONE = re.compile(r"^\+?[0-9 ()/.-]{3,40}$")


def _phone(value: str) -> str:
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 3:
        raise ValueError("a phone number has digits, optionally a leading + and separators")
    return value


Phone = Annotated[str, Field(max_length=40, examples=["+49 921 123456"]), AfterValidator(_phone)]
Language = Annotated[
    str,
    Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=20, examples=["de", "en"]),
]


class RiderNeeds(StrictBody):
    wheelchair: bool = False
    walker: bool = False
    extra_boarding_s: Annotated[int, Field(strict=True, ge=0, le=900)] = 0


class AddressIn(Coordinates):
    label: Annotated[str, Field(min_length=1, max_length=200, examples=["Hauptstraße 3"])]


class RiderCreate(StrictBody):
    """``POST /v1/riders`` (agents)."""

    name: Name
    phone: Phone
    language: Language = "de"
    needs: RiderNeeds = Field(default_factory=RiderNeeds)
    home: AddressIn | None = None


class RiderPublic(PublicModel):
    rider_id: str
    name: str
    phone: str
    language: str
    needs: RiderNeeds
    home: AddressIn | None = None


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class StandingOrderCreate(StrictBody):
    """A recurring ride: on ``weekdays`` between ``start_date`` and ``end_date``, but not on ``exceptions``."""

    rider_id: Id | None = Field(default=None, description="optional: the rider in the path")
    weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)]
    time: dt.time
    time_kind: Literal["depart_after", "arrive_by"] = "depart_after"
    origin: LocationIn
    destination: LocationIn
    passengers: Passengers = 1
    wheelchairs: Wheelchairs = 0
    start_date: dt.date
    end_date: dt.date
    exceptions: Annotated[list[dt.date], Field(max_length=400)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("weekdays lists a day twice")
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if (self.end_date - self.start_date).days > MAX_STANDING_ORDER_DAYS:
            raise ValueError(f"a standing order runs at most {MAX_STANDING_ORDER_DAYS} days")
        outside = [d for d in self.exceptions if not self.start_date <= d <= self.end_date]
        if outside:
            raise ValueError(f"exception {outside[0].isoformat()} lies outside the date range")
        if self.wheelchairs > self.passengers:
            raise ValueError("wheelchairs cannot exceed passengers")
        return self


#: A wall-clock time of day in the service's zone (``10:00:00``; no offset: it recurs).
TimeOfDay = Annotated[
    dt.time,
    WithJsonSchema({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"}),
]


class StandingOrderPublic(PublicModel):
    standing_order_id: str
    rider_id: str
    weekdays: list[Weekday]
    time: TimeOfDay
    time_kind: Literal["depart_after", "arrive_by"]
    origin: LocationIn
    destination: LocationIn
    passengers: int
    wheelchairs: int
    start_date: dt.date
    end_date: dt.date
    exceptions: list[dt.date]
    active: bool = True


class StandingOrderDate(PublicModel):
    """One date of a standing order: its booking, or why none could be made."""

    date: dt.date
    status: str = Field(description="booked | not_served | confirmed | cancelled | completed | …")
    booking_id: str | None = None
    pickup_window_start: dt.datetime | None = None
    pickup_window_end: dt.datetime | None = None
    reason: str = ""


class StandingOrderReport(StandingOrderPublic):
    """The order with what became of its dates inside the prebooking horizon."""

    dates: list[StandingOrderDate]
    not_served: list[dt.date] = Field(description="dates that could not be booked")
    cancelled_bookings: list[str] = Field(default_factory=list)
