"""Request bodies of the rider and hotline API (validated by pydantic at the edge)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlaceIn(_Body):
    """A virtual stop (``stop_id``) or coordinates (``lat`` and ``lon``), not both."""

    stop_id: str | None = Field(default=None, min_length=1, max_length=100)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _one_form(self) -> PlaceIn:
        coords = self.lat is not None and self.lon is not None
        partial = (self.lat is None) != (self.lon is None)
        if (
            partial
            or (self.stop_id is None) == (not coords)
            or (self.stop_id is not None and coords)
        ):
            raise ValueError("give either stop_id or both lat and lon")
        return self


class QuoteIn(_Body):
    origin: PlaceIn
    destination: PlaceIn
    depart_after: datetime | None = None
    arrive_by: datetime | None = None
    passengers: int = Field(default=1, ge=1, le=20)
    wheelchairs: int = Field(default=0, ge=0, le=4)

    @model_validator(mode="after")
    def _one_time(self) -> QuoteIn:
        if self.depart_after is not None and self.arrive_by is not None:
            raise ValueError("give depart_after or arrive_by, not both")
        if self.wheelchairs > self.passengers:
            raise ValueError("wheelchairs cannot exceed passengers")
        return self


class RiderIn(_Body):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, min_length=2, max_length=10)


class BookingIn(_Body):
    offer_id: str = Field(min_length=1, max_length=100)
    rider: RiderIn
    #: A registered rider the booking is for (hotline agents only).
    rider_id: str | None = Field(default=None, min_length=1, max_length=100)
    notes: str | None = Field(default=None, max_length=500)
