"""The driver stream's messages: a tagged union on ``type``, validated both ways.

Client → server: ``hello`` (first, once), then ``ack``, ``position``, ``stop_event``,
each with a client-generated ``id`` so that a message resent after a reconnect takes
effect once. Server → client: ``welcome``, ``plan``, ``ping``, ``ok`` and ``error``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MessageId = Annotated[str, Field(min_length=1, max_length=100)]
StopEventName = Literal["arrived", "boarded", "alighted", "no_show", "departed"]
StopKindName = Literal["pickup", "dropoff", "depot", "break"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hello(_In):
    type: Literal["hello"]
    token: str = Field(min_length=1, max_length=200)
    last_version: int | None = Field(default=None, ge=0)
    #: The shift the client's ``last_version`` belongs to (plans restart at 1 each day).
    shift_id: str | None = None
    id: MessageId | None = None


class Ack(_In):
    type: Literal["ack"]
    id: MessageId
    version: int = Field(ge=0)


class Position(_In):
    type: Literal["position"]
    id: MessageId
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    at: datetime | None = None


class StopEventIn(_In):
    type: Literal["stop_event"]
    id: MessageId
    stop_id: str = Field(min_length=1, max_length=200)
    event: StopEventName
    at: datetime | None = None


ClientMessage = Annotated[Hello | Ack | Position | StopEventIn, Field(discriminator="type")]
client_message: TypeAdapter[Hello | Ack | Position | StopEventIn] = TypeAdapter(ClientMessage)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Welcome(_Out):
    type: Literal["welcome"] = "welcome"
    vehicle_id: str
    shift_id: str | None
    version: int | None
    server_time: str
    ping_s: float


class RiderOut(_Out):
    first_name: str
    notes: str


class PlanStop(_Out):
    stop_id: str
    kind: StopKindName
    booking_id: str | None
    name: str
    virtual_stop_id: str | None
    lat: float | None
    lon: float | None
    eta: str | None
    service_start: str | None
    departure: str | None
    window_start: str | None
    window_end: str | None
    passengers: int
    wheelchairs: int
    rider: RiderOut | None
    travel_s: int
    route_to: str | None


class PlanMessage(_Out):
    type: Literal["plan"] = "plan"
    vehicle_id: str
    shift_id: str
    version: int
    created_at: str | None
    stops: list[PlanStop]


class Ping(_Out):
    type: Literal["ping"] = "ping"
    at: str


class Ok(_Out):
    type: Literal["ok"] = "ok"
    id: str
    duplicate: bool = False
    detail: str = ""


class ErrorMessage(_Out):
    type: Literal["error"] = "error"
    id: str | None
    code: str
    detail: str


#: The answer to a client message (remembered per message id: a resend gets it again).
Reply = Ok | ErrorMessage


def describe(exc: ValidationError) -> str:
    """A short, readable reason (``lat: Input should be less than or equal to 90``)."""
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
        parts.append(f"{where}: {error['msg']}" if where else str(error["msg"]))
    return "; ".join(parts)


# ---- REST answers ------------------------------------------------------------------------

#: An instant as ISO 8601 text in the service's time zone, with its offset.
IsoTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class BreakTaken(_Out):
    start: IsoTime
    end: IsoTime


class DeviceShift(_Out):
    """Today's shift of the device's vehicle: its status, breaks taken, the plan it holds."""

    vehicle_id: str
    shift_id: str | None = Field(description="the day the dispatcher plans (bus-1@2026-11-25)")
    status: Literal["planned", "active", "ended"]
    start: IsoTime
    end: IsoTime
    breaks: list[BreakTaken]
    on_break_since: IsoTime | None
    plan_version: int | None = Field(description="the vehicle's current plan version")
    acked_version: int | None = Field(description="the plan version the device acknowledged")
    connected: bool = Field(description="the device's stream is connected")


class MapPlace(_Out):
    name: str
    lat: float
    lon: float
    kind: str
    population: int | None


class DriverMap(_Out):
    """Roads (Google encoded polylines, precision 5), places and bounds, for offline maps."""

    bounds: tuple[float, float, float, float] = Field(description="south, west, north, east")
    roads: list[str]
    places: list[MapPlace]
