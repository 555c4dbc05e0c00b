"""Assemble a timed, costed :class:`~dispatch.model.Plan` from visit sequences."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from dispatch.model import (
    Cost,
    Plan,
    RequestId,
    Route,
    ShiftId,
    Snapshot,
    StopKind,
    Visit,
    ride_s,
)
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.route_state import RouteState, route_state
from dispatch.solver.schedule import Infeasibility, build_route, empty_route

VisitsByVehicle = Mapping[ShiftId, Sequence[Visit]]


def make_plan(
    snapshot: Snapshot,
    visits: VisitsByVehicle,
    params: ObjectiveParams | None = None,
) -> Plan | Infeasibility:
    """Time every vehicle's sequence; requests on no route are the unserved ones.

    Returns an :class:`Infeasibility` naming the vehicle when a sequence cannot be
    scheduled. Whether promised requests are all served is ``validate_plan``'s job.
    """
    params = params or ObjectiveParams()
    routes: list[Route] = []
    for vehicle in snapshot.vehicles:
        sequence = visits.get(vehicle.id, ())
        if not sequence:
            routes.append(empty_route(vehicle, snapshot))
            continue
        route = build_route(snapshot, vehicle, sequence)
        if isinstance(route, Infeasibility):
            return Infeasibility(f"vehicle {vehicle.id}: {route.reason}", route.position)
        routes.append(route)
    unserved = _unserved(snapshot, routes)
    return Plan(tuple(routes), unserved, plan_cost(snapshot, routes, unserved, params))


def plan_from_states(
    snapshot: Snapshot,
    visits: VisitsByVehicle,
    params: ObjectiveParams | None = None,
) -> Plan | Infeasibility:
    """:func:`make_plan`'s plan, from each vehicle's route state.

    Route states are kept between calls (see :mod:`dispatch.solver.route_state`): the
    live plan's were computed by the last quote, and an insertion's by the insertion
    itself, so a plan of sequences that were looked at before is put together without
    timing any route again.
    """
    params = params or ObjectiveParams()
    states = _route_states(snapshot, visits, params)
    if isinstance(states, Infeasibility):
        return states
    routes = [
        empty_route(vehicle, snapshot) if state is None else state.route(snapshot)
        for vehicle, state in zip(snapshot.vehicles, states, strict=True)
    ]
    unserved = _unserved(snapshot, routes)
    return Plan(tuple(routes), unserved, _states_cost(snapshot, states, unserved, params))


def sequences_cost(
    snapshot: Snapshot,
    visits: VisitsByVehicle,
    params: ObjectiveParams | None = None,
) -> Cost | Infeasibility:
    """The cost :func:`plan_from_states` would give, without building the timed routes."""
    params = params or ObjectiveParams()
    states = _route_states(snapshot, visits, params)
    if isinstance(states, Infeasibility):
        return states
    served = {v.request_id for sequence in visits.values() for v in sequence}
    unserved = tuple(r.id for r in snapshot.requests if r.id not in served)
    return _states_cost(snapshot, states, unserved, params)


def _route_states(
    snapshot: Snapshot, visits: VisitsByVehicle, params: ObjectiveParams
) -> list[RouteState | None] | Infeasibility:
    """Every vehicle's route state (``None``: nothing to do), or why one cannot be timed."""
    states: list[RouteState | None] = []
    for vehicle in snapshot.vehicles:
        sequence = tuple(visits.get(vehicle.id, ()))
        if not sequence:
            states.append(None)
            continue
        state = route_state(snapshot, vehicle, sequence, params)
        if state is None:  # say why, as make_plan does
            failed = build_route(snapshot, vehicle, sequence)
            if isinstance(failed, Infeasibility):
                return Infeasibility(f"vehicle {vehicle.id}: {failed.reason}", failed.position)
            return Infeasibility(f"vehicle {vehicle.id}: cannot be timed")
        states.append(state)
    return states


def _states_cost(
    snapshot: Snapshot,
    states: list[RouteState | None],
    unserved: Sequence[RequestId],
    params: ObjectiveParams,
) -> Cost:
    drive = arc = excess = wait = 0
    for vehicle, state in zip(snapshot.vehicles, states, strict=True):
        if state is None:  # straight to the end location
            drive += snapshot.travel_rows[vehicle.start_location][vehicle.end_location]
            arc += snapshot.cost_rows[vehicle.start_location][vehicle.end_location]
            continue
        drive += state.drive_s
        arc += state.arc_cost
        excess += state.base_excess
        wait += state.wait_s
    return _cost(snapshot, drive, arc, excess, wait, unserved, params)


