"""Building blocks shared by the API schemas: strict bodies, locations, counts, instants."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from dispatch.errors import InputError

MAX_PASSENGERS = 20
MAX_WHEELCHAIRS = 4


class StrictBody(BaseModel):
    """A request body: unknown members are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PublicModel(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True)


def _count_in(low: int, high: int, what: str, hint: str = "") -> AfterValidator:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"{what} must be between {low} and {high}{hint}, not {value}")
        return value

    return AfterValidator(check)


Passengers = Annotated[
    int,
    Field(strict=True, description=f"riders travelling together, 1 to {MAX_PASSENGERS}"),
    _count_in(1, MAX_PASSENGERS, "passengers", " (larger groups please call the hotline)"),
]
Wheelchairs = Annotated[
    int,
    Field(strict=True, description=f"wheelchair places needed, 0 to {MAX_WHEELCHAIRS}"),
    _count_in(0, MAX_WHEELCHAIRS, "wheelchairs"),
]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="WGS84")]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="WGS84")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


def _iso_text(value: Any) -> Any:
    """Instants must be ISO 8601 text: a bare number is more likely a bug than epoch seconds."""
    if isinstance(value, bool | int | float):
        raise ValueError("give the time as ISO 8601 text, e.g. 2025-03-14T08:30:00+01:00")
    return value


#: An ISO 8601 instant; without an offset it means local time in the service's zone.
Instant = Annotated[datetime, BeforeValidator(_iso_text)]


def localise(value: datetime, zone: tzinfo) -> datetime:
    """``value`` as an aware instant: naive values are wall-clock time in ``zone``.

    Raises
    ------
    InputError
        The naive time does not exist in ``zone`` (skipped when clocks go forward).
    """
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    aware = value.replace(tzinfo=zone)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != value:
        raise InputError(f"{value.isoformat()} does not exist in {zone} (clocks go forward)")
    return aware


class Coordinates(StrictBody):
    lat: Latitude
    lon: Longitude


class LocationIn(StrictBody):
    """Where a ride starts or ends: a stop (``stop_id``) or a point (``lat`` and ``lon``)."""

    stop_id: Id | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        has_point = self.lat is not None or self.lon is not None
        if self.stop_id is not None and has_point:
            raise ValueError("give either stop_id or lat and lon, not both")
        if self.stop_id is None and (self.lat is None or self.lon is None):
            raise ValueError("give either stop_id or both lat and lon")
        return self


class Problem(BaseModel):
    """An RFC 9457 problem (``application/problem+json``), for the API documentation."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None
