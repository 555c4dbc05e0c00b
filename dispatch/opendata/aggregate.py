"""The published tables, k-anonymous: no published cell counts fewer than k requests.

A cell (e.g. one village on one day) with fewer than k requests is merged into an
"other" cell of its table; if the merged cell still has fewer than k, it is suppressed.
Every table's suppressed requests are counted in the ``suppression`` table, so that the
published totals plus the suppressed ones always give the true total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import numpy as np

from dispatch.opendata.trips import PublicTrip

OTHER = "(other)"

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class DayDriving:
    """Metres the buses drove on a day and metres riders rode (for occupancy)."""

    vehicle_m: int
    passenger_m: int


@dataclass(slots=True)
class Tables:
    rows: dict[str, list[Row]] = field(default_factory=dict)
    suppression: list[Row] = field(default_factory=list)


def k_cells(
    trips: Sequence[PublicTrip], key: Callable[[PublicTrip], Hashable], other: Hashable, k: int
) -> tuple[dict[Hashable, list[PublicTrip]], int]:
    """Cells with at least k trips; smaller ones merged into ``other``; the rest suppressed."""
    groups: dict[Hashable, list[PublicTrip]] = defaultdict(list)
    for t in trips:
        groups[key(t)].append(t)
    kept = {g: ts for g, ts in groups.items() if len(ts) >= k and g != other}
    merged = [t for g, ts in groups.items() if g not in kept for t in ts]
    # A merged cell below k would be revealed by subtracting the others from the total:
    # merge the smallest published cells into it until it reaches k.
    while merged and len(merged) < k and kept:
        smallest = min(kept, key=lambda g: (len(kept[g]), str(g)))
        merged += kept.pop(smallest)
    if len(merged) >= k:
        kept[other] = merged
        return kept, 0
    return kept, len(merged)


def _minutes(values: list[int], q: float) -> float | None:
    return round(float(np.percentile(values, q)) / 60, 1) if values else None


def figures(trips: Sequence[PublicTrip]) -> Row:
    served = [t for t in trips if t.served]
    waits = [t.wait_s for t in served if t.wait_s is not None]
    rides = [t.ride_s for t in served if t.ride_s is not None]
    n = len(trips)
    return {
        "requests": n,
        "served": len(served),
        "served_share": round(len(served) / n, 4) if n else None,
        "rejected": n - len(served),
        "wait_median_min": _minutes(waits, 50),
        "wait_p90_min": _minutes(waits, 90),
        "ride_median_min": _minutes(rides, 50),
        "ride_p90_min": _minutes(rides, 90),
        "late_share": round(sum(t.late for t in served) / len(served), 4) if served else None,
        "phone_share": round(sum(t.phone for t in trips) / n, 4) if n else None,
    }


def build_tables(trips: Sequence[PublicTrip], driving: dict[date, DayDriving], k: int) -> Tables:
    tables = Tables()
    _days(tables, trips, driving, k)
    _day_villages(tables, trips, k)
    _hours(tables, trips, k)
    _flows(tables, trips, k)
    _fairness(tables, trips, k)
    return tables


def _suppressed(tables: Tables, table: str, cells: int, requests: int) -> None:
    tables.suppression.append({"table": table, "cells": cells, "requests": requests})


def _days(
    tables: Tables, trips: Sequence[PublicTrip], driving: dict[date, DayDriving], k: int
) -> None:
    by_day: dict[date, list[PublicTrip]] = defaultdict(list)
    for t in trips:
        by_day[t.day].append(t)
    rows, cells, lost = [], 0, 0
    for day in sorted(by_day):
        ts = by_day[day]
        if len(ts) < k:
            cells, lost = cells + 1, lost + len(ts)
            continue
        d = driving.get(day, DayDriving(0, 0))
        occupancy = round(d.passenger_m / d.vehicle_m, 3) if d.vehicle_m else None
        rows.append(
            {
                "date": day.isoformat(),
                **figures(ts),
                "vehicle_km": round(d.vehicle_m / 1000, 1),
                "occupancy": occupancy,
            }
        )
    tables.rows["days"] = rows
    _suppressed(tables, "days", cells, lost)


def _per_day(
    tables: Tables, name: str, trips: Sequence[PublicTrip], k: int,
    key: Callable[[PublicTrip], Hashable], row: Callable[[Hashable, list[PublicTrip]], Row],
) -> None:  # fmt: skip
    by_day: dict[date, list[PublicTrip]] = defaultdict(list)
    for t in trips:
        by_day[t.day].append(t)
    rows, cells, lost = [], 0, 0
    for day in sorted(by_day):
        kept, gone = k_cells(by_day[day], key, OTHER, k)
        cells, lost = cells + (gone > 0), lost + gone
        for g in sorted(kept, key=lambda g: (g == OTHER, str(g))):
            rows.append({"date": day.isoformat(), **row(g, kept[g])})
    tables.rows[name] = rows
    _suppressed(tables, name, cells, lost)


def _day_villages(tables: Tables, trips: Sequence[PublicTrip], k: int) -> None:
    _per_day(
        tables,
        "day_villages",
        trips,
        k,
        lambda t: t.origin,
        lambda g, ts: {"village": g, **figures(ts)},
    )


def _hours(tables: Tables, trips: Sequence[PublicTrip], k: int) -> None:
    def row(g: Hashable, ts: list[PublicTrip]) -> Row:
        f = figures(ts)
        hour = None if g == OTHER else g  # empty: hours merged for privacy
        return {"hour": hour, "requests": f["requests"], "served": f["served"]}

    _per_day(tables, "hours", trips, k, lambda t: t.hour, row)


def _flows(tables: Tables, trips: Sequence[PublicTrip], k: int) -> None:
    other = (OTHER, OTHER)
    kept, gone = k_cells(trips, lambda t: (t.origin, t.destination), other, k)
    rows = []
    for g in sorted(kept, key=lambda g: (g == other, str(g))):
        origin, destination = cast(tuple[str, str], g)
        ts = kept[g]
        rows.append(
            {
                "origin_village": origin,
                "destination_village": destination,
                "requests": len(ts),
                "served": sum(t.served for t in ts),
            }
        )
    tables.rows["flows"] = rows
    _suppressed(tables, "flows", int(gone > 0), gone)


#: Rider groups whose figures are compared (fairness): name -> which group a trip is in.
GROUPS: dict[str, Callable[[PublicTrip], str]] = {
    "wheelchair": lambda t: "wheelchair" if t.wheelchair else "no wheelchair",
    "channel": lambda t: "phone" if t.phone else "app",
    "standing_order": lambda t: "standing order" if t.standing_order else "single booking",
    "village": lambda t: t.origin,
}


def _fairness(tables: Tables, trips: Sequence[PublicTrip], k: int) -> None:
    rows, cells, lost = [], 0, 0
    for kind, group_of in GROUPS.items():
        kept, gone = k_cells(trips, group_of, OTHER, k)
        # Each kind groups the same requests again: the table leaves out as many requests
        # as its worst grouping does (a sum counted one request up to four times).
        cells, lost = cells + (gone > 0), max(lost, gone)
        for g in sorted(kept, key=lambda g: (g == OTHER, str(g))):
            f = figures(kept[g])
            rows.append({"group_kind": kind, "group": g, **{c: f[c] for c in FAIRNESS_FIGURES}})
    tables.rows["fairness"] = rows
    _suppressed(tables, "fairness", cells, lost)


FAIRNESS_FIGURES = (
    "requests",
    "served",
    "served_share",
    "rejected",
    "wait_median_min",
    "wait_p90_min",
    "late_share",
)
