"""Candidate insertions for the repair step of large-neighbourhood search.

A specialised, leaner variant of the candidate generation and exact check in
:mod:`dispatch.solver.insertion` (which serves offers and must return fully timed
routes). The repair evaluates tens of thousands of insertions per second of search
and applies only a few, so here an evaluation computes the least schedule and the
added cost and nothing else (no timed route, no load list), and the position scan
stops early: departures never decrease along a route, so once a stop is left after
the pickup window (or after the latest possible drop-off) every later position fails
too. The necessary conditions are the same as insertion's, so no feasible insertion is
skipped that insertion would have found.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from dispatch.model import Request, Snapshot, Visit, latest_dropoff_start
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.route_state import RouteState, first_pickup_position, try_insert
from dispatch.solver.schedule import dropoff_upper


class Candidate(NamedTuple):
    """Pickup before old position ``pickup_pos``, drop-off before old ``dropoff_pos``.

    A named tuple, not a dataclass: the scan makes hundreds of thousands a second, and
    sorting them by estimate (the first field) needs no key function.
    """

    estimate: int
    vehicle_index: int
    pickup_pos: int
    dropoff_pos: int


@dataclass(frozen=True, slots=True)
class Option:
    """A feasible insertion: the new sequence of one vehicle and what it adds to the cost."""

    vehicle_index: int
    visits: tuple[Visit, ...]
    added_cost: float


def candidates(snapshot: Snapshot, k: int, st: RouteState, request: Request) -> Iterator[Candidate]:
    """Position pairs that pass the necessary conditions, with their added arc cost."""
    cost, time_rows = snapshot.cost_rows, snapshot.travel_rows
    path, dep, latest = st.path, st.departures, st.latest
    p, d = request.pickup, request.dropoff
    lower_p, upper_p, s_p = (
        request.pickup_window.start,
        request.pickup_window.end,
        request.pickup_service_s,
    )
    lower_d, upper_d, s_d = (
        request.dropoff_window.start,
        dropoff_upper(request),
        request.dropoff_service_s,
    )
    fits = st.fits(request.load)
    n = len(st.visits)
    for i in range(first_pickup_position(st, request), n + 1):
        if dep[i] > upper_p:
            break
        a, b = path[i], path[i + 1]
        start_p = dep[i] + time_rows[a][p]
        if start_p < lower_p:
            start_p = lower_p
        if not fits[i] or start_p > upper_p or start_p + s_p + time_rows[p][b] > latest[i]:
            continue
        start_d = start_p + s_p + time_rows[p][d]
        if start_d < lower_d:
            start_d = lower_d
        if start_d <= upper_d and start_d + s_d + time_rows[d][b] <= latest[i]:
            yield Candidate(cost[a][p] + cost[p][d] + cost[d][b] - cost[a][b], k, i, i)
        pick = cost[a][p] + cost[p][b] - cost[a][b]
        latest_p = min(upper_p, latest[i] - s_p - time_rows[p][b])
        last_d = min(upper_d, latest_dropoff_start(request, latest_p))
        barrier = st.next_barrier[i]  # nobody rides through a break
        for j in range(i + 1, n + 1):
            if not fits[j] or dep[j] > last_d or j > barrier:
                break
            a2, b2 = path[j], path[j + 1]
            start_d = dep[j] + time_rows[a2][d]
            if start_d < lower_d:
                start_d = lower_d
            if start_d > last_d or start_d + s_d + time_rows[d][b2] > latest[j]:
                continue
            yield Candidate(pick + cost[a2][d] + cost[d][b2] - cost[a2][b2], k, i, j)


def evaluate(
    snapshot: Snapshot,
    st: RouteState,
    request: Request,
    c: Candidate,
    params: ObjectiveParams,
) -> Option | None:
    """The exact check of one candidate (capacity was checked arc by arc already)."""
    done = try_insert(snapshot, st, request, c.pickup_pos, c.dropoff_pos, params, warm=True)
    if done is None:
        return None
    new, _, added = done
    return Option(c.vehicle_index, new, added)
