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


class DeviceTokenPublic(PublicModel):
    vehicle_id: str
    device_token: str = Field(description="shown once: the driver app signs in with it")


class ShiftCreate(StrictBody):
    """When a vehicle is in service. Instants without an offset are service local time."""

    vehicle_id: Id
    start: Instant
    end: Instant
    start_depot: Coordinates | None = Field(
        default=None, description="where the shift starts (default: the vehicle's depot)"
    )
    end_depot: Coordinates | None = Field(
        default=None, description="where it ends (default: where it starts)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len({t.tzinfo is None for t in (self.start, self.end)}) > 1:
            raise ValueError("give both times with an offset or both without")
        _check_order(self.start, self.end, "shift")
        if self.end - self.start > MAX_SHIFT:
            raise ValueError(f"a shift lasts at most {MAX_SHIFT // timedelta(hours=1)} hours")
        return self


def _check_order(start: datetime, end: datetime, what: str) -> None:
    if end <= start:
        raise ValueError(f"the {what} ends before it starts")


class ShiftPublic(PublicModel):
    shift_id: str | None = Field(description="None for shifts of the service definition")
    vehicle_id: str
    start: datetime
    end: datetime
    start_depot: Coordinates
    end_depot: Coordinates | None = None
    source: str = Field(description="'config' (service definition) or 'admin'")
    status: str = Field(description="planned | active (driver started it) | ended")
