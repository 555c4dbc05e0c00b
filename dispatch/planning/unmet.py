"""Unmet demand of a month on an H3 hexagon grid: rejected requests, long walks from the
rider's address to the road point the bus stops at, and long waits; by rider group."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import h3

from dispatch.store.history import TripRecord, UnmetRequest

#: About 0.7 km² per hexagon: a village is a few cells.
RESOLUTION = 8
LONG_WALK_M = 300
LONG_WAIT_S = 600
GROUPS: dict[str, Callable[[bool, str], bool]] = {
    "all": lambda wheelchair, channel: True,
    "wheelchair": lambda wheelchair, channel: wheelchair,
    "phone": lambda wheelchair, channel: channel == "phone",
    "app": lambda wheelchair, channel: channel == "app",
}


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(lat2 - lat1, (lon2 - lon1) * k) * 111_195


def unmet_cells(
    trips: Sequence[TripRecord], unmet: Sequence[UnmetRequest],
    node_coords: Callable[[int], tuple[float, float]], group: str = "all",
) -> list[dict[str, Any]]:  # fmt: skip
    keep = GROUPS[group]
    counts: dict[str, dict[str, int]] = defaultdict(
        lambda: {"rejected": 0, "long_walk": 0, "long_wait": 0}
    )
    for u in unmet:
        if keep(u.wheelchairs > 0, u.channel):
            counts[h3.latlng_to_cell(u.origin_lat, u.origin_lon, RESOLUTION)]["rejected"] += 1
    for t in trips:
        if t.status == "cancelled" or not keep(t.wheelchairs > 0, t.channel):
            continue
        cell = h3.latlng_to_cell(t.origin_lat, t.origin_lon, RESOLUTION)
        if t.origin_stop_id is None and t.origin_node is not None:
            lat, lon = node_coords(t.origin_node)
            if metres(t.origin_lat, t.origin_lon, lat, lon) > LONG_WALK_M:
                counts[cell]["long_walk"] += 1
        if t.boarded_at is not None and t.boarded_at - t.requested_at > LONG_WAIT_S:
            counts[cell]["long_wait"] += 1
    return [
        {
            "cell": cell,
            "boundary": [[round(a, 5), round(b, 5)] for a, b in h3.cell_to_boundary(cell)],
            **c,
        }
        for cell, c in sorted(counts.items())
    ]
