"""Removal ("destroy") operators of the large-neighbourhood search.

Each picks ``k`` movable requests to take out of a plan; regret insertion then puts
them back. Different operators open different neighbourhoods: related requests can
swap places, a random set escapes local structure, a whole route can be dissolved
into the others, and the most expensive requests get a chance at a cheaper spot.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from dispatch.model import Plan, RequestId, Snapshot

Operator = Callable[[Snapshot, Plan, list[RequestId], int, random.Random], list[RequestId]]

#: Worst removal picks rank ``floor(u ** WORST_BIAS * n)``: mostly the costliest, not always.
WORST_BIAS = 3.0


def choose_removal(
    snapshot: Snapshot, plan: Plan, removable: list[RequestId], k: int, rng: random.Random
) -> list[RequestId]:
    """Draw an operator (related, time, random, worst, route) and apply it."""
    draw = rng.random()
    operator: Operator
    if draw < 0.3:
        operator = related_removal
    elif draw < 0.5:
        operator = time_removal
    elif draw < 0.7:
        operator = random_removal
    elif draw < 0.85:
        operator = worst_removal
    else:
        operator = route_removal
    return operator(snapshot, plan, removable, k, rng)


def random_removal(
    snapshot: Snapshot, plan: Plan, removable: list[RequestId], k: int, rng: random.Random
) -> list[RequestId]:
    return rng.sample(removable, k)


def route_removal(
    snapshot: Snapshot, plan: Plan, removable: list[RequestId], k: int, rng: random.Random
) -> list[RequestId]:
    """All movable requests of one route (at most ``k``), so another route can absorb them."""
    allowed = set(removable)
    routes = [r for r in plan.routes if any(s.request_id in allowed for s in r.stops)]
    if not routes:
        return rng.sample(removable, k)
    route = rng.choice(routes)
    ids = list(dict.fromkeys(s.request_id for s in route.stops if s.request_id in allowed))
    return ids[:k] if len(ids) > k else ids


def related_removal(
    snapshot: Snapshot, plan: Plan, removable: list[RequestId], k: int, rng: random.Random
) -> list[RequestId]:
    """Shaw removal: a seed request and those closest to it in place and time."""
    requests = snapshot.request_by_id
    travel = snapshot.travel_rows
    starts = {s.request_id: s.start for r in plan.routes for s in r.stops}
    seed = requests[rng.choice(removable)]
    seed_start = starts.get(seed.id, seed.pickup_window.start)
    noise = 0.02 * max(1, travel[seed.pickup][seed.dropoff])

    def relatedness(rid: RequestId) -> float:
        r = requests[rid]
        dist = travel[seed.pickup][r.pickup] + travel[seed.dropoff][r.dropoff]
        dt = abs(starts.get(rid, r.pickup_window.start) - seed_start)
        return dist + 0.5 * dt + rng.random() * noise

    return sorted(removable, key=relatedness)[:k]


def time_removal(
    snapshot: Snapshot, plan: Plan, removable: list[RequestId], k: int, rng: random.Random
) -> list[RequestId]:
    """The requests served around one instant, on every vehicle: who serves that hour
    can then be decided afresh (vehicles' routes run in time order)."""
    starts = {s.request_id: s.start for r in plan.routes for s in r.stops}
    requests = snapshot.request_by_id

    def when(rid: RequestId) -> int:
        return starts.get(rid, requests[rid].pickup_window.start)

    instant = when(rng.choice(removable))
    return sorted(removable, key=lambda rid: abs(when(rid) - instant) + rng.random())[:k]


def worst_removal(
    snapshot: Snapshot, plan: Plan, removable: list[RequestId], k: int, rng: random.Random
) -> list[RequestId]:
    """Requests whose stops cost most detour where they are, drawn with a bias to the worst."""
    saving = _detours(snapshot, plan)
    ranked = sorted(removable, key=lambda rid: -saving.get(rid, 0))
    chosen: list[RequestId] = []
    while len(chosen) < k and ranked:
        chosen.append(ranked.pop(int(rng.random() ** WORST_BIAS * len(ranked))))
    return chosen


def _detours(snapshot: Snapshot, plan: Plan) -> dict[RequestId, int]:
    """Per request, the arc cost its two stops add to their route (each taken alone)."""
    cost = snapshot.cost_rows
    out: dict[RequestId, int] = {}
    for route in plan.routes:
        vehicle = snapshot.vehicle_by_id[route.vehicle_id]
        path = [vehicle.start_location, *(s.location for s in route.stops), vehicle.end_location]
        for i, stop in enumerate(route.stops, start=1):
            a, b, c = path[i - 1], path[i], path[i + 1]
            detour = cost[a][b] + cost[b][c] - cost[a][c]
            out[stop.request_id] = out.get(stop.request_id, 0) + detour
    return out
