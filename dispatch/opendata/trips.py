"""Trips and unmet requests reduced to what may be published: village, hour, group, figures.

Nothing personal leaves this module: no booking id, rider, name, phone, address or
coordinate — only the village (the nearest named place), the local date and hour, and
the rider group (wheelchair, booked by phone, standing order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np

from dispatch.roads.osm_file import NamedPoint
from dispatch.store.history import TripRecord, UnmetRequest

#: Statuses of a request a bus served or holds a promise for (a no-show was served: the bus came).
SERVED = frozenset({"completed", "on_board", "confirmed", "no_show"})


@dataclass(frozen=True, slots=True)
class PublicTrip:
    day: date
    hour: int
    origin: str
    destination: str
    served: bool
    wheelchair: bool
    phone: bool
    standing_order: bool
    wait_s: int | None = None
    ride_s: int | None = None
    late: bool = False


class Villages:
    """The nearest named place of a point (vectorised: a month is tens of thousands of points)."""

    def __init__(self, places: Sequence[NamedPoint]) -> None:
        self.names = [p.name for p in places]
        self.lat = np.array([p.lat for p in places])
        self.lon = np.array([p.lon for p in places])
        self.points = list(places)

    def of(self, lat: float, lon: float) -> str:
        k = np.cos(np.radians(lat))
        i = int(np.argmin((self.lat - lat) ** 2 + ((self.lon - lon) * k) ** 2))
        return self.names[i]


def public_trips(
    trips: Sequence[TripRecord], unmet: Sequence[UnmetRequest], villages: Villages, zone: ZoneInfo
) -> list[PublicTrip]:
    out = [_trip(t, villages, zone) for t in trips if t.status != "cancelled"]
    out += [_unmet(u, villages, zone) for u in unmet]
    return out


def _local(epoch: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(epoch, zone)


def _trip(t: TripRecord, villages: Villages, zone: ZoneInfo) -> PublicTrip:
    when = _local(t.requested_at, zone)
    wait = ride = None
    if t.boarded_at is not None:
        wait = max(0, t.boarded_at - (t.depart_after or t.pickup_window_start))
        if t.alighted_at is not None:
            ride = max(0, t.alighted_at - t.boarded_at)
    late = (t.boarded_at is not None and t.boarded_at > t.pickup_window_end) or (
        t.alighted_at is not None and t.alighted_at > t.latest_arrival
    )
    return PublicTrip(
        when.date(), when.hour,
        villages.of(t.origin_lat, t.origin_lon), villages.of(t.destination_lat, t.destination_lon),
        t.status in SERVED, t.wheelchairs > 0, t.channel == "phone", t.standing_order,
        wait, ride, late,
    )  # fmt: skip


def _unmet(u: UnmetRequest, villages: Villages, zone: ZoneInfo) -> PublicTrip:
    when = _local(u.requested_at, zone)
    return PublicTrip(
        when.date(), when.hour,
        villages.of(u.origin_lat, u.origin_lon), villages.of(u.destination_lat, u.destination_lon),
        False, u.wheelchairs > 0, u.channel == "phone", False,
    )  # fmt: skip
