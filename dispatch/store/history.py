"""The service's history for open data and planners: trips as they happened, unmet requests.

Rows are read in bulk with plain SQL columns (no ORM objects): a month holds tens of
thousands of bookings and the export must stay quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col, select

from dispatch.store.base import StoreBase
from dispatch.store.tables import BookingRow, StopEventRow, UnmetRequestRow


@dataclass(frozen=True, slots=True)
class TripRecord:
    """One booking as the history knows it (instants: UTC epoch seconds)."""

    booking_id: str
    status: str
    booked_at: int
    depart_after: int | None
    arrive_by: int | None
    origin_stop_id: str | None
    origin_lat: float
    origin_lon: float
    origin_node: int | None
    destination_stop_id: str | None
    destination_lat: float
    destination_lon: float
    destination_node: int | None
    passengers: int
    wheelchairs: int
    vehicle_id: str | None
    pickup_window_start: int
    pickup_window_end: int
    latest_arrival: int
    boarded_at: int | None
    alighted_at: int | None
    #: "phone" when a hotline agent booked for a registered caller, else "app".
    channel: str
    standing_order: bool

    @property
    def requested_at(self) -> int:
        value = self.depart_after if self.depart_after is not None else self.arrive_by
        return value if value is not None else self.pickup_window_start


@dataclass(frozen=True, slots=True)
class UnmetRequest:
    asked_at: int
    requested_at: int
    origin_lat: float
    origin_lon: float
    destination_lat: float
    destination_lon: float
    passengers: int
    wheelchairs: int
    channel: str
    reason: str


class HistoryStore(StoreBase):
    def trips_between(self, start: int, end: int) -> list[TripRecord]:
        """Bookings whose requested time lies in [start, end)."""
        b = BookingRow
        columns: list[Any] = [
            b.id, b.status, b.created_at, b.depart_after, b.arrive_by,
            b.origin_stop_id, b.origin_lat, b.origin_lon, b.origin_node,
            b.destination_stop_id, b.destination_lat, b.destination_lon, b.destination_node,
            b.passengers, b.wheelchairs, b.vehicle_id, b.pickup_window_start, b.pickup_window_end,
            b.latest_arrival, b.boarded_at, b.rider_id, b.standing_order_id,
        ]  # fmt: skip
        requested = col(b.pickup_window_start)
        query = sa_select(*columns).where(requested >= start - 7200, requested < end + 7200)
        with self._db.transaction() as session:
            rows: list[Any] = list(session.execute(query).all())
            alighted = dict(
                session.exec(
                    select(StopEventRow.booking_id, StopEventRow.at).where(
                        col(StopEventRow.event) == "alighted",
                        col(StopEventRow.at) >= start - 7200,
                    )
                ).all()
            )
        out = []
        for r in rows:
            trip = _record(tuple(r), alighted.get(r[0]))
            if start <= trip.requested_at < end:
                out.append(trip)
        return out

    def record_unmet(self, request: UnmetRequest) -> None:
        with self._db.transaction() as session:
            session.add(UnmetRequestRow(**{f: getattr(request, f) for f in _UNMET_FIELDS}))

    def unmet_between(self, start: int, end: int) -> list[UnmetRequest]:
        query = select(*(getattr(UnmetRequestRow, f) for f in _UNMET_FIELDS)).where(
            col(UnmetRequestRow.requested_at) >= start, col(UnmetRequestRow.requested_at) < end
        )
        with self._db.transaction() as session:
            return [UnmetRequest(*r) for r in session.exec(query).all()]


_UNMET_FIELDS = tuple(UnmetRequest.__dataclass_fields__)


def _record(r: tuple[Any, ...], alighted_at: int | None) -> TripRecord:
    channel = "phone" if r[20] else "app"
    values = (*r[:20], alighted_at, channel, r[21] is not None)
    return TripRecord(**dict(zip(TripRecord.__dataclass_fields__, values, strict=True)))
