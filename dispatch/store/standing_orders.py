"""Standing orders: a rider's recurring trips, kept until cancelled or expired."""

from __future__ import annotations

from datetime import date, time

from sqlmodel import Session, col, select

from dispatch.errors import InputError
from dispatch.store import convert
from dispatch.store.base import StoreBase
from dispatch.store.errors import StandingOrderNotFound
from dispatch.store.records import StandingOrder
from dispatch.store.tables import StandingOrderRow

TIME_KINDS = ("depart_after", "arrive_by")


class StandingOrderStore(StoreBase):
    def create_standing_order(self, order: StandingOrder) -> StandingOrder:
        _check(order)
        now = self._clock()
        row = StandingOrderRow(rider_id=order.rider_id, time_of_day=order.time_of_day,
                               time_kind=order.time_kind, valid_from=order.valid_from,
                               created_at=now, updated_at=now)  # fmt: skip
        _fill(row, order)
        with self._db.transaction() as session:
            session.add(row)
            session.flush()
            return convert.standing_order(row)

    def get_standing_order(self, order_id: int) -> StandingOrder:
        with self._db.transaction() as session:
            return convert.standing_order(_row(session, order_id))

    def list_standing_orders(
        self, rider_id: str | None = None, *, active_only: bool = True
    ) -> list[StandingOrder]:
        statement = select(StandingOrderRow)
        if rider_id is not None:
            statement = statement.where(StandingOrderRow.rider_id == rider_id)
        if active_only:
            statement = statement.where(col(StandingOrderRow.active).is_(True))
        with self._db.transaction() as session:
            rows = session.exec(statement.order_by(col(StandingOrderRow.id)))
            return [convert.standing_order(row) for row in rows]

    def update_standing_order(self, order: StandingOrder) -> StandingOrder:
        """Replace every field of the stored order ``order.id`` (rider and creation stay)."""
        if order.id is None:
            raise InputError("a standing order to update needs its id")
        _check(order)
        with self._db.transaction() as session:
            row = _row(session, order.id)
            _fill(row, order)
            row.updated_at = self._clock()
            session.flush()
            return convert.standing_order(row)

    def delete_standing_order(self, order_id: int) -> None:
        with self._db.transaction() as session:
            session.delete(_row(session, order_id))


def _row(session: Session, order_id: int) -> StandingOrderRow:
    row = session.get(StandingOrderRow, order_id)
    if row is None:
        raise StandingOrderNotFound(f"no standing order {order_id}")
    return row


def _fill(row: StandingOrderRow, order: StandingOrder) -> None:
    row.weekdays = sorted(set(order.weekdays))
    row.time_of_day, row.time_kind = order.time_of_day, order.time_kind
    row.origin = convert.place_json(order.origin)
    row.destination = convert.place_json(order.destination)
    row.passengers, row.wheelchairs = order.passengers, order.wheelchairs
    row.valid_from, row.valid_until = order.valid_from, order.valid_until
    row.exceptions = sorted(set(order.exceptions))
    row.active = order.active


def _check(order: StandingOrder) -> None:
    """Reject values the booking generator could not use later."""
    if not order.weekdays or any(not 0 <= d <= 6 for d in order.weekdays):
        raise InputError("weekdays must be 0 (Monday) … 6 (Sunday), at least one")
    if order.time_kind not in TIME_KINDS:
        raise InputError(f"time_kind must be one of {TIME_KINDS}")
    if order.passengers < 1 or not 0 <= order.wheelchairs <= order.passengers:
        raise InputError("at least one passenger; wheelchairs between 0 and passengers")
    try:
        time.fromisoformat(order.time_of_day)
        first = date.fromisoformat(order.valid_from)
        last = None if order.valid_until is None else date.fromisoformat(order.valid_until)
        for day in order.exceptions:
            date.fromisoformat(day)
    except ValueError as exc:
        raise InputError(f"standing order: {exc}") from None
    if last is not None and last < first:
        raise InputError("valid_until is before valid_from")
