"""Cordeau's dial-a-ride benchmark instances as solver snapshots.

Format: a first line ``K n T Q L`` (vehicles, requests, maximum route duration,
capacity, maximum ride time), then 2n+2 lines ``id x y service load tw_start tw_end``:
node 0 start depot, 1..n pickups, n+1..2n drop-offs, 2n+1 end depot. Travel time and
cost are Euclidean distances.

The core works in integers, so every quantity is multiplied by ``SCALE`` and travel
times are rounded *up*: a schedule that is feasible with the rounded-up times is
feasible with the true distances too (every arrival would only be earlier, and
waiting is allowed). Reported costs are recomputed with the unrounded distances.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from dispatch.errors import InputError
from dispatch.model import (
    Plan,
    Request,
    RequestId,
    ShiftId,
    Snapshot,
    StopKind,
    TimeWindow,
    Vehicle,
)

SCALE = 1000


@dataclass(frozen=True)
class DarpInstance:
    name: str
    vehicles: int
    requests: int
    max_duration: float
    capacity: int
    max_ride: float
    xy: list[tuple[float, float]]
    load: list[int]
    service: list[float]
    windows: list[tuple[float, float]]

    def distance(self, a: int, b: int) -> float:
        (x1, y1), (x2, y2) = self.xy[a], self.xy[b]
        return math.hypot(x1 - x2, y1 - y2)


def parse_darp(name: str, text: str) -> DarpInstance:
    lines = [(k, line.split()) for k, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise InputError(f"{name}: empty instance file")
    head_no, head = lines[0]
    if len(head) != 5:
        raise InputError(f"{name}: line {head_no}: expected 'K n T Q L', got {len(head)} values")
    k, n, t_max, q, l_max = _numbers(name, head_no, head)
    n_req, n_veh = int(n), int(k)
    if n_req >= 2 and n_req % 2 == 0 and len(lines) - 1 in (n_req + 1, n_req + 2):
        # A common variant: the header counts the 2n pickup and drop-off nodes, and the
        # end depot may be left out (it is then the start depot).
        if len(lines) - 1 == n_req + 1:
            end_no, start = lines[1]
            lines.append((end_no, [str(n_req + 1), *start[1:]]))
        n_req //= 2
    if n_req < 1 or n_veh < 1 or len(lines) - 1 != 2 * n_req + 2:
        raise InputError(
            f"{name}: expected {2 * int(n) + 2} node lines after the header, found {len(lines) - 1}"
        )
    xy, load, service, windows = [], [], [], []
    for expected, (line_no, parts) in enumerate(lines[1:]):
        if len(parts) != 7:
            raise InputError(f"{name}: line {line_no}: expected 7 values, got {len(parts)}")
        node, x, y, s, q_node, a, b = _numbers(name, line_no, parts)
        if int(node) != expected:
            raise InputError(f"{name}: line {line_no}: node id {int(node)}, expected {expected}")
        if b < a:
            raise InputError(f"{name}: line {line_no}: time window ends before it starts")
        xy.append((x, y))
        load.append(int(q_node))
        service.append(s)
        windows.append((a, b))
    for i in range(1, n_req + 1):
        if load[i] < 1 or load[n_req + i] != -load[i] or load[i] > q:
            raise InputError(
                f"{name}: request {i}: pickup load {load[i]} and drop-off load {load[n_req + i]} "
                f"must be opposite, positive and at most the capacity {int(q)}"
            )
    return DarpInstance(name, n_veh, n_req, t_max, int(q), l_max, xy, load, service, windows)


def _numbers(name: str, line_no: int, parts: list[str]) -> list[float]:
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise InputError(f"{name}: line {line_no}: not a number in {' '.join(parts)!r}") from None


def _up(x: float) -> int:
    return math.ceil(round(x * SCALE, 6))


def _down(x: float) -> int:
    return math.floor(round(x * SCALE, 6))


def to_snapshot(inst: DarpInstance) -> Snapshot:
    n = inst.requests
    size = 2 * n + 2
    travel = np.zeros((size, size), dtype=np.int64)
    for a in range(size):
        for b in range(size):
            travel[a, b] = _up(inst.distance(a, b))
    depot_open, depot_close = inst.windows[0][0], inst.windows[2 * n + 1][1]
    vehicles = tuple(
        Vehicle(
            id=ShiftId(str(k)),
            capacity=(inst.capacity, 0),
            start_location=0,
            available_from=_up(depot_open),
            end_location=2 * n + 1,
            shift_end=_down(min(depot_close, inst.windows[0][1])),
            max_duration_s=_down(inst.max_duration),
        )
        for k in range(inst.vehicles)
    )
    requests = tuple(
        Request(
            id=RequestId(str(i)),
            pickup=i,
            dropoff=n + i,
            load=(inst.load[i], 0),
            pickup_window=TimeWindow(_up(inst.windows[i][0]), _down(inst.windows[i][1])),
            dropoff_window=TimeWindow(_up(inst.windows[n + i][0]), _down(inst.windows[n + i][1])),
            max_ride_s=_down(inst.max_ride),
            pickup_service_s=_up(inst.service[i]),
            dropoff_service_s=_up(inst.service[n + i]),
            promised=True,
        )
        for i in range(1, n + 1)
    )
    cost = np.array(
        [[round(inst.distance(a, b) * SCALE) for b in range(size)] for a in range(size)],
        dtype=np.int64,
    )
    return Snapshot(0, vehicles, requests, travel, cost_matrix=cost)


def true_cost(inst: DarpInstance, plan: Plan) -> float:
    """Total routing cost with the unrounded Euclidean distances."""
    total = 0.0
    n = inst.requests
    for route in plan.routes:
        if not route.stops:
            continue
        path = [0, *(node_of(inst, s.request_id, s.kind) for s in route.stops), 2 * n + 1]
        total += sum(inst.distance(a, b) for a, b in itertools.pairwise(path))
    return total


def node_of(inst: DarpInstance, request_id: str, kind: StopKind) -> int:
    i = int(request_id)
    return i if kind is StopKind.PICKUP else inst.requests + i


def routes_json(inst: DarpInstance, plan: Plan) -> list[dict[str, object]]:
    """Routes with the instance's own node ids and start-of-service times (its time unit)."""
    n = inst.requests
    out = []
    for k, route in enumerate(plan.routes):
        if not route.stops:
            continue
        stops = [{"node": 0, "start": route.departure / SCALE}]
        stops += [
            {"node": node_of(inst, str(s.request_id), s.kind), "start": s.start / SCALE}
            for s in route.stops
        ]
        stops.append({"node": 2 * n + 1, "start": route.end_arrival / SCALE})
        out.append({"vehicle": k, "stops": stops})
    return out
