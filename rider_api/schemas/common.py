"""Building blocks shared by the API schemas: strict bodies, locations, counts, instants."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from dispatch.errors import InputError

MAX_PASSENGERS = 20
MAX_WHEELCHAIRS = 4


#: C0 controls but tab, line feed and carriage return; DEL; C1 controls (NUL included).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Instants outside these years are refused before any arithmetic (year 1, year 9999).
FIRST_YEAR, LAST_YEAR = 2000, 2099


class StrictBody(BaseModel):
    """A request body: unknown members are an error, not silently dropped; no text in it may
    hold NUL or other control characters (line breaks and tabs are fine)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _no_control_characters(self) -> Self:
        for name, value in self.__dict__.items():
            texts = value if isinstance(value, list | tuple) else [value]
            if any(isinstance(t, str) and _CONTROL.search(t) for t in texts):
                raise ValueError(f"{name}: control characters are not allowed")
        return self


class PublicModel(BaseModel):
    """A response body: it holds exactly what its schema describes (no other members)."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


def _iso(value: datetime) -> str:
    return value.isoformat()


#: An instant as the service answers it: ISO 8601 in the service's time zone, with its
#: offset (``2026-11-25T08:10:00+01:00``; ``+00:00``, never ``Z``, for UTC).
ServiceTime = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def at_zone(t: int, zone: tzinfo) -> datetime:
    """Epoch seconds as an instant in ``zone`` (what the API answers)."""
    return datetime.fromtimestamp(t, zone)


def maybe_at_zone(t: int | None, zone: tzinfo) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, zone)


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


def _sane_year(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"give a time between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


#: An ISO 8601 instant; without an offset it means local time in the service's zone.
Instant = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_sane_year)]


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
