"""``open-data export``: a month of the service's history as a k-anonymous data package."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from dispatch.config import ServiceConfig
from dispatch.errors import InputError
from dispatch.opendata.aggregate import DayDriving, Tables, build_tables
from dispatch.opendata.package import package_files
from dispatch.opendata.trips import PublicTrip, Villages, public_trips
from dispatch.roads.network import RoadNetwork
from dispatch.store.history import HistoryStore, TripRecord

Progress = Callable[[int, int], None]


def parse_month(text: str, name: str = "month") -> date:
    """A month written ``YYYY-MM`` (``name`` is how the error names the input: the
    command line says ``--month``)."""
    if not re.fullmatch(r"\d{4}-\d{2}", text or "") or not 1 <= int(text[5:]) <= 12:
        raise InputError(f"{name}: {text!r} is not a month like 2026-11")
    year, month = int(text[:4]), int(text[5:])
    if not 2000 <= year <= 2099:
        raise InputError(f"{name}: {text!r} is out of range (2000-01 to 2099-12)")
    return date(year, month, 1)


def month_bounds(first: date, config: ServiceConfig) -> tuple[int, int]:
    nxt = (first + timedelta(days=32)).replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=config.zone)
    end = datetime(nxt.year, nxt.month, 1, tzinfo=config.zone)
    return int(start.timestamp()), int(end.timestamp())


@dataclass(frozen=True, slots=True)
class MonthData:
    month: str
    trips: list[PublicTrip]
    tables: Tables
    villages: dict[str, Any]
    #: The whole month (requests, served, vehicle-km), or ``None`` when it counts fewer
    #: than k requests: the days' table may leave out every day of a quiet month.
    totals: MonthTotals | None = None


@dataclass(frozen=True, slots=True)
class MonthTotals:
    requests: int
    served: int
    vehicle_km: float


def month_data(
    store: HistoryStore, network: RoadNetwork, config: ServiceConfig, month: str,
    progress: Progress | None = None,
) -> MonthData:  # fmt: skip
    start, end = month_bounds(parse_month(month), config)
    records = store.trips_between(start, end)
    unmet = store.unmet_between(start, end)
    villages = Villages(network.places)
    trips = public_trips(records, unmet, villages, config.zone)
    driving = day_driving(records, network, config, progress)
    k = config.publish.k_anonymity
    tables = build_tables(trips, driving, k)
    totals = None
    if len(trips) >= k:
        km = round(sum(d.vehicle_m for d in driving.values()) / 1000, 1)
        totals = MonthTotals(len(trips), sum(t.served for t in trips), km)
    return MonthData(month, trips, tables, villages_geojson(villages, tables), totals)


def export_files(data: MonthData, config: ServiceConfig) -> dict[str, str]:
    p = config.publish
    return package_files(
        data.month, config.name, p.licence, p.k_anonymity, data.tables, data.villages
    )


def day_driving(
    records: Sequence[TripRecord], network: RoadNetwork, config: ServiceConfig,
    progress: Progress | None = None,
) -> dict[date, DayDriving]:  # fmt: skip
    """Per day: metres between the stops each bus served in order, and metres ridden."""
    visits: dict[tuple[date, str], list[tuple[int, int]]] = defaultdict(list)
    rides: dict[date, list[tuple[int, int, int]]] = defaultdict(list)
    for t in records:
        if t.boarded_at is None or t.vehicle_id is None or t.origin_node is None:
            continue
        day = datetime.fromtimestamp(t.boarded_at, config.zone).date()
        visits[(day, t.vehicle_id)].append((t.boarded_at, t.origin_node))
        if t.alighted_at is not None and t.destination_node is not None:
            visits[(day, t.vehicle_id)].append((t.alighted_at, t.destination_node))
            rides[day].append((t.origin_node, t.destination_node, t.passengers))
    legs: list[tuple[int, int]] = []
    for seq in visits.values():
        nodes = [n for _, n in sorted(seq)]
        legs += [(a, b) for a, b in pairwise(nodes) if a != b]
    legs += [(a, b) for ride in rides.values() for a, b, _ in ride]
    metres = _distances(network, legs, progress)
    out: dict[date, DayDriving] = {}
    for (day, _), seq in visits.items():
        nodes = [n for _, n in sorted(seq)]
        driven = sum(metres[(a, b)] for a, b in pairwise(nodes) if a != b)
        before = out.get(day, DayDriving(0, 0))
        out[day] = DayDriving(before.vehicle_m + driven, before.passenger_m)
    for day, ride in rides.items():
        ridden = sum(metres[(a, b)] * n for a, b, n in ride)
        before = out.get(day, DayDriving(0, 0))
        out[day] = DayDriving(before.vehicle_m, before.passenger_m + ridden)
    return out


def _distances(
    network: RoadNetwork, legs: list[tuple[int, int]], progress: Progress | None
) -> dict[tuple[int, int], int]:
    targets: dict[int, set[int]] = defaultdict(set)
    for a, b in legs:
        targets[a].add(b)
    out: dict[tuple[int, int], int] = {}
    sources = sorted(targets)
    for i, a in enumerate(sources):
        to = sorted(targets[a])
        _, metres = network.one_to_many(a, to)
        out.update({(a, b): int(m) for b, m in zip(to, metres, strict=True)})
        if progress is not None:
            progress(i + 1, len(sources))
    return out


def villages_geojson(villages: Villages, tables: Tables) -> dict[str, Any]:
    """The villages with at least k requests in the month, at their public place centre."""
    published = {r["group"]: r for r in tables.rows["fairness"] if r["group_kind"] == "village"}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(p.lon, 5), round(p.lat, 5)]},
            "properties": {
                "village": p.name,
                "requests": published[p.name]["requests"],
                "served_share": published[p.name]["served_share"],
            },
        }
        for p in villages.points
        if p.name in published
    ]
    return {"type": "FeatureCollection", "features": features}
