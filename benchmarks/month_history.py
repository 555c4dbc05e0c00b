"""A month of booking history written straight into a service database (tests, benchmarks).

Riders with names and phone numbers, bookings between the map's virtual stops with
wait and ride times, boardings and alightings, some by phone, some from standing orders,
some cancelled, and requests that got no offer.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import insert

from dispatch.config import ServiceConfig
from dispatch.roads.network import RoadNetwork
from dispatch.stops import build_stops
from dispatch.store import Database
from dispatch.store.tables import BookingRow, RiderRow, StopEventRow, UnmetRequestRow

RIDER_NAMES = ("Erna Pöhlmann", "Kurt Wunderlich", "Hildegard Sesselmann", "Yusuf Demir",
               "Olena Kovalenko", "Walburga Hacker", "Gerhard Dötsch", "Amira Haddad")  # fmt: skip


def rider_rows(now: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"r_hist{i}",
            "name": name,
            "phone": f"+49921555{1000 + i}",
            "language": "de",
            "needs": {},
            "home_address": f"Hauptstraße {i + 1}",
            "created_at": now,
        }
        for i, name in enumerate(RIDER_NAMES)
    ]


def fill_month(
    db: Database, network: RoadNetwork, config: ServiceConfig, first: date, bookings: int,
    seed: int = 1, unmet_share: float = 0.1, days: int | None = None,
) -> int:  # fmt: skip
    """Write ``bookings`` bookings (plus unmet requests) requested in the month of ``first``."""
    rng = random.Random(seed)
    stops = build_stops(network, config).stops
    days = days or ((first + timedelta(days=32)).replace(day=1) - first).days
    now = int(datetime(first.year, first.month, 1, tzinfo=config.zone).timestamp())
    riders = rider_rows(now)
    rows, events, unmet = [], [], []
    for i in range(bookings):
        day = first + timedelta(days=rng.randrange(days))
        hour, minute = rng.randrange(6, 21), rng.randrange(60)
        asked = int(
            datetime(day.year, day.month, day.day, hour, minute, tzinfo=config.zone).timestamp()
        )
        a, b = rng.sample(stops, 2)
        wheelchairs = 1 if rng.random() < 0.05 else 0
        if rng.random() < unmet_share:
            unmet.append({"asked_at": asked - 3600, "requested_at": asked, "origin_lat": a.lat,
                          "origin_lon": a.lon, "destination_lat": b.lat, "destination_lon": b.lon,
                          "passengers": 1, "wheelchairs": wheelchairs,
                          "channel": rng.choice(["app", "phone"]), "reason": "no bus free"})  # fmt: skip
            continue
        status = rng.choices(["completed", "cancelled", "no_show"], [0.9, 0.07, 0.03])[0]
        wait, ride = rng.randrange(0, 900), rng.randrange(300, 1800)
        phone = rng.random() < 0.3
        boarded = asked + wait if status == "completed" else None
        booking_id = f"b_hist{i}"
        rows.append({
            "id": booking_id, "rider_id": riders[i % len(riders)]["id"] if phone else None,
            "status": status, "origin_stop_id": a.id, "origin_name": a.name, "origin_lat": a.lat,
            "origin_lon": a.lon, "origin_node": a.node, "destination_stop_id": b.id,
            "destination_name": b.name, "destination_lat": b.lat, "destination_lon": b.lon,
            "destination_node": b.node, "passengers": rng.choice([1, 1, 1, 2]),
            "wheelchairs": wheelchairs, "extra_boarding_s": 0, "depart_after": asked,
            "arrive_by": None, "pickup_window_start": asked, "pickup_window_end": asked + 600,
            "latest_arrival": asked + 2700, "planned_pickup": asked + wait,
            "planned_dropoff": asked + wait + ride, "vehicle_id": f"bus-{1 + i % 6}",
            "boarded_at": boarded, "access_token_hash": None,
            "notes": riders[i % len(riders)]["name"], "standing_order_id": None,
            "created_at": asked - 7200, "updated_at": asked, "version": 1,
        })  # fmt: skip
        if boarded is not None:
            events.append({"vehicle_id": f"bus-{1 + i % 6}", "booking_id": booking_id,
                           "stop_kind": "dropoff", "event": "alighted", "at": boarded + ride,
                           "client_message_id": None, "recorded_at": boarded + ride})  # fmt: skip
    with db.transaction() as session:
        session.execute(insert(RiderRow), riders)
        for chunk in range(0, len(rows), 2000):
            session.execute(insert(BookingRow), rows[chunk : chunk + 2000])
        if events:
            session.execute(insert(StopEventRow), events)
        if unmet:
            session.execute(insert(UnmetRequestRow), unmet)
    return len(rows) + len(unmet)
