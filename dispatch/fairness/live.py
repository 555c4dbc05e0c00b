"""The fairness option in the live booking service: the day's groups from its own history.

Replays count requests as they go (:class:`~dispatch.fairness.guard.FairnessGuard`);
the live service has a database, so it asks it. When a wheelchair user's request gets no
offer, the service day of the requested pickup is read: its bookings (not cancelled)
and the requests that got no offer. A booking a bus served or holds a promise for counts
as served, like in the dispatcher view and the open data. Only a refused wheelchair
user's request costs this read; every other quote goes on as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dispatch.booking_rules import time_problem
from dispatch.config import ServiceConfig
from dispatch.engine.events import TripSpec
from dispatch.fairness.guard import FairnessGuard, FairnessParams, trails
from dispatch.opendata.trips import SERVED
from dispatch.store.history import TripRecord, UnmetRequest


class DayHistory(Protocol):
    def trips_between(self, start: int, end: int) -> list[TripRecord]: ...

    def unmet_between(self, start: int, end: int) -> list[UnmetRequest]: ...


@dataclass(frozen=True, slots=True)
class LiveGap:
    """Where a service day stands against the bound (for the dispatcher view)."""

    day: date
    max_gap: float
    extra_wait_min: int
    wheelchair_share: float | None
    others_share: float | None

    @property
    def trailing_by(self) -> float | None:
        """Others' served share minus wheelchair users' (negative: wheelchair users ahead)."""
        if self.wheelchair_share is None or self.others_share is None:
            return None
        return round(self.others_share - self.wheelchair_share, 4)

    @property
    def asks_again(self) -> bool:
        """Whether a wheelchair user's refused request is asked once more right now."""
        return trails(self.wheelchair_share, self.others_share, self.max_gap)


class LiveFairness:
    def __init__(self, params: FairnessParams, history: DayHistory, config: ServiceConfig) -> None:
        self.params = params
        self.history = history
        self.config = config

    def second_chance(self, spec: TripSpec, now: int) -> TripSpec | None:
        """The refused request asked later, if wheelchair users trail that day (else None)."""
        if spec.wheelchairs == 0 or spec.depart_after is None:
            return None
        later = self.guard(self.day_of(spec.depart_after)).second_chance(spec)
        if later is None or later.depart_after is None:
            return None
        if time_problem(self.config, later.depart_after, now) is not None:
            return None  # e.g. after the service's hours
        return later

    def guard(self, day: date) -> FairnessGuard:
        """A guard that has counted the day's requests so far."""
        guard = FairnessGuard(self.params)
        trips, unmet = self._day(day)
        for t in trips:
            if t.status != "cancelled":
                guard.record(t.wheelchairs > 0, t.status in SERVED)
        for u in unmet:
            guard.record(u.wheelchairs > 0, False)
        return guard

    def gap(self, day: date) -> LiveGap:
        guard = self.guard(day)
        return LiveGap(
            day, self.params.max_gap, self.params.extra_wait_s // 60,
            guard.share(True), guard.share(False),
        )  # fmt: skip

    def day_of(self, t: int) -> date:
        return datetime.fromtimestamp(t, self.config.zone).date()

    def _day(self, day: date) -> tuple[Sequence[TripRecord], Sequence[UnmetRequest]]:
        start, end = day_bounds(day, self.config.zone)
        return self.history.trips_between(start, end), self.history.unmet_between(start, end)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[int, int]:
    """The service day's first and (exclusive) last instant, in epoch seconds."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())


def live_fairness(config: ServiceConfig, history: DayHistory) -> LiveFairness | None:
    """The option as the service definition sets it (``[booking] fairness_max_gap``)."""
    gap = config.booking.fairness_max_gap
    if gap is None:
        return None
    params = FairnessParams(gap, config.booking.fairness_extra_wait_min * 60)
    return LiveFairness(params, history, config)
