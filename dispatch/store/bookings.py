"""Bookings: confirmed exactly once, then moved through their statuses with a history."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dispatch.model import BookingId, BookingStatus
from dispatch.store import convert
from dispatch.store.base import StoreBase
from dispatch.store.errors import (
    BookingNotFound,
    DuplicateError,
    IdempotencyConflict,
    InvalidTransition,
    OfferAlreadyUsed,
    StaleVersion,
)
from dispatch.store.offers import consume_offer
from dispatch.store.records import (
    BOOKING_TRANSITIONS,
    OPEN_BOOKING_STATUSES,
    Booking,
    BookingEvent,
    ConfirmResult,
    NewBooking,
)
from dispatch.store.sealing import key_digest, seal, unseal
from dispatch.store.tables import BookingEventRow, BookingRow, IdempotencyKeyRow

ResponseBuilder = Callable[[Booking], dict[str, Any]]
CONFIRM_SCOPE = "confirm_booking"


class BookingStore(StoreBase):
    def confirm_booking(
        self,
        offer_id: str,
        booking: NewBooking,
        *,
        idempotency_key: str | None,
        request_hash: str,
        response_builder: ResponseBuilder,
        status_code: int = 201,
        now: int | None = None,
    ) -> ConfirmResult:
        """Turn an offer into a booking, all in one transaction, at most once.

        A retry with the same key and request hash gets the stored response back
        (``replayed=True``), also when it races the first call; the same key with a
        different request raises ``IdempotencyConflict``; a second booking of the
        offer raises ``OfferAlreadyUsed``; an expired offer ``OfferExpired``.
        """
        at = self._clock() if now is None else now
        try:
            with self._db.transaction() as session:
                stored = stored_response(session, idempotency_key, request_hash)
                if stored is not None:
                    return stored
                return confirm_in(
                    session,
                    offer_id,
                    booking,
                    idempotency_key=idempotency_key,
                    request_hash=request_hash,
                    response_builder=response_builder,
                    status_code=status_code,
                    at=at,
                )
        except (IntegrityError, OfferAlreadyUsed) as exc:
            stored = self._replay(idempotency_key, request_hash)
            if stored is not None:
                return stored
            if isinstance(exc, IntegrityError):
                raise DuplicateError(f"booking {booking.booking_id} exists") from exc
            raise

    def _replay(self, key: str | None, request_hash: str) -> ConfirmResult | None:
        return self.stored_confirmation(key, request_hash)

    def stored_confirmation(self, key: str | None, request_hash: str) -> ConfirmResult | None:
        """The stored answer to an earlier booking with ``key`` (``IdempotencyConflict`` if
        the key came with another request), or ``None``."""
        if key is None:
            return None
        with self._db.transaction() as session:
            return stored_response(session, key, request_hash)

    def get_booking(self, booking_id: str) -> Booking:
        with self._db.transaction() as session:
            return convert.booking(_booking_row(session, booking_id))

    def list_bookings_for_rider(self, rider_id: str) -> list[Booking]:
        statement = (
            select(BookingRow)
            .where(BookingRow.rider_id == rider_id)
            .order_by(col(BookingRow.pickup_window_start), col(BookingRow.id))
        )
        with self._db.transaction() as session:
            return [convert.booking(row) for row in session.exec(statement)]

    def list_bookings_between(self, start: int, end: int, limit: int = 1000) -> list[Booking]:
        """Bookings whose pickup window starts in ``[start, end)``, any status (dispatcher view)."""
        statement = (
            select(BookingRow)
            .where(col(BookingRow.pickup_window_start) >= start)
            .where(col(BookingRow.pickup_window_start) < end)
            .order_by(col(BookingRow.pickup_window_start), col(BookingRow.id))
            .limit(limit)
        )
        with self._db.transaction() as session:
            return [convert.booking(row) for row in session.exec(statement)]

    def list_open_bookings(self) -> list[Booking]:
        """Bookings the engine must serve (confirmed or on board), for recovery."""
        statuses = [s.value for s in OPEN_BOOKING_STATUSES]
        statement = (
            select(BookingRow)
            .where(col(BookingRow.status).in_(statuses))
            .order_by(col(BookingRow.pickup_window_start), col(BookingRow.id))
        )
        with self._db.transaction() as session:
            return [convert.booking(row) for row in session.exec(statement)]

    def booking_events(self, booking_id: str) -> list[BookingEvent]:
        statement = (
            select(BookingEventRow)
            .where(BookingEventRow.booking_id == booking_id)
            .order_by(col(BookingEventRow.id))
        )
        with self._db.transaction() as session:
            return [
                BookingEvent(BookingId(r.booking_id), BookingStatus(r.status), r.at, r.detail)
                for r in session.exec(statement)
            ]

    def update_booking_status(
        self,
        booking_id: str,
        status: BookingStatus,
        at: int,
        *,
        detail: str = "",
        expected_version: int | None = None,
    ) -> Booking:
        """Move a booking to ``status`` and record the event; bump its version.

        Repeating the current status is a no-op. ``expected_version`` (optimistic
        locking): raise ``StaleVersion`` if the booking changed since it was read.
        """
        with self._db.transaction() as session:
            row = _booking_row(session, booking_id)
            if expected_version is not None and row.version != expected_version:
                raise StaleVersion(f"booking {booking_id} is at version {row.version}")
            change_status_in(session, row, status, at, detail)
            return convert.booking(row)

    def cancel_booking(
        self, booking_id: str, at: int, *, detail: str = "", expected_version: int | None = None
    ) -> Booking:
        return self.update_booking_status(
            booking_id,
            BookingStatus.CANCELLED,
            at,
            detail=detail or "cancelled",
            expected_version=expected_version,
        )

    def update_planned_times(
        self, assignments: Iterable[tuple[str, str | None, int | None, int | None]], at: int
    ) -> None:
        """Store ``(booking_id, vehicle_id, planned_pickup, planned_dropoff)`` for many bookings.

        Plan details, not state changes: no event and no version bump.
        """
        with self._db.transaction() as session:
            for booking_id, vehicle_id, pickup, dropoff in assignments:
                statement = (
                    update(BookingRow)
                    .where(col(BookingRow.id) == booking_id)
                    .values(
                        vehicle_id=vehicle_id,
                        planned_pickup=pickup,
                        planned_dropoff=dropoff,
                        updated_at=at,
                    )
                )
                session.exec(statement)


def confirm_in(
    session: Session,
    offer_id: str,
    booking: NewBooking,
    *,
    idempotency_key: str | None,
    request_hash: str,
    response_builder: ResponseBuilder,
    status_code: int,
    at: int,
) -> ConfirmResult:
    """The writes of a confirmation, inside the caller's transaction (see ``confirm_booking``)."""
    consume_offer(session, offer_id, booking.booking_id, at)
    record = _insert_booking(session, booking, at)
    response = response_builder(record)
    if idempotency_key is not None:
        key = _KeyRecord(idempotency_key, request_hash, status_code, response)
        session.connection().execute(_KEYS.insert(), key.values(record.id, at))
    return ConfirmResult(record.id, status_code, response, replayed=False)


