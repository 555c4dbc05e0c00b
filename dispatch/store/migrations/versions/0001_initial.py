"""Initial schema: riders, fleet, stops, offers, bookings, plans, events, idempotency.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EPOCH = sa.BigInteger


def _str(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _epoch(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, EPOCH(), nullable=nullable)


def _float(name: str, nullable: bool = False) -> sa.Column[float]:
    return sa.Column(name, sa.Float(), nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.JSON(), nullable=False)


def _serial() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def upgrade() -> None:
    _fleet_and_riders()
    _bookings()
    _plans_and_events()


def _fleet_and_riders() -> None:
    op.create_table(
        "riders",
        _str("id"), _str("name"), _str("phone", True), _str("language"), _json("needs"),
        _str("home_address", True), _float("home_lat", True), _float("home_lon", True),
        _epoch("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone", name="uq_riders_phone"),
    )  # fmt: skip
    op.create_table(
        "vehicles",
        _str("id"), _str("name"), _int("seats"), _int("wheelchair_places"),
        _float("depot_lat"), _float("depot_lon"), _str("device_token_hash", True),
        _float("last_lat", True), _float("last_lon", True), _epoch("last_at", True),
        sa.PrimaryKeyConstraint("id"),
    )  # fmt: skip
    op.create_table(
        "shifts",
        _serial(), _str("vehicle_id"), _epoch("start_at"), _epoch("end_at"),
        _float("start_depot_lat"), _float("start_depot_lon"),
        _float("end_depot_lat"), _float("end_depot_lon"), _json("breaks"), _str("status"),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"]),
        sa.UniqueConstraint("vehicle_id", "start_at", name="uq_shifts_vehicle_start"),
    )  # fmt: skip
    op.create_index("ix_shifts_vehicle_id", "shifts", ["vehicle_id"])
    op.create_table(
        "stops",
        _str("id"), _str("name"), _float("lat"), _float("lon"), _str("source"),
        sa.Column("node", EPOCH(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )  # fmt: skip
    op.create_table(
        "standing_orders",
        _serial(), _str("rider_id"), _json("weekdays"), _str("time_of_day"), _str("time_kind"),
        _json("origin"), _json("destination"), _int("passengers"), _int("wheelchairs"),
        _str("valid_from"), _str("valid_until", True), _json("exceptions"),
        sa.Column("active", sa.Boolean(), nullable=False),
        _epoch("created_at"), _epoch("updated_at"),
        sa.ForeignKeyConstraint(["rider_id"], ["riders.id"]),
    )  # fmt: skip
    op.create_index("ix_standing_orders_rider_id", "standing_orders", ["rider_id"])


def _bookings() -> None:
    op.create_table(
        "offers",
        _str("offer_id"), _str("quote_id"), _json("request"), _json("promise"),
        _str("vehicle_id", True), _epoch("expires_at"), _epoch("created_at"),
        _str("consumed_by", True),
        sa.PrimaryKeyConstraint("offer_id"),
    )  # fmt: skip
    op.create_index("ix_offers_quote_id", "offers", ["quote_id"])
    op.create_table(
        "bookings",
        _str("id"), _str("rider_id", True), _str("status"),
        _str("origin_stop_id", True), _str("origin_name"), _float("origin_lat"),
        _float("origin_lon"), sa.Column("origin_node", EPOCH(), nullable=True),
        _str("destination_stop_id", True), _str("destination_name"),
        _float("destination_lat"), _float("destination_lon"),
        sa.Column("destination_node", EPOCH(), nullable=True),
        _int("passengers"), _int("wheelchairs"), _int("extra_boarding_s"),
        _epoch("depart_after", True), _epoch("arrive_by", True),
        _epoch("pickup_window_start"), _epoch("pickup_window_end"), _epoch("latest_arrival"),
        _epoch("planned_pickup", True), _epoch("planned_dropoff", True),
        _str("vehicle_id", True), _epoch("boarded_at", True), _str("access_token_hash", True),
        _str("notes"), _int("standing_order_id", True),
        _epoch("created_at"), _epoch("updated_at"), _int("version"),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["rider_id"], ["riders.id"]),
    )  # fmt: skip
    for column in ("rider_id", "status", "vehicle_id"):
        op.create_index(f"ix_bookings_{column}", "bookings", [column])
    op.create_table(
        "booking_events",
        _serial(), _str("booking_id"), _str("status"), _epoch("at"), _str("detail"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
    )  # fmt: skip
    op.create_index("ix_booking_events_booking_id", "booking_events", ["booking_id"])
    op.create_table(
        "idempotency_keys",
        _str("scope"), _str("key"), _str("request_hash"), _str("resource_id", True),
        _int("status_code"),
        _json("response"), _epoch("created_at"),
        sa.PrimaryKeyConstraint("scope", "key"),
    )  # fmt: skip


def _plans_and_events() -> None:
    op.create_table(
        "plan_versions",
        _serial(), _str("vehicle_id"), _int("version"), _epoch("created_at"), _json("stops"),
        sa.UniqueConstraint("vehicle_id", "version", name="uq_plan_versions_vehicle_version"),
    )  # fmt: skip
    op.create_index("ix_plan_versions_vehicle_id", "plan_versions", ["vehicle_id"])
    op.create_table(
        "stop_events",
        _serial(), _str("vehicle_id"), _str("booking_id", True), _str("stop_kind"),
        _str("event"), _epoch("at"), _str("client_message_id", True), _epoch("recorded_at"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"]),
        sa.UniqueConstraint("vehicle_id", "client_message_id", name="uq_stop_events_message"),
    )  # fmt: skip
    op.create_index("ix_stop_events_vehicle_id", "stop_events", ["vehicle_id"])
    op.create_index("ix_stop_events_booking_id", "stop_events", ["booking_id"])


def downgrade() -> None:
    for table in (
        "stop_events", "plan_versions", "idempotency_keys", "booking_events", "bookings",
        "offers", "standing_orders", "stops", "shifts", "vehicles", "riders",
    ):  # fmt: skip
        op.drop_table(table)