def _unserved(snapshot: Snapshot, routes: Sequence[Route]) -> tuple[RequestId, ...]:
    served = {s.request_id for r in routes for s in r.stops}
    return tuple(r.id for r in snapshot.requests if r.id not in served)


def replan(
    snapshot: Snapshot,
    previous: Plan,
    visits: VisitsByVehicle,
    params: ObjectiveParams | None = None,
) -> Plan | Infeasibility:
    """Like :func:`make_plan`, re-timing only the vehicles whose sequence changed.

    ``previous`` must be a plan of the same snapshot (a search step changes a few
    routes; timing the others again would give the very same routes).
    """
    params = params or ObjectiveParams()
    before = {r.vehicle_id: r for r in previous.routes}
    routes: list[Route] = []
    for vehicle in snapshot.vehicles:
        sequence = tuple(visits.get(vehicle.id, ()))
        old = before.get(vehicle.id)
        if old is not None and old.visits == sequence:
            routes.append(old)
            continue
        if not sequence:
            routes.append(empty_route(vehicle, snapshot))
            continue
        route = build_route(snapshot, vehicle, sequence)
        if isinstance(route, Infeasibility):
            return Infeasibility(f"vehicle {vehicle.id}: {route.reason}", route.position)
        routes.append(route)
    unserved = _unserved(snapshot, routes)
    return Plan(tuple(routes), unserved, plan_cost(snapshot, routes, unserved, params))


def plan_cost(
    snapshot: Snapshot,
    routes: Sequence[Route],
    unserved: Sequence[RequestId],
    params: ObjectiveParams,
) -> Cost:
    drive = sum(route_drive_s(snapshot, r) for r in routes)
    arc = sum(route_arc_cost(snapshot, r) for r in routes)
    excess = sum(route_excess_ride_s(snapshot, r) for r in routes)
    wait = sum(route_wait_s(snapshot, r) for r in routes)
    return _cost(snapshot, drive, arc, excess, wait, unserved, params)


def _cost(
    snapshot: Snapshot,
    drive: int,
    arc: int,
    excess: int,
    wait: int,
    unserved: Sequence[RequestId],
    params: ObjectiveParams,
) -> Cost:
    requests = snapshot.request_by_id
    # A promised request left out makes a plan invalid; during search it costs ten times
    # a new one, so that every search move that puts it back is taken.
    penalised = sum(10 if requests[rid].promised else 1 for rid in unserved)
    arc_term = arc if snapshot.cost_matrix is not None else drive
    total = (
        params.drive_weight * arc_term
        + params.excess_ride_weight * excess
        + params.wait_weight * wait
        + params.unserved_penalty * penalised
    )
    return Cost(
        drive_s=drive,
        excess_ride_s=excess,
        unserved=len(unserved),
        total=total,
        arc_cost=arc,
        wait_s=wait,
    )


def route_wait_s(snapshot: Snapshot, route: Route) -> int:
    """Seconds riders picked up on this route wait beyond the time they asked for."""
    requests = snapshot.request_by_id
    total = 0
    for stop in route.stops:
        if stop.kind is StopKind.PICKUP:
            desired = requests[stop.request_id].desired_pickup
            if desired is not None:
                total += max(0, stop.start - desired)
    return total


def _path(snapshot: Snapshot, route: Route) -> list[int]:
    vehicle = snapshot.vehicle_by_id[route.vehicle_id]
    return [vehicle.start_location, *(s.location for s in route.stops), vehicle.end_location]


def route_drive_s(snapshot: Snapshot, route: Route) -> int:
    travel = snapshot.travel_rows
    path = _path(snapshot, route)
    return sum(travel[a][b] for a, b in itertools.pairwise(path))


def route_arc_cost(snapshot: Snapshot, route: Route) -> int:
    cost = snapshot.cost_rows
    path = _path(snapshot, route)
    return sum(cost[a][b] for a, b in itertools.pairwise(path))


def route_excess_ride_s(snapshot: Snapshot, route: Route) -> int:
    """Seconds riders spend on board beyond their direct trip (drop-offs on this route)."""
    travel = snapshot.travel_rows
    requests = snapshot.request_by_id
    pickup_start: dict[RequestId, int] = {}
    excess = 0
    for stop in route.stops:
        request = requests[stop.request_id]
        if stop.kind is StopKind.PICKUP:
            pickup_start[request.id] = stop.start
            continue
        picked = pickup_start.get(request.id, request.boarded_at)
        if picked is not None:
            ride = ride_s(request, picked, stop.start)
            excess += max(0, ride - travel[request.pickup][request.dropoff])
    return excess
