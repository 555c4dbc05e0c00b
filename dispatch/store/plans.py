"""Plan versions per vehicle and the stop events drivers report (deduplicated)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from dispatch.model import BookingId, VehicleId
from dispatch.store import convert
from dispatch.store.base import StoreBase
from dispatch.store.errors import DuplicateError
from dispatch.store.records import PlanVersion, StopEvent
from dispatch.store.tables import PlanVersionRow, StopEventRow


class PlanStore(StoreBase):
    def save_plan_version(self, plan: PlanVersion) -> None:
        """Store a vehicle's plan; raise ``DuplicateError`` if that version exists."""
        row = PlanVersionRow(vehicle_id=plan.vehicle_id, version=plan.version,
                             created_at=plan.created_at, stops=list(plan.stops))  # fmt: skip
        try:
            with self._db.transaction() as session:
                session.add(row)
        except IntegrityError as exc:
            raise DuplicateError(
                f"plan version {plan.version} of vehicle {plan.vehicle_id} exists"
            ) from exc

    def latest_plan_versions(self) -> dict[str, PlanVersion]:
        """The newest plan of every vehicle that has one, by vehicle id."""
        newest = (
            select(PlanVersionRow.vehicle_id, func.max(PlanVersionRow.version).label("version"))
            .group_by(col(PlanVersionRow.vehicle_id))
            .subquery()
        )
        statement = select(PlanVersionRow).join(
            newest,
            (col(PlanVersionRow.vehicle_id) == newest.c.vehicle_id)
            & (col(PlanVersionRow.version) == newest.c.version),
        )
        with self._db.transaction() as session:
            return {row.vehicle_id: convert.plan_version(row) for row in session.exec(statement)}

    def latest_plan_version(self, vehicle_id: str) -> PlanVersion | None:
        """The newest plan of one vehicle (for a reconnecting driver), if any."""
        statement = (
            select(PlanVersionRow)
            .where(PlanVersionRow.vehicle_id == vehicle_id)
            .order_by(col(PlanVersionRow.version).desc())
            .limit(1)
        )
        with self._db.transaction() as session:
            row = session.exec(statement).first()
            return None if row is None else convert.plan_version(row)

    def record_stop_event(self, stop_event: StopEvent) -> bool:
        """Store a driver's stop event; ``False`` if its message id was seen before.

        The unique ``(vehicle_id, client_message_id)`` constraint decides, so two
        concurrent deliveries of one message store it once.
        """
        row = StopEventRow(
            vehicle_id=stop_event.vehicle_id,
            booking_id=stop_event.booking_id,
            stop_kind=stop_event.stop_kind,
            event=stop_event.event,
            at=stop_event.at,
            client_message_id=stop_event.client_message_id,
            recorded_at=self._clock(),
        )
        try:
            with self._db.transaction() as session:
                session.add(row)
        except IntegrityError:
            if stop_event.client_message_id is not None and self._seen(stop_event):
                return False
            raise
        return True

    def _seen(self, stop_event: StopEvent) -> bool:
        statement = select(StopEventRow.id).where(
            StopEventRow.vehicle_id == stop_event.vehicle_id,
            StopEventRow.client_message_id == stop_event.client_message_id,
        )
        with self._db.transaction() as session:
            return session.exec(statement).first() is not None

    def list_stop_events(
        self, *, vehicle_id: str | None = None, booking_id: str | None = None
    ) -> list[StopEvent]:
        statement = select(StopEventRow)
        if vehicle_id is not None:
            statement = statement.where(StopEventRow.vehicle_id == vehicle_id)
        if booking_id is not None:
            statement = statement.where(StopEventRow.booking_id == booking_id)
        with self._db.transaction() as session:
            rows = session.exec(statement.order_by(col(StopEventRow.id)))
            return [
                StopEvent(
                    VehicleId(r.vehicle_id),
                    None if r.booking_id is None else BookingId(r.booking_id),
                    r.stop_kind,
                    r.event,
                    r.at,
                    r.client_message_id,
                )
                for r in rows
            ]
