"""The day solved in hindsight: every request known at once, for the price of not knowing.

A replay books requests one by one as they come in and re-optimises what it has. The
hindsight solution sees the whole day from the start — the same rules (maximum wait,
ride-time limit, boarding times, shifts) — and plans it in one solve. The difference
in vehicle-km is what the dispatcher pays for not knowing the future.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from dispatch.engine.events import TripSpec
from dispatch.engine.locations import LocationTable
from dispatch.engine.trips import quote_request
from dispatch.model import Plan, Request, Snapshot, Vehicle
from dispatch.sim.scenario import Prepared
from dispatch.solver.improve import ImproveParams, solve
from dispatch.solver.validate import Violation, validate_plan


@dataclass(frozen=True, slots=True)
class Hindsight:
    plan: Plan
    snapshot: Snapshot
    served: int
    requested: int
    vehicle_km: float
    violations: Sequence[Violation]


def hindsight_snapshot(prepared: Prepared) -> Snapshot:
    """All requests with their raw windows (not promises) and the fleet at its depots."""
    table = LocationTable(prepared.network)
    now = min(v.shift_start for v in prepared.fleet)
    requests: list[Request] = []
    for r in prepared.requests:
        spec = TripSpec(
            pickup_node=prepared.network.resolve(r.origin),
            dropoff_node=prepared.network.resolve(r.destination),
            passengers=r.passengers,
            wheelchairs=r.wheelchairs,
            depart_after=r.depart_after,
            arrive_by=r.arrive_by,
        )
        built = quote_request(r.id, spec, now, table, prepared.engine_params)
        if not isinstance(built, str):
            requests.append(built[0])
    vehicles = tuple(
        Vehicle(
            id=v.vehicle_id,
            capacity=(v.seats, v.wheelchair_places),
            start_location=table.index(v.depot_node),
            available_from=v.shift_start,
            end_location=table.index(v.depot_node),
            shift_end=v.shift_end,
        )
        for v in prepared.fleet
    )
    secs, metres = table.matrices()
    return Snapshot(now, vehicles, tuple(requests), secs.copy(), metres.copy())


def solve_in_hindsight(prepared: Prepared, time_limit_s: float, seed: int = 0) -> Hindsight:
    """LNS and OR-Tools on the whole day within ``time_limit_s``; checked by validate_plan."""
    snapshot = hindsight_snapshot(prepared)
    objective = prepared.engine_params.objective
    result = solve(snapshot, objective, time_limit_s, seed=seed, improve=ImproveParams())
    plan = result.plan
    return Hindsight(
        plan,
        snapshot,
        served=sum(len(r.stops) for r in plan.routes) // 2,
        requested=len(prepared.requests),
        vehicle_km=plan_km(snapshot, plan),
        violations=validate_plan(snapshot, plan),
    )


def plan_km(snapshot: Snapshot, plan: Plan) -> float:
    """Kilometres driven by a plan: out from the depot, every stop, back to the depot."""
    assert snapshot.distance_m is not None
    metres = snapshot.distance_m
    total = 0
    for route in plan.routes:
        if not route.stops:
            continue
        vehicle = snapshot.vehicle_by_id[route.vehicle_id]
        path = [vehicle.start_location, *(s.location for s in route.stops), vehicle.end_location]
        total += sum(int(metres[a, b]) for a, b in itertools.pairwise(path))
    return total / 1000
