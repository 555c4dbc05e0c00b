"""The service's booking history in the planner's demand format, anonymised.

Every request of the month — bookings (except those the rider cancelled) and requests
that got no offer — becomes one line: no names, phone numbers or booking ids; a pickup
or drop-off at a virtual stop keeps the stop id, any other address is rounded to three
decimals (about 100 m).
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch.sim.demand import DemandRequest, Place
from dispatch.store.history import TripRecord, UnmetRequest

DECIMALS = 3


def _rounded(lat: float, lon: float) -> Place:
    return Place(lat=round(lat, DECIMALS), lon=round(lon, DECIMALS))


def _place(stop_id: str | None, lat: float, lon: float, stops: set[str]) -> Place:
    return Place(stop_id=stop_id) if stop_id and stop_id in stops else _rounded(lat, lon)


def history_demand(
    trips: Sequence[TripRecord], unmet: Sequence[UnmetRequest], stops: set[str]
) -> list[DemandRequest]:
    out = []
    for t in trips:
        if t.status == "cancelled":
            continue
        out.append(DemandRequest(
            id="", booked_at=min(t.booked_at, t.requested_at), depart_after=t.depart_after,
            arrive_by=t.arrive_by if t.depart_after is None else None,
            origin=_place(t.origin_stop_id, t.origin_lat, t.origin_lon, stops),
            destination=_place(t.destination_stop_id, t.destination_lat, t.destination_lon, stops),
            passengers=t.passengers, wheelchairs=t.wheelchairs, channel=t.channel,
            standing_order=t.standing_order,
        ))  # fmt: skip
    for u in unmet:
        out.append(DemandRequest(
            id="", booked_at=min(u.asked_at, u.requested_at), depart_after=u.requested_at,
            arrive_by=None, origin=_rounded(u.origin_lat, u.origin_lon),
            destination=_rounded(u.destination_lat, u.destination_lon),
            passengers=u.passengers, wheelchairs=u.wheelchairs, channel=u.channel,
        ))  # fmt: skip
    out.sort(key=lambda r: (r.desired_time, r.booked_at))
    return [_numbered(r, i) for i, r in enumerate(out, start=1)]


def _numbered(r: DemandRequest, i: int) -> DemandRequest:
    from dataclasses import replace

    return replace(r, id=f"h{i}")
