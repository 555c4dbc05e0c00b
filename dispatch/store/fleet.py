"""Vehicles, their shifts, and the virtual stops they serve."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import update
from sqlmodel import Session, col, select

from dispatch.store import convert
from dispatch.store.base import StoreBase
from dispatch.store.errors import ShiftNotFound, VehicleNotFound
from dispatch.store.records import ShiftRecord, ShiftStatus, StopRecord, VehicleRecord
from dispatch.store.tables import ShiftRow, StopRow, VehicleRow


class FleetStore(StoreBase):
    def upsert_vehicle(self, vehicle: VehicleRecord) -> VehicleRecord:
        """Insert or update a vehicle from the service definition.

        Keeps the last known position; keeps the device token hash unless a new one
        is given.
        """
        with self._db.transaction() as session:
            row = session.get(VehicleRow, vehicle.id)
            if row is None:
                row = VehicleRow(id=vehicle.id, name=vehicle.name, seats=0, wheelchair_places=0,
                                 depot_lat=0.0, depot_lon=0.0)  # fmt: skip
                session.add(row)
            row.name, row.seats = vehicle.name, vehicle.seats
            row.wheelchair_places = vehicle.wheelchair_places
            row.depot_lat, row.depot_lon = vehicle.depot_lat, vehicle.depot_lon
            if vehicle.device_token_hash is not None:
                row.device_token_hash = vehicle.device_token_hash
            session.flush()
            return convert.vehicle(row)

    def set_device_token_hash(self, vehicle_id: str, token_hash: str) -> None:
        """Replace the vehicle's device token (its hash); the old token stops working."""
        with self._db.transaction() as session:
            _vehicle_row(session, vehicle_id).device_token_hash = token_hash

    def get_vehicle(self, vehicle_id: str) -> VehicleRecord:
        with self._db.transaction() as session:
            return convert.vehicle(_vehicle_row(session, vehicle_id))

    def list_vehicles(self) -> list[VehicleRecord]:
        with self._db.transaction() as session:
            rows = session.exec(select(VehicleRow).order_by(col(VehicleRow.id)))
            return [convert.vehicle(row) for row in rows]

    def update_vehicle_position(self, vehicle_id: str, lat: float, lon: float, at: int) -> bool:
        """Store the vehicle's position; an older report than the stored one is ignored."""
        statement = (
            update(VehicleRow)
            .where(col(VehicleRow.id) == vehicle_id)
            .where(col(VehicleRow.last_at).is_(None) | (col(VehicleRow.last_at) <= at))
            .values(last_lat=lat, last_lon=lon, last_at=at)
        )
        with self._db.transaction() as session:
            if session.exec(statement).rowcount == 1:
                return True
            _vehicle_row(session, vehicle_id)
            return False

    def add_shift(self, shift: ShiftRecord) -> ShiftRecord:
        """Insert a shift, or update the one of this vehicle starting at the same instant."""
        with self._db.transaction() as session:
            _vehicle_row(session, shift.vehicle_id)
            statement = select(ShiftRow).where(
                ShiftRow.vehicle_id == shift.vehicle_id, ShiftRow.start_at == shift.start_at
            )
            row = session.exec(statement).first()
            if row is None:
                row = ShiftRow(vehicle_id=shift.vehicle_id, start_at=shift.start_at, end_at=0,
                               start_depot_lat=0.0, start_depot_lon=0.0,
                               end_depot_lat=0.0, end_depot_lon=0.0)  # fmt: skip
                session.add(row)
            _fill_shift(row, shift)
            session.flush()
            return convert.shift(row)

    def list_shifts(
        self, vehicle_id: str | None = None, *, ending_after: int | None = None,
        starting_before: int | None = None,
    ) -> list[ShiftRecord]:  # fmt: skip
        """Shifts, optionally of one vehicle and overlapping ``[ending_after, starting_before]``."""
        statement = select(ShiftRow)
        if vehicle_id is not None:
            statement = statement.where(ShiftRow.vehicle_id == vehicle_id)
        if ending_after is not None:
            statement = statement.where(col(ShiftRow.end_at) >= ending_after)
        if starting_before is not None:
            statement = statement.where(col(ShiftRow.start_at) <= starting_before)
        statement = statement.order_by(col(ShiftRow.start_at), col(ShiftRow.vehicle_id))
        with self._db.transaction() as session:
            return [convert.shift(row) for row in session.exec(statement)]

    def set_shift_status(self, shift_id: int, status: ShiftStatus) -> ShiftRecord:
        with self._db.transaction() as session:
            row = session.get(ShiftRow, shift_id)
            if row is None:
                raise ShiftNotFound(f"no shift {shift_id}")
            row.status = status.value
            session.flush()
            return convert.shift(row)

    def upsert_stops(self, stops: Iterable[StopRecord]) -> int:
        """Insert or update virtual stops by id; returns how many were written."""
        count = 0
        with self._db.transaction() as session:
            for stop in stops:
                row = session.get(StopRow, stop.id) or StopRow(
                    id=stop.id, name="", lat=0.0, lon=0.0, source=""
                )
                row.name, row.lat, row.lon = stop.name, stop.lat, stop.lon
                row.source, row.node = stop.source.value, stop.node
                session.add(row)
                count += 1
        return count

    def list_stops(self) -> list[StopRecord]:
        with self._db.transaction() as session:
            return [
                convert.stop(r) for r in session.exec(select(StopRow).order_by(col(StopRow.id)))
            ]


def _vehicle_row(session: Session, vehicle_id: str) -> VehicleRow:
    row = session.get(VehicleRow, vehicle_id)
    if row is None:
        raise VehicleNotFound(f"no vehicle {vehicle_id}")
    return row


def _fill_shift(row: ShiftRow, shift: ShiftRecord) -> None:
    row.end_at = shift.end_at
    row.start_depot_lat, row.start_depot_lon = shift.start_depot_lat, shift.start_depot_lon
    row.end_depot_lat, row.end_depot_lon = shift.end_depot_lat, shift.end_depot_lon
    row.breaks = [{"start_at": b.start_at, "end_at": b.end_at} for b in shift.breaks]
    row.status = shift.status.value
