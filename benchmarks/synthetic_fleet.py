"""A busy fleet on random points (no road network needed), for insertion benchmarks.

Points are uniform on a 20 km square; travel time is the straight-line distance at
40 km/h times a detour factor of 1.3 (a metric, like shortest paths on roads). The
fleet is filled by inserting promised requests (10-minute pickup windows, maximum ride
1.5 × direct + 10 min) until the vehicles hold about ``stops_per_vehicle`` stops.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np

from dispatch.model import (
    Request,
    RequestId,
    Snapshot,
    TimeWindow,
    Vehicle,
    VehicleId,
    Visit,
)
from dispatch.solver.repair import insert_requests

T0 = 1_780_000_000
SIDE_M = 20_000.0
SPEED_MPS = 40 / 3.6
DETOUR = 1.3


def travel_matrix(rng: random.Random, n: int) -> np.ndarray:
    xy = np.array([(rng.uniform(0, SIDE_M), rng.uniform(0, SIDE_M)) for _ in range(n)])
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    return np.ceil(dist * DETOUR / SPEED_MPS).astype(np.int64)


def random_request(rid: str, rng: random.Random, travel: np.ndarray, promised: bool) -> Request:
    n = travel.shape[0]
    p, d = rng.randrange(n), rng.randrange(n)
    direct = int(travel[p, d])
    start = T0 + rng.randint(0, 3 * 3600)
    width = 600 if promised else 1800
    return Request(
        RequestId(rid),
        p,
        d,
        (rng.choice((1, 1, 1, 2)), int(rng.random() < 0.1)),
        pickup_window=TimeWindow(start, start + width),
        max_ride_s=int(1.5 * direct) + 600,
        pickup_service_s=30,
        dropoff_service_s=30,
        promised=promised,
    )


def busy_fleet(
    vehicles: int = 30, stops_per_vehicle: int = 10, seed: int = 1, n_locations: int = 2000
) -> tuple[Snapshot, dict[VehicleId, tuple[Visit, ...]], np.ndarray]:
    """A snapshot of promised bookings, their sequences and the travel matrix."""
    rng = random.Random(seed)
    travel = travel_matrix(rng, n_locations)
    fleet = tuple(
        Vehicle(VehicleId(f"bus{k}"), (8, 1), rng.randrange(n_locations), T0, 0, T0 + 14 * 3600)
        for k in range(vehicles)
    )
    fleet = tuple(replace(v, end_location=v.start_location) for v in fleet)
    visits: dict[VehicleId, tuple[Visit, ...]] = {v.id: () for v in fleet}
    requests: list[Request] = []
    snapshot = Snapshot(T0, fleet, (), travel)
    rows = travel.tolist()
    while sum(map(len, visits.values())) < vehicles * stops_per_vehicle:
        batch = [random_request(f"b{len(requests) + k}", rng, travel, True) for k in range(20)]
        requests += batch
        snapshot = with_rows(Snapshot(T0, fleet, tuple(requests), travel), rows)
        visits, left = insert_requests(snapshot, visits, [r.id for r in batch])
        dropped = set(left)
        requests = [r for r in requests if r.id not in dropped]
    return with_rows(Snapshot(T0, fleet, tuple(requests), travel), rows), visits, travel


def with_rows(snapshot: Snapshot, rows: list[list[int]]) -> Snapshot:
    """Share the nested-list matrix between snapshots, as the engine does (no re-conversion)."""
    snapshot.__dict__["travel_rows"] = rows
    return snapshot