def change_status_in(
    session: Session, row: BookingRow, status: BookingStatus, at: int, detail: str = ""
) -> bool:
    """Move ``row`` to ``status`` with an event, in the caller's transaction; repeating the
    current status changes nothing (``False``). ``InvalidTransition`` if not allowed."""
    current = BookingStatus(row.status)
    if status == current:
        return False
    if status not in BOOKING_TRANSITIONS[current]:
        raise InvalidTransition(f"booking {row.id} is {current}, cannot be {status}")
    _set_status(session, row, status, at)
    session.add(BookingEventRow(booking_id=row.id, status=status, at=at, detail=detail))
    return True


def booking_row_in(session: Session, booking_id: str) -> BookingRow:
    return _booking_row(session, booking_id)


def _booking_row(session: Session, booking_id: str) -> BookingRow:
    row = session.get(BookingRow, booking_id)
    if row is None:
        raise BookingNotFound(f"no booking {booking_id}")
    return row


def _set_status(session: Session, row: BookingRow, status: BookingStatus, at: int) -> None:
    values: dict[str, Any] = {"status": status.value, "updated_at": at, "version": row.version + 1}
    if status == BookingStatus.ON_BOARD:
        values["boarded_at"] = at
    statement = (
        update(BookingRow)
        .where(col(BookingRow.id) == row.id, col(BookingRow.version) == row.version)
        .values(**values)
    )
    if session.exec(statement).rowcount != 1:
        raise StaleVersion(f"booking {row.id} changed concurrently")
    session.refresh(row)


def _insert_booking(session: Session, booking: NewBooking, at: int) -> Booking:
    """The booking and its first event, as two plain INSERTs (the engine's hot path: no
    ORM objects, nothing to flush)."""
    connection = session.connection()
    connection.execute(_BOOKINGS.insert(), convert.booking_values(booking, at))
    event = {"booking_id": booking.booking_id, "status": BookingStatus.CONFIRMED.value,
             "at": at, "detail": "confirmed"}  # fmt: skip
    connection.execute(_BOOKING_EVENTS.insert(), event)
    return convert.new_booking(booking, at)


_BOOKINGS = BookingRow.__table__  # type: ignore[attr-defined]
_BOOKING_EVENTS = BookingEventRow.__table__  # type: ignore[attr-defined]
_KEYS = IdempotencyKeyRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class _KeyRecord:
    key: str
    request_hash: str
    status_code: int
    response: dict[str, Any]

    def values(self, booking_id: str, at: int) -> dict[str, Any]:
        """The stored answer: without the access token, which is kept sealed (see sealing)."""
        response = dict(self.response)
        token = response.pop("access_token", None)
        sealed = None
        if isinstance(token, str):
            sealed = seal(token, self.key, CONFIRM_SCOPE, booking_id)
        return {
            "scope": CONFIRM_SCOPE,
            "key": key_digest(self.key),
            "request_hash": self.request_hash,
            "resource_id": booking_id,
            "status_code": self.status_code,
            "response": response,
            "sealed_token": sealed,
            "created_at": at,
        }


def stored_response(session: Session, key: str | None, request_hash: str) -> ConfirmResult | None:
    if key is None:
        return None
    row = session.get(IdempotencyKeyRow, (CONFIRM_SCOPE, key_digest(key)))
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise IdempotencyConflict("this Idempotency-Key was used with a different request")
    response = dict(row.response)
    if row.sealed_token is not None:
        token = unseal(row.sealed_token, key, CONFIRM_SCOPE, row.resource_id or "")
        if token is not None:
            response["access_token"] = token
    booking = BookingId(row.resource_id or "")
    return ConfirmResult(booking, row.status_code, response, replayed=True)
