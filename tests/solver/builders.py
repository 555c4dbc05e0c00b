"""Random snapshots that are known to have a feasible plan (the plan they were built from)."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np

from dispatch.model import (
    Plan,
    Request,
    RequestId,
    Snapshot,
    StopKind,
    TimeWindow,
    Vehicle,
    VehicleId,
    Visit,
)
from dispatch.solver.plan import make_plan
from dispatch.solver.schedule import Infeasibility, compute_schedule, loads_after

NOW = 1_800_000_000


def travel_matrix(rng: random.Random, n: int) -> np.ndarray:
    xy = np.array([(rng.uniform(0, 8000), rng.uniform(0, 8000)) for _ in range(n)])
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    return np.ceil(dist / 10.0).astype(np.int64)  # 36 km/h


def random_case(
    seed: int, vehicles: int = 2, promised: int = 4, new: int = 3, on_board: int = 1
) -> tuple[Snapshot, Plan]:
    """A snapshot plus a feasible plan serving every promised and on-board request."""
    rng = random.Random(seed)
    n_loc = vehicles + 2 * (promised + new + on_board)
    travel = travel_matrix(rng, n_loc)
    locs = iter(range(vehicles, n_loc))
    fleet = [
        Vehicle(VehicleId(f"v{k}"), (3, 1), k, NOW, k, NOW + 10 * 3600) for k in range(vehicles)
    ]
    requests: list[Request] = []
    sequences: dict[VehicleId, list[Visit]] = {v.id: [] for v in fleet}
    for i in range(on_board):
        v = fleet[i % vehicles]
        r = Request(
            RequestId(f"b{i}"),
            next(locs),
            next(locs),
            (1, 0),
            pickup_service_s=30,
            dropoff_service_s=30,
            max_ride_s=4 * 3600,
            promised=True,
            boarded_at=NOW - 300,
        )
        requests.append(r)
        fleet[i % vehicles] = replace(v, on_board=(*v.on_board, r.id))
        sequences[v.id].append(Visit(r.id, StopKind.DROPOFF))
    for i in range(promised):
        r = Request(
            RequestId(f"p{i}"),
            next(locs),
            next(locs),
            (rng.randint(1, 2), rng.randint(0, 1)),
            pickup_service_s=60,
            dropoff_service_s=30,
            promised=True,
        )
        requests.append(r)
        _place(r, fleet, sequences, requests, travel, rng)
    snapshot = Snapshot(NOW, tuple(fleet), tuple(requests), travel)
    snapshot, sequences = _tighten(snapshot, sequences, rng)
    for i in range(new):
        start = NOW + rng.randint(0, 3600)
        p, d = next(locs), next(locs)
        direct = int(travel[p, d])
        requests.append(
            Request(
                RequestId(f"n{i}"),
                p,
                d,
                (1, rng.randint(0, 1)),
                pickup_window=TimeWindow(start, start + 900),
                max_ride_s=int(1.5 * direct) + 600,
                pickup_service_s=60,
                dropoff_service_s=30,
            )
        )
    snapshot = replace(
        snapshot, requests=snapshot.requests + tuple(requests[len(snapshot.requests) :])
    )
    plan = make_plan(snapshot, sequences)
    assert not isinstance(plan, Infeasibility), plan
    return snapshot, plan


def _place(r, fleet, sequences, requests, travel, rng) -> None:  # type: ignore[no-untyped-def]
    """Put a request somewhere in a route where capacity allows (one always exists: at the end)."""
    snap = Snapshot(NOW, tuple(fleet), tuple(requests), travel)
    for _ in range(50):
        vehicle = fleet[rng.randrange(len(fleet))]
        seq = list(sequences[vehicle.id])
        a = rng.randint(0, len(seq))
        seq.insert(a, Visit(r.id, StopKind.PICKUP))
        seq.insert(rng.randint(a + 1, len(seq)), Visit(r.id, StopKind.DROPOFF))
        if not isinstance(loads_after(snap, vehicle, seq), Infeasibility):
            sequences[vehicle.id] = seq
            return
    vehicle = fleet[0]
    sequences[vehicle.id] += [Visit(r.id, StopKind.PICKUP), Visit(r.id, StopKind.DROPOFF)]


def _tighten(snapshot: Snapshot, sequences: dict[VehicleId, list[Visit]], rng: random.Random):
    """Give promised requests windows and ride limits around the times of the built plan."""
    requests = dict(snapshot.request_by_id)
    vehicles = []
    for vehicle in snapshot.vehicles:
        seq = sequences[vehicle.id]
        sched = compute_schedule(snapshot, vehicle, seq)
        assert not isinstance(sched, Infeasibility)
        starts = {(v.request_id, v.kind): sched.start[k] for k, v in enumerate(seq)}
        for rid in {v.request_id for v in seq}:
            r = requests[rid]
            drop = starts[(rid, StopKind.DROPOFF)]
            latest = drop + rng.randint(0, 600)
            if r.on_board:
                requests[rid] = replace(r, dropoff_window=TimeWindow(0, latest))
                continue
            pick = starts[(rid, StopKind.PICKUP)]
            ride = drop - pick - r.pickup_service_s
            requests[rid] = replace(
                r,
                pickup_window=TimeWindow(pick - rng.randint(0, 300), pick + rng.randint(0, 300)),
                dropoff_window=TimeWindow(0, latest),
                max_ride_s=ride + rng.randint(0, 600),
            )
        locked = tuple(seq[:1]) if seq and rng.random() < 0.5 else ()
        vehicles.append(replace(vehicle, locked=locked))
    fixed = replace(
        snapshot,
        vehicles=tuple(vehicles),
        requests=tuple(requests[r.id] for r in snapshot.requests),
    )
    return fixed, sequences
