"""The database tables (SQLModel), one class per table.

Conventions, the same on SQLite and PostgreSQL:

- every instant is an integer column of UTC epoch seconds (``*_at`` or named after
  the event, e.g. ``depart_after``); no database datetime types, so nothing depends
  on a driver's time-zone handling and the core's integers round-trip exactly;
- identifiers chosen by the service (bookings, offers, riders, vehicles, stops) are
  strings; purely internal rows (events, shifts, plan versions) get integer keys;
- structured values that are read and written as a whole (needs, plan stops,
  offer promise) are JSON columns.

The schema is created by the Alembic migrations in ``migrations/``, never by
``SQLModel.metadata.create_all``; a test checks that both agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel


class RiderRow(SQLModel, table=True):
    __tablename__ = "riders"
    __table_args__ = (UniqueConstraint("phone", name="uq_riders_phone"),)

    id: str = Field(primary_key=True)
    name: str
    phone: str | None = None
    language: str = "de"
    needs: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    home_address: str | None = None
    home_lat: float | None = None
    home_lon: float | None = None
    created_at: int = Field(sa_type=BigInteger)


class VehicleRow(SQLModel, table=True):
    __tablename__ = "vehicles"

    id: str = Field(primary_key=True)
    name: str
    seats: int
    wheelchair_places: int
    depot_lat: float
    depot_lon: float
    device_token_hash: str | None = None
    last_lat: float | None = None
    last_lon: float | None = None
    last_at: int | None = Field(default=None, sa_type=BigInteger)


class BookingRow(SQLModel, table=True):
    __tablename__ = "bookings"

    id: str = Field(primary_key=True)
    rider_id: str | None = Field(default=None, foreign_key="riders.id", index=True)
    status: str = Field(index=True)
    origin_stop_id: str | None = None
    origin_name: str
    origin_lat: float
    origin_lon: float
    origin_node: int | None = Field(default=None, sa_type=BigInteger)
    destination_stop_id: str | None = None
    destination_name: str
    destination_lat: float
    destination_lon: float
    destination_node: int | None = Field(default=None, sa_type=BigInteger)
    passengers: int
    wheelchairs: int
    extra_boarding_s: int = 0
    max_ride_s: int | None = None
    depart_after: int | None = Field(default=None, sa_type=BigInteger)
    arrive_by: int | None = Field(default=None, sa_type=BigInteger)
    pickup_window_start: int = Field(sa_type=BigInteger)
    pickup_window_end: int = Field(sa_type=BigInteger)
    latest_arrival: int = Field(sa_type=BigInteger)
    planned_pickup: int | None = Field(default=None, sa_type=BigInteger)
    planned_dropoff: int | None = Field(default=None, sa_type=BigInteger)
    vehicle_id: str | None = Field(default=None, index=True)
    boarded_at: int | None = Field(default=None, sa_type=BigInteger)
    access_token_hash: str | None = None
    notes: str = ""
    standing_order_id: int | None = None
    created_at: int = Field(sa_type=BigInteger)
    updated_at: int = Field(sa_type=BigInteger)
    version: int = 1


class BookingEventRow(SQLModel, table=True):
    __tablename__ = "booking_events"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: str = Field(foreign_key="bookings.id", index=True)
    status: str
    at: int = Field(sa_type=BigInteger)
    detail: str = ""


class OfferRow(SQLModel, table=True):
    __tablename__ = "offers"

    offer_id: str = Field(primary_key=True)
    quote_id: str = Field(index=True)
    request: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    promise: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    vehicle_id: str | None = None
    expires_at: int = Field(sa_type=BigInteger)
    created_at: int = Field(sa_type=BigInteger)
    consumed_by: str | None = None


class ShiftRow(SQLModel, table=True):
    __tablename__ = "shifts"
    __table_args__ = (UniqueConstraint("vehicle_id", "start_at", name="uq_shifts_vehicle_start"),)

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: str = Field(foreign_key="vehicles.id", index=True)
    start_at: int = Field(sa_type=BigInteger)
    end_at: int = Field(sa_type=BigInteger)
    start_depot_lat: float
    start_depot_lon: float
    end_depot_lat: float
    end_depot_lon: float
    breaks: list[Any] = Field(default_factory=list, sa_type=JSON)
    status: str = "planned"


class StopRow(SQLModel, table=True):
    __tablename__ = "stops"

    id: str = Field(primary_key=True)
    name: str
    lat: float
    lon: float
    source: str
    node: int | None = Field(default=None, sa_type=BigInteger)


class PlanVersionRow(SQLModel, table=True):
    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "version", name="uq_plan_versions_vehicle_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: str = Field(index=True)
    version: int
    created_at: int = Field(sa_type=BigInteger)
    stops: list[Any] = Field(default_factory=list, sa_type=JSON)


class StopEventRow(SQLModel, table=True):
    __tablename__ = "stop_events"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "client_message_id", name="uq_stop_events_message"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: str = Field(index=True)
    booking_id: str | None = Field(default=None, foreign_key="bookings.id", index=True)
    stop_kind: str
    event: str
    at: int = Field(sa_type=BigInteger)
    client_message_id: str | None = None
    recorded_at: int = Field(sa_type=BigInteger)


class IdempotencyKeyRow(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    scope: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    request_hash: str
    resource_id: str | None = None
    status_code: int
    response: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    #: The booking's access token, encrypted with a key derived from the client's
    #: Idempotency-Key (whose SHA-256 is the ``key`` column): a retry gets the same answer,
    #: but the database holds no usable token.
    sealed_token: str | None = None
    created_at: int = Field(sa_type=BigInteger)


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incidents"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: str = Field(foreign_key="bookings.id", index=True)
    kind: str
    detail: str = ""
    opened_at: int = Field(sa_type=BigInteger)
    closed_at: int | None = Field(default=None, sa_type=BigInteger)


class StandingOrderRow(SQLModel, table=True):
    __tablename__ = "standing_orders"

    id: int | None = Field(default=None, primary_key=True)
    rider_id: str = Field(foreign_key="riders.id", index=True)
    weekdays: list[int] = Field(default_factory=list, sa_type=JSON)
    time_of_day: str
    time_kind: str
    origin: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    destination: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    passengers: int = 1
    wheelchairs: int = 0
    valid_from: str
    valid_until: str | None = None
    exceptions: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = True
    created_at: int = Field(sa_type=BigInteger)
    updated_at: int = Field(sa_type=BigInteger)


class UnmetRequestRow(SQLModel, table=True):
    """A request that got no offer: the unmet demand planners look at (kept like bookings)."""

    __tablename__ = "unmet_requests"

    id: int | None = Field(default=None, primary_key=True)
    asked_at: int = Field(sa_type=BigInteger, index=True)
    requested_at: int = Field(sa_type=BigInteger)
    origin_lat: float
    origin_lon: float
    destination_lat: float
    destination_lon: float
    passengers: int
    wheelchairs: int
    channel: str
    reason: str = ""


class StopProposalRow(SQLModel, table=True):
    """A resident's proposal for a new stop; public without who proposed it."""

    __tablename__ = "stop_proposals"

    id: int | None = Field(default=None, primary_key=True)
    lat: float
    lon: float
    reason: str
    channel: str
    status: str = Field(default="new", index=True)
    supports: int = 0
    decision_reason: str = ""
    decided_by: str | None = None
    decided_at: int | None = Field(default=None, sa_type=BigInteger)
    stop_id: str | None = None
    created_at: int = Field(sa_type=BigInteger)
