"""Standing orders: a rider's recurring trips (dialysis, work, school), booked day by day.

An order says on which weekdays, at what local time, from where to where, between which
dates and except which dates. Each date inside the prebooking horizon becomes an
ordinary booking with the rider's promise; dates further ahead are booked as they come
into the horizon (``roll_all``, run at start-up and every hour). A date that cannot be
served is reported with the reason, and is not retried behind the rider's back: the
hotline calls the rider and books an alternative by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from dispatch.config import ServiceConfig
from dispatch.errors import DispatchError, InputError
from dispatch.model import BookingId, BookingStatus
from dispatch.service.booking import BookingService, PlaceInput, QuoteInput, RiderContact
from dispatch.store import Repository
from dispatch.store.errors import IdempotencyConflict, StandingOrderNotFound
from dispatch.store.records import Booking, Rider, StandingOrder

log = logging.getLogger(__name__)

Clock = Callable[[], int]


@dataclass(frozen=True, slots=True)
class DateOutcome:
    """What became of one date of a standing order."""

    day: date
    booking_id: str | None
    status: str  # "booked" | "not_served" | "cancelled" | a booking status
    reason: str = ""
    pickup_window: tuple[int, int] | None = None


class StandingOrders:
    """Creates standing orders and turns their dates into bookings."""

    def __init__(
        self,
        repo: Repository,
        booking: BookingService,
        config: ServiceConfig,
        clock: Clock,
    ) -> None:
        self.repo, self.booking, self.config, self.clock = repo, booking, config, clock

    # ---- orders -------------------------------------------------------------------------

    def create(self, order: StandingOrder) -> tuple[StandingOrder, list[DateOutcome]]:
        """Store the order and book every date of it inside the prebooking horizon."""
        self.repo.get_rider(order.rider_id)
        for place in (order.origin, order.destination):
            self.booking.resolve(PlaceInput(place.stop_id, place.lat, place.lon))
        stored = self.repo.create_standing_order(order)
        return stored, self.roll(stored)

    def cancel(self, rider_id: str, order_id: int) -> tuple[StandingOrder, list[BookingId]]:
        """Deactivate the order and cancel its bookings that have not started yet."""
        order = self.get(rider_id, order_id)
        stopped = self.repo.update_standing_order(replace(order, active=False))
        cancelled = []
        now = self.clock()
        for b in self._bookings(order):
            if b.status is BookingStatus.CONFIRMED and b.pickup_window_start > now:
                self.booking.cancel(b.id, None, agent=True)
                cancelled.append(b.id)
        return stopped, cancelled

    def get(self, rider_id: str, order_id: int) -> StandingOrder:
        order = self.repo.get_standing_order(order_id)
        if order.rider_id != rider_id:  # never show one rider's order under another's id
            raise StandingOrderNotFound(f"no standing order {order_id} for rider {rider_id}")
        return order

    def outcomes(self, order: StandingOrder) -> list[DateOutcome]:
        """The order's booked dates and its future dates inside the horizon, in order.

        A future date without a booking could not be served (it was tried when it came
        into the horizon); past dates without a booking are not listed.
        """
        booked = {self._day(b): b for b in self._bookings(order)}
        out = []
        for day in sorted(set(self.dates(order)) | set(booked)):
            b = booked.get(day)
            if b is None:
                out.append(DateOutcome(day, None, "not_served", "no booking could be made"))
            else:
                window = (b.pickup_window_start, b.pickup_window_end)
                out.append(DateOutcome(day, b.id, b.status.value, "", window))
        return out

    # ---- rolling forward ------------------------------------------------------------------

    def roll_all(self) -> int:
        """Book the dates that came into the horizon for every active order; returns how many."""
        made = 0
        for order in self.repo.list_standing_orders(active_only=True):
            try:
                made += sum(o.status == "booked" for o in self.roll(order))
            except DispatchError as exc:
                log.warning("standing order %s: %s", order.id, exc)
        return made

    def roll(self, order: StandingOrder) -> list[DateOutcome]:
        """Book each date of the order inside the horizon that has no booking yet."""
        handled = {self._day(b) for b in self._bookings(order)}
        rider = self.repo.get_rider(order.rider_id)
        outcomes = []
        for day in self.dates(order):
            if day in handled:
                continue
            outcomes.append(self._book_day(order, rider, day))
        return outcomes

    def dates(self, order: StandingOrder) -> list[date]:
        """The order's dates from now to the end of the prebooking horizon."""
        now = self.clock()
        today = datetime.fromtimestamp(now, self.config.zone).date()
        horizon = today + timedelta(days=self.config.booking.prebooking_horizon_days)
        first = date.fromisoformat(order.valid_from)
        last = (
            horizon
            if order.valid_until is None
            else min(horizon, date.fromisoformat(order.valid_until))
        )
        skip = set(order.exceptions)
        days = []
        day = max(first, today)
        while day <= last:
            wanted = day.weekday() in order.weekdays and day.isoformat() not in skip
            if wanted and self._at(order, day) > now:
                days.append(day)
            day += timedelta(days=1)
        return days

    def _book_day(self, order: StandingOrder, rider: Rider, day: date) -> DateOutcome:
        when = self._at(order, day)
        q = QuoteInput(
            PlaceInput(order.origin.stop_id, order.origin.lat, order.origin.lon),
            PlaceInput(order.destination.stop_id, order.destination.lat, order.destination.lon),
            depart_after=when if order.time_kind == "depart_after" else None,
            arrive_by=when if order.time_kind == "arrive_by" else None,
            passengers=order.passengers,
            wheelchairs=order.wheelchairs,
        ).with_needs(rider.needs)
        try:
            quote = self.booking.quote(q)
        except InputError as exc:  # e.g. a holiday without service
            return DateOutcome(day, None, "not_served", str(exc))
        if not quote.offers:
            return DateOutcome(day, None, "not_served", quote.reason or "no offer")
        offer_id = quote.offers[0].offer_id
        key = f"standing-order-{order.id}-{day.isoformat()}"
        body = {"standing_order_id": order.id, "date": day.isoformat(), "offer_id": offer_id}
        try:
            booked = self.booking.book(
                offer_id,
                RiderContact(rider.name, order.rider_id, "standing order"),
                key,
                body,
                standing_order_id=order.id,
            )
        except IdempotencyConflict:
            return DateOutcome(day, None, "booked", "booked before")
        except DispatchError as exc:
            return DateOutcome(day, None, "not_served", str(exc))
        booking = self.repo.get_booking(booked.booking_id)
        window = (booking.pickup_window_start, booking.pickup_window_end)
        return DateOutcome(day, booking.id, "booked", "", window)

    def _at(self, order: StandingOrder, day: date) -> int:
        local = datetime.combine(day, time.fromisoformat(order.time_of_day), self.config.zone)
        return int(local.timestamp())

    def _bookings(self, order: StandingOrder) -> list[Booking]:
        return [
            b
            for b in self.repo.list_bookings_for_rider(order.rider_id)
            if b.standing_order_id == order.id
        ]

    def _day(self, b: Booking) -> date:
        when = b.depart_after if b.depart_after is not None else b.arrive_by
        return datetime.fromtimestamp(when or b.pickup_window_start, self.config.zone).date()
