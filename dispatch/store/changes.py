"""What one engine decision changes in the database, written in one transaction.

The engine decides (a booking placed, a rider boarded, a plan re-optimised); the
service writes everything that decision changed — the new booking, status changes, the
new plan versions, and which bus each affected booking rides with its planned times —
together or not at all. So the database is always the truth of who rides which bus:
a booking's ``vehicle_id`` is the vehicle whose latest stored plan holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Update, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dispatch.errors import ConflictError
from dispatch.model import BookingId, BookingStatus, ShiftId
from dispatch.store.base import StoreBase
from dispatch.store.bookings import booking_row_in, change_status_in, confirm_in, stored_response
from dispatch.store.errors import OfferAlreadyUsed
from dispatch.store.records import (
    Booking,
    ConfirmResult,
    NewBooking,
    PlanVersion,
    StopEvent,
)
from dispatch.store.tables import BookingRow, IncidentRow, PlanVersionRow, StopEventRow

UNPLACED = "unplaced"


class AlreadyConfirmed(ConflictError):
    """The Idempotency-Key has a stored answer already (a concurrent first attempt won)."""

    def __init__(self, stored: ConfirmResult) -> None:
        super().__init__("this booking was made already")
        self.stored = stored


class DuplicateStopEvent(ConflictError):
    """The driver's message was stored before: it takes effect once."""


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A new booking from an offer, with the idempotency key that answers its retries."""

    offer_id: str
    booking: NewBooking
    idempotency_key: str | None
    request_hash: str
    response_builder: Callable[[Booking], dict[str, Any]]
    status_code: int = 201


@dataclass(frozen=True, slots=True)
class StatusChange:
    booking_id: BookingId
    status: BookingStatus
    at: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Assignment:
    """Which vehicle a booking rides and when; ``None`` times are left as stored."""

    booking_id: BookingId
    vehicle_id: ShiftId | None
    planned_pickup: int | None
    planned_dropoff: int | None


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A confirmed booking no vehicle's plan can take: an incident for the dispatcher."""

    booking_id: BookingId
    reason: str
    at: int


@dataclass
class ChangeBatch:
    at: int
    confirmation: Confirmation | None = None
    stop_event: StopEvent | None = None
    statuses: list[StatusChange] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    plans: list[PlanVersion] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    #: Bookings that were unplaced and have a vehicle again (their incident is closed).
    placed_again: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not (
            self.confirmation
            or self.stop_event
            or self.statuses
            or self.unplaced
            or self.plans
            or self.assignments
        )


class ChangeStore(StoreBase):
    #: Called first in every change transaction (the production shape's engine checks
    #: there that it still leads its area, see ``dispatch.store.leadership``).
    fence: Callable[[Session], None] | None = None

    def apply_changes(self, batch: ChangeBatch) -> ConfirmResult | None:
        """Write the batch in one transaction; the new booking's answer, if it has one.

        Raises ``AlreadyConfirmed`` (the key's stored answer exists), the offer's
        conflicts (``OfferAlreadyUsed``, ``OfferExpired``), ``DuplicateStopEvent``,
        ``InvalidTransition`` or ``StoreUnavailable``; then nothing was written.
        """
        try:
            with self._db.transaction() as session:
                if self.fence is not None:
                    self.fence(session)
                result = _confirm(session, batch)
                if batch.stop_event is not None:
                    _record_stop_event(session, batch.stop_event, batch.at)
                for change in batch.statuses:
                    _status(session, change)
                for unplaced in batch.unplaced:
                    _unplace(session, unplaced)
                _add_plans(session, batch.plans)
                _assign(session, batch.assignments, batch.at)
                for booking_id in batch.placed_again:
                    _place_again(session, booking_id, batch.at)
                return result
        except (IntegrityError, OfferAlreadyUsed) as exc:
            stored = self._stored(batch.confirmation)
            if stored is not None:
                raise AlreadyConfirmed(stored) from exc
            raise

    def _stored(self, c: Confirmation | None) -> ConfirmResult | None:
        """The answer stored under the booking's Idempotency-Key, if another attempt with
        that key was first. The booking's transaction does not look it up beforehand (the
        API looked before it asked the engine): the key's primary key, or the offer used
        up by that attempt, makes the transaction fail, and only then is the key read."""
        if c is None or c.idempotency_key is None:
            return None
        with self._db.transaction() as session:
            return stored_response(session, c.idempotency_key, c.request_hash)


