"""Make room for a request by moving bookings: insertion with reassignment.

Plain insertion keeps every other booking where it is. Often a request that does not
fit anywhere would fit if one or two bookings near it moved to another position or
another bus (their promises still kept). This tries exactly that, in milliseconds: take
out the bookings most related to the new request in place and time, one at a time and
then in pairs, insert the new request where it is cheapest, and put the taken-out ones
back wherever they fit. The first arrangement in which everybody fits wins; it is
returned with the vehicles whose sequences changed.

Used for offers when plain insertion finds none, so a request turned away today by a
greedy plan can still be served; the result is feasible by the exact schedule
arithmetic (as every insertion is), and capacity and pairing hold by construction.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from dispatch.model import (
    Request,
    RequestId,
    ShiftId,
    Snapshot,
    StopKind,
    TimeWindow,
    Visit,
)
from dispatch.solver.insertion import promise_for
from dispatch.solver.params import ObjectiveParams, PromiseParams
from dispatch.solver.repair import insert_requests
from dispatch.solver.schedule import Infeasibility, compute_schedule

#: Bookings considered for moving, by relatedness to the new request.
CANDIDATES = 6


@dataclass(frozen=True, slots=True)
class Reassignment:
    """New sequences for the vehicles that change; ``moved`` are the bookings moved."""

    sequences: dict[ShiftId, tuple[Visit, ...]]
    moved: tuple[RequestId, ...]
    vehicle_id: ShiftId  # the vehicle that serves the new request


@dataclass(frozen=True, slots=True)
class ReassignedOffer:
    """What can be promised when the request is served by a reassignment."""

    vehicle_id: ShiftId
    pickup_start: int
    dropoff_start: int
    pickup_window: TimeWindow
    latest_arrival: int
    reassignment: Reassignment


def insert_with_reassignment(
    snapshot: Snapshot,
    visits: Mapping[ShiftId, Sequence[Visit]],
    request: Request,
    params: ObjectiveParams | None = None,
    max_moved: int = 2,
) -> Reassignment | None:
    """Serve ``request`` by moving at most ``max_moved`` movable bookings, or ``None``.

    ``request`` must be in ``snapshot.requests``. Movable: not on board and not in a
    vehicle's locked first stops.
    """
    params = params or ObjectiveParams()
    related = _related(snapshot, visits, request)
    for size in range(1, max_moved + 1):
        for group in itertools.combinations(related, size):
            found = _try(snapshot, visits, request, group, params)
            if found is not None:
                return found
    return None


def _movable(snapshot: Snapshot, visits: Mapping[ShiftId, Sequence[Visit]]) -> set[RequestId]:
    locked = {v.request_id for vehicle in snapshot.vehicles for v in vehicle.locked}
    planned = {v.request_id for seq in visits.values() for v in seq if v.kind is StopKind.PICKUP}
    requests = snapshot.request_by_id
    return {
        rid
        for rid in planned - locked
        if rid in requests and not requests[rid].on_board and not requests[rid].exclusive
    }


def _related(
    snapshot: Snapshot, visits: Mapping[ShiftId, Sequence[Visit]], request: Request
) -> list[RequestId]:
    """The movable bookings closest to ``request`` in place and time (Shaw relatedness)."""
    travel = snapshot.travel_rows
    requests = snapshot.request_by_id
    start = request.pickup_window.start

    def distance(rid: RequestId) -> float:
        r = requests[rid]
        place = travel[request.pickup][r.pickup] + travel[request.dropoff][r.dropoff]
        return place + 0.5 * abs(r.pickup_window.start - start)

    return sorted(_movable(snapshot, visits), key=lambda rid: (distance(rid), rid))[:CANDIDATES]


def _try(
    snapshot: Snapshot,
    visits: Mapping[ShiftId, Sequence[Visit]],
    request: Request,
    group: Sequence[RequestId],
    params: ObjectiveParams,
) -> Reassignment | None:
    gone = set(group)
    reduced = {
        vid: tuple(v for v in seq if v.request_id not in gone) for vid, seq in visits.items()
    }
    with_new, left = insert_requests(snapshot, reduced, [request.id], params)
    if left:
        return None
    final, left = insert_requests(snapshot, with_new, list(group), params, regret=2)
    if left:
        return None
    changed = {vid: seq for vid, seq in final.items() if tuple(visits.get(vid, ())) != seq}
    carrier = next(
        vid for vid, seq in final.items() if any(v.request_id == request.id for v in seq)
    )
    return Reassignment(changed, tuple(group), carrier)


def reassignment_offer(
    snapshot: Snapshot,
    found: Reassignment,
    request: Request,
    promise: PromiseParams,
) -> ReassignedOffer | None:
    """The offer (promise) the reassignment allows, checked with the promise as hard windows."""
    vehicle = snapshot.vehicle_by_id[found.vehicle_id]
    sequence = found.sequences[found.vehicle_id]
    schedule = compute_schedule(snapshot, vehicle, sequence)
    if isinstance(schedule, Infeasibility):
        return None
    pick = sequence.index(Visit(request.id, StopKind.PICKUP))
    drop = sequence.index(Visit(request.id, StopKind.DROPOFF))
    window, latest = promise_for(request, schedule.start[pick], schedule.start[drop], promise)
    promised = replace(
        request,
        pickup_window=window,
        dropoff_window=TimeWindow(min(request.dropoff_window.start, latest), latest),
    )
    check = Snapshot(
        snapshot.now,
        snapshot.vehicles,
        tuple(promised if r.id == request.id else r for r in snapshot.requests),
        snapshot.travel_s,
        snapshot.distance_m,
        snapshot.cost_matrix,
    )
    check.__dict__["travel_rows"] = snapshot.travel_rows
    if isinstance(compute_schedule(check, vehicle, sequence), Infeasibility):
        return None
    return ReassignedOffer(
        found.vehicle_id, schedule.start[pick], schedule.start[drop], window, latest, found
    )
