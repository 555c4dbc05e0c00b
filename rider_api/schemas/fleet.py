"""Admin: vehicles and their shifts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Self

from pydantic import Field, model_validator

from rider_api.schemas.common import Coordinates, Id, Instant, Name, PublicModel, StrictBody

MAX_SHIFT = timedelta(hours=16)


class VehicleCreate(StrictBody):
    vehicle_id: Id
    name: Name | None = None
    seats: Annotated[int, Field(strict=True, ge=1, le=60)]
    wheelchair_places: Annotated[int, Field(strict=True, ge=0, le=8)] = 0
    depot: Coordinates


class VehiclePublic(PublicModel):
    vehicle_id: str
    name: str
    seats: int
    wheelchair_places: int
    depot: Coordinates


class VehicleCreatedPublic(VehiclePublic):
    device_token: str = Field(description="shown once: the driver app signs in with it")


class BreakIn(StrictBody):
    start: Instant
    end: Instant


class ShiftCreate(StrictBody):
    """When a vehicle is in service. Instants without an offset are service local time."""

    vehicle_id: Id
    start: Instant
    end: Instant
    start_depot: Coordinates | None = None
    end_depot: Coordinates | None = None
    breaks: Annotated[list[BreakIn], Field(max_length=10)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        instants = [self.start, self.end, *(t for b in self.breaks for t in (b.start, b.end))]
        if len({t.tzinfo is None for t in instants}) > 1:
            raise ValueError("give all times with an offset or all without")
        _check_order(self.start, self.end, "shift")
        if self.end - self.start > MAX_SHIFT:
            raise ValueError(f"a shift lasts at most {MAX_SHIFT // timedelta(hours=1)} hours")
        for b in self.breaks:
            _check_order(b.start, b.end, "break")
            if not self.start <= b.start < b.end <= self.end:
                raise ValueError("breaks must lie within the shift")
        return self


def _check_order(start: datetime, end: datetime, what: str) -> None:
    if end <= start:
        raise ValueError(f"the {what} ends before it starts")


class ShiftPublic(PublicModel):
    shift_id: str
    vehicle_id: str
    start: datetime
    end: datetime
    start_depot: Coordinates
    end_depot: Coordinates
    breaks: list[BreakIn]