def _confirm(session: Session, batch: ChangeBatch) -> ConfirmResult | None:
    c = batch.confirmation
    if c is None:
        return None
    return confirm_in(
        session,
        c.offer_id,
        c.booking,
        idempotency_key=c.idempotency_key,
        request_hash=c.request_hash,
        response_builder=c.response_builder,
        status_code=c.status_code,
        at=batch.at,
    )


def _record_stop_event(session: Session, e: StopEvent, at: int) -> None:
    if e.client_message_id is not None:
        seen = select(StopEventRow.id).where(
            StopEventRow.vehicle_id == e.vehicle_id,
            StopEventRow.client_message_id == e.client_message_id,
        )
        if session.exec(seen).first() is not None:
            raise DuplicateStopEvent(f"message {e.client_message_id} was received before")
    session.add(
        StopEventRow(
            vehicle_id=e.vehicle_id,
            booking_id=e.booking_id,
            stop_kind=e.stop_kind,
            event=e.event,
            at=e.at,
            client_message_id=e.client_message_id,
            recorded_at=at,
        )
    )


def _status(session: Session, change: StatusChange) -> None:
    row = booking_row_in(session, change.booking_id)
    change_status_in(session, row, change.status, change.at, change.detail or change.status.value)
    if change.status is not BookingStatus.UNPLACED:
        _close_incidents(session, change.booking_id, change.at)


def _unplace(session: Session, u: Unplaced) -> None:
    """Confirmed → unplaced without a vehicle; a rider on board keeps status and bus."""
    row = booking_row_in(session, u.booking_id)
    if row.status in (BookingStatus.CONFIRMED.value, BookingStatus.UNPLACED.value):
        change_status_in(session, row, BookingStatus.UNPLACED, u.at, u.reason)
        session.exec(
            update(BookingRow).where(col(BookingRow.id) == u.booking_id).values(vehicle_id=None)
        )
    if _open_incident(session, u.booking_id) is None:
        session.add(IncidentRow(booking_id=u.booking_id, kind=UNPLACED, detail=u.reason,
                                opened_at=u.at))  # fmt: skip


def _place_again(session: Session, booking_id: str, at: int) -> None:
    row = booking_row_in(session, booking_id)
    if row.status == BookingStatus.UNPLACED.value:
        change_status_in(session, row, BookingStatus.CONFIRMED, at, "placed on a vehicle again")
    _close_incidents(session, booking_id, at)


def _open_incident(session: Session, booking_id: str) -> IncidentRow | None:
    statement = select(IncidentRow).where(
        IncidentRow.booking_id == booking_id, col(IncidentRow.closed_at).is_(None)
    )
    return session.exec(statement).first()


def _close_incidents(session: Session, booking_id: str, at: int) -> None:
    session.exec(
        update(IncidentRow)
        .where(col(IncidentRow.booking_id) == booking_id, col(IncidentRow.closed_at).is_(None))
        .values(closed_at=at)
    )


def _add_plans(session: Session, plans: Iterable[PlanVersion]) -> None:
    rows = [
        {"vehicle_id": p.vehicle_id, "version": p.version, "created_at": p.created_at,
         "stops": list(p.stops)}
        for p in plans
    ]  # fmt: skip
    if rows:
        session.connection().execute(_PLAN_VERSIONS.insert(), rows)


def _assign(session: Session, assignments: list[Assignment], at: int) -> None:
    """One executemany per shape: vehicle and both times, or vehicle and drop-off only."""
    connection = session.connection()
    for with_pickup, statement in _ASSIGN.items():
        rows = [
            {"b_id": a.booking_id, "b_vehicle": a.vehicle_id, "b_pickup": a.planned_pickup,
             "b_dropoff": a.planned_dropoff, "b_at": at}
            for a in assignments
            if (a.planned_pickup is not None) == with_pickup
        ]  # fmt: skip
        if rows:
            connection.execute(statement, rows)


_PLAN_VERSIONS = PlanVersionRow.__table__  # type: ignore[attr-defined]
_BOOKINGS = BookingRow.__table__  # type: ignore[attr-defined]


def _assignment_update(with_pickup: bool) -> Update:
    values: dict[str, Any] = {
        "vehicle_id": bindparam("b_vehicle"),
        "planned_dropoff": bindparam("b_dropoff"),
        "updated_at": bindparam("b_at"),
    }
    if with_pickup:
        values["planned_pickup"] = bindparam("b_pickup")
    return update(_BOOKINGS).where(_BOOKINGS.c.id == bindparam("b_id")).values(**values)


#: By whether the assignment has a planned pickup (``None``: the stored one stays).
_ASSIGN = {True: _assignment_update(True), False: _assignment_update(False)}
