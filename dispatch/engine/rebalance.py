"""Rebalancing: idle buses wait where the next requests are expected, not where they
happened to drop their last rider.

Expected demand is the day's pattern as the dispatcher has seen it: the pickup points
of the requests asked for during the last ``horizon_s`` (on an even day the same
places go on asking; with peaks the last hour says where the peak is). A bus *covers*
a demand point it can reach within ``coverage_s``. Buses that will be free soon cover
the points around their last stop; each idle bus in turn then goes to the candidate
place (a recently asked-for pickup point) that covers the most demand nobody covers
yet — if that is at least ``min_gain`` requests more than where it stands, no farther
than ``max_drive_s`` away, and it can still be back at its depot by the end of its
shift. A relocating bus is planned from its destination and arrival time (it finishes
the drive before anything else), so no plan made meanwhile counts on it being
anywhere else; it never carries anybody and has no promise to keep.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from dispatch.engine.locations import LocationTable
from dispatch.engine.params import RebalanceParams
from dispatch.engine.state import VehicleState
from dispatch.model import ShiftId


@dataclass(frozen=True, slots=True)
class Relocation:
    vehicle_id: ShiftId
    node: int
    arrival: int


class DemandMemory:
    """Pickup points recently asked for, with when (oldest first)."""

    def __init__(self, horizon_s: int) -> None:
        self.horizon_s = horizon_s
        self._seen: deque[tuple[int, int]] = deque()

    def record(self, at: int, node: int) -> None:
        self._seen.append((at, node))

    def recent(self, now: int) -> dict[int, float]:
        """Weight per road node: how many requests asked to be picked up there lately."""
        while self._seen and self._seen[0][0] < now - self.horizon_s:
            self._seen.popleft()
        weights: dict[int, float] = {}
        for _, node in self._seen:
            weights[node] = weights.get(node, 0.0) + 1.0
        return weights


def is_idle(vehicle: VehicleState, now: int) -> bool:
    """No stop to serve, standing (not relocating), within its shift."""
    return (
        not vehicle.visits
        and vehicle.shift_start <= now < vehicle.shift_end
        and vehicle.position_at <= now
        and not vehicle.at_stop
    )


def plan_relocations(
    vehicles: Iterable[VehicleState],
    demand: dict[int, float],
    table: LocationTable,
    now: int,
    params: RebalanceParams,
) -> list[Relocation]:
    """Where the idle buses should go: one bus at a time, each to the place that covers
    the most demand no other bus covers (greedy maximum coverage)."""
    fleet = sorted(vehicles, key=lambda v: v.vehicle_id)
    idle = [v for v in fleet if is_idle(v, now)]
    if not idle or not demand:
        return []
    points = list(demand)
    weights = np.array([demand[n] for n in points], dtype=np.float64)
    point_idx = table.index_many(points)
    anchors = _busy_anchors(fleet, idle, table, now, params) + [v.position_node for v in idle]
    anchor_idx = table.index_many(anchors)
    depots = table.index_many([v.depot_node for v in idle])
    secs, _ = table.matrices()
    reach = secs[np.ix_(point_idx, point_idx)] <= params.coverage_s
    cover = np.zeros(len(points), dtype=np.int64)
    if anchor_idx:
        cover += (secs[np.ix_(anchor_idx, point_idx)] <= params.coverage_s).sum(axis=0)
    moves = []
    for vehicle, depot in zip(idle, depots, strict=True):
        here = table.index(vehicle.position_node)
        mine = secs[here, point_idx] <= params.coverage_s
        others = cover - mine
        open_weights = np.where(others > 0, 0.0, weights)
        best = _best_place(
            vehicle,
            here,
            depot,
            point_idx,
            reach @ open_weights,
            open_weights[mine].sum(),
            now,
            secs,
            params,
        )
        if best is None:
            continue
        moves.append(
            Relocation(vehicle.vehicle_id, points[best], now + int(secs[here, point_idx[best]]))
        )
        cover = others + reach[best]
    return moves


def _busy_anchors(
    fleet: list[VehicleState],
    idle: list[VehicleState],
    table: LocationTable,
    now: int,
    params: RebalanceParams,
) -> list[int]:
    """Road nodes where the buses that are not idle are, or will be free soon: where a
    relocating bus is going, a busy bus's last stop if it gets there within ``coverage_s``."""
    idle_ids = {v.vehicle_id for v in idle}
    anchors = []
    for v in fleet:
        if v.vehicle_id in idle_ids or not v.shift_start <= now < v.shift_end:
            continue
        last = v.route.stops[-1] if v.route is not None and v.route.stops else None
        if not v.visits:
            anchors.append(v.position_node)
        elif last is not None and last.departure <= now + params.coverage_s:
            anchors.append(table.nodes[last.location])
    return anchors


def _best_place(
    vehicle: VehicleState,
    here: int,
    depot: int,
    point_idx: list[int],
    gains: np.ndarray,
    stay: float,
    now: int,
    secs: np.ndarray,
    params: RebalanceParams,
) -> int | None:
    """The demand point to go to (its position in ``point_idx``), or None: stay."""
    drive = secs[here, point_idx]
    back = secs[point_idx, depot]
    allowed = (drive <= params.max_drive_s) & (
        now + drive + back + params.shift_margin_s <= vehicle.shift_end
    )
    net = np.where(allowed, gains - stay, -np.inf)
    best = int(np.argmax(net - 1e-6 * drive))  # ties: the nearer place
    if net[best] < params.min_gain or drive[best] == 0:
        return None
    return best
