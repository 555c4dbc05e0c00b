"""Insertion: exact, cheapest first, and the cheap filters never skip a feasible insertion."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.model import Request, Snapshot, StopKind, TimeWindow, Visit
from dispatch.solver.insertion import feasible_insertions, make_offer, offers
from dispatch.solver.params import ObjectiveParams, PromiseParams
from dispatch.solver.plan import route_arc_cost, route_excess_ride_s
from dispatch.solver.schedule import Infeasibility, build_route
from dispatch.solver.validate import validate_plan
from tests.solver.builders import NOW, random_case

DEFAULT = ObjectiveParams()


def _new_request(snapshot: Snapshot) -> Request:
    return next(r for r in snapshot.requests if not r.promised and not r.on_board)


def _brute_force(snapshot: Snapshot, visits: dict, request: Request) -> set[tuple[str, int, int]]:  # type: ignore[type-arg]
    return set(_brute_force_costs(snapshot, visits, request))


def _route_cost(snapshot: Snapshot, route: object, params: ObjectiveParams) -> float:
    return params.drive_weight * route_arc_cost(
        snapshot, route
    ) + params.excess_ride_weight * route_excess_ride_s(snapshot, route)  # type: ignore[arg-type]


def _brute_force_costs(
    snapshot: Snapshot,
    visits: dict,  # type: ignore[type-arg]
    request: Request,
    params: ObjectiveParams = DEFAULT,
) -> dict[tuple[str, int, int], float]:
    """Every position pair checked with build_route; added cost from the plan's own functions."""
    feasible = {}
    pickup, dropoff = Visit(request.id, StopKind.PICKUP), Visit(request.id, StopKind.DROPOFF)
    for vehicle in snapshot.vehicles:
        seq = list(visits.get(vehicle.id, ()))
        old = build_route(snapshot, vehicle, seq)
        assert not isinstance(old, Infeasibility)
        for i in range(len(vehicle.locked), len(seq) + 1):
            for j in range(i, len(seq) + 1):
                new = [*seq[:i], pickup, *seq[i:j], dropoff, *seq[j:]]
                route = build_route(snapshot, vehicle, new)
                if not isinstance(route, Infeasibility):
                    added = _route_cost(snapshot, route, params) - _route_cost(
                        snapshot, old, params
                    )
                    feasible[(str(vehicle.id), i, j + 1)] = added
    return feasible


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), width=st.integers(60, 3600))
def test_filters_never_skip_a_feasible_insertion(seed: int, width: int) -> None:
    snapshot, plan = random_case(seed, vehicles=2, promised=4, new=1, on_board=1)
    request = _new_request(snapshot)
    request = replace(
        request,
        pickup_window=TimeWindow(request.pickup_window.start, request.pickup_window.start + width),
    )
    snapshot = replace(
        snapshot, requests=tuple(request if r.id == request.id else r for r in snapshot.requests)
    )
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    found = {
        (str(i.vehicle_id), i.pickup_pos, i.dropoff_pos)
        for i in feasible_insertions(snapshot, visits, request)
    }
    assert found == _brute_force(snapshot, visits, request)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_insertions_are_cheapest_first_and_valid(seed: int) -> None:
    snapshot, plan = random_case(seed, vehicles=3, promised=5, new=1, on_board=1)
    request = _new_request(snapshot)
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    found = feasible_insertions(snapshot, visits, request)
    costs = [i.added_cost for i in found]
    assert costs == sorted(costs)
    for ins in found[:3]:
        routes = tuple(ins.route if r.vehicle_id == ins.vehicle_id else r for r in plan.routes)
        new_plan = replace(
            plan, routes=routes, unserved=tuple(u for u in plan.unserved if u != request.id)
        )
        assert validate_plan(snapshot, new_plan) == []


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_offers_promise_what_the_plan_can_keep(seed: int) -> None:
    snapshot, plan = random_case(seed, vehicles=2, promised=3, new=1, on_board=0)
    request = _new_request(snapshot)
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    promise = PromiseParams()
    made = offers(snapshot, visits, request, n=3, promise=promise)
    starts = [o.pickup_start for o in made]
    for a in starts:
        assert sum(abs(a - b) < promise.min_separation_s for b in starts) == 1
    for offer in made:
        assert request.pickup_window.start <= offer.pickup_window.start <= offer.pickup_start
        assert offer.pickup_start <= offer.pickup_window.end <= request.pickup_window.end
        assert offer.dropoff_start <= offer.latest_arrival
        promised = replace(
            request,
            pickup_window=offer.pickup_window,
            dropoff_window=TimeWindow(0, offer.latest_arrival),
            promised=True,
        )
        snap2 = replace(
            snapshot,
            requests=tuple(promised if r.id == request.id else r for r in snapshot.requests),
        )
        vehicle = snap2.vehicle_by_id[offer.vehicle_id]
        assert not isinstance(build_route(snap2, vehicle, offer.insertion.visits), Infeasibility)
        assert make_offer(offer.insertion, request, promise) == offer


def test_no_offer_when_the_window_is_past() -> None:
    snapshot, plan = random_case(1, vehicles=1, promised=1, new=1, on_board=0)
    request = replace(_new_request(snapshot), pickup_window=TimeWindow(NOW - 100, NOW - 50))
    snapshot = replace(
        snapshot, requests=tuple(request if r.id == request.id else r for r in snapshot.requests)
    )
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    assert offers(snapshot, visits, request) == []


def _with_request(snapshot: Snapshot, request: Request) -> Snapshot:
    return replace(
        snapshot, requests=tuple(request if r.id == request.id else r for r in snapshot.requests)
    )


def _loosened(snapshot: Snapshot, extra: int) -> Snapshot:
    """Every window and ride limit ``extra`` seconds longer: the known plan stays feasible."""

    def loose(r: Request) -> Request:
        drop = r.dropoff_window
        return replace(
            r,
            pickup_window=TimeWindow(r.pickup_window.start, r.pickup_window.end + extra),
            dropoff_window=TimeWindow(drop.start, drop.end + extra),
            max_ride_s=r.max_ride_s + extra,
        )

    return replace(snapshot, requests=tuple(loose(r) for r in snapshot.requests))


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    extra=st.integers(0, 2400),
    start=st.integers(-600, 7200),
    width=st.integers(0, 5400),
    ride_slack=st.integers(0, 1800),
    load=st.sampled_from([(1, 0), (2, 0), (1, 1), (3, 0)]),
)
def test_filters_never_skip_a_feasible_insertion_in_busy_routes(
    seed: int, extra: int, start: int, width: int, ride_slack: int, load: tuple[int, int]
) -> None:
    """Longer routes, riders on board, locked stops, tight and loose limits, bigger loads."""
    snapshot, plan = random_case(seed, vehicles=3, promised=9, new=1, on_board=2)
    snapshot = _loosened(snapshot, extra)
    base = _new_request(snapshot)
    direct = int(snapshot.travel_s[base.pickup, base.dropoff])
    request = replace(
        base,
        load=load,
        pickup_window=TimeWindow(NOW + start, NOW + start + width),
        max_ride_s=direct + ride_slack,
    )
    snapshot = _with_request(snapshot, request)
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    found = feasible_insertions(snapshot, visits, request)
    expected = _brute_force_costs(snapshot, visits, request)
    assert {(str(i.vehicle_id), i.pickup_pos, i.dropoff_pos) for i in found} == set(expected)
    for ins in found:
        key = (str(ins.vehicle_id), ins.pickup_pos, ins.dropoff_pos)
        assert abs(ins.added_cost - expected[key]) < 1e-6
        vehicle = snapshot.vehicle_by_id[ins.vehicle_id]
        assert ins.visits[: len(vehicle.locked)] == vehicle.locked
        assert ins.route.visits == ins.visits


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 100_000), limit=st.integers(1, 4), excess=st.sampled_from([0.0, 0.2, 1.0])
)
def test_limited_search_returns_the_cheapest(seed: int, limit: int, excess: float) -> None:
    """With a limit, the result is exactly the cheapest feasible insertions (by cost)."""
    params = ObjectiveParams(excess_ride_weight=excess)
    snapshot, plan = random_case(seed, vehicles=3, promised=7, new=1, on_board=1)
    snapshot = _loosened(snapshot, 1800)
    request = _new_request(snapshot)
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    found = feasible_insertions(snapshot, visits, request, params, limit=limit)
    costs = sorted(_brute_force_costs(snapshot, visits, request, params).values())
    assert [round(i.added_cost, 6) for i in found] == [round(c, 6) for c in costs[:limit]]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_offers_start_with_the_cheapest_insertion(seed: int) -> None:
    snapshot, plan = random_case(seed, vehicles=3, promised=5, new=1, on_board=1)
    request = _new_request(snapshot)
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    made = offers(snapshot, visits, request, n=3)
    best = feasible_insertions(snapshot, visits, request, limit=1)
    assert bool(made) == bool(best)
    if made:
        assert made[0].insertion.added_cost == best[0].added_cost
        costs = [o.insertion.added_cost for o in made]
        assert costs == sorted(costs)


def test_an_unreachable_vehicle_offers_nothing_but_others_still_do() -> None:
    snapshot, plan = random_case(3, vehicles=2, promised=2, new=1, on_board=0)
    request = _new_request(snapshot)
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    first = snapshot.vehicles[0]
    ended = replace(first, shift_end=first.available_from)
    snapshot = replace(snapshot, vehicles=(ended, *snapshot.vehicles[1:]))
    visits[first.id] = ()
    assert all(i.vehicle_id != first.id for i in feasible_insertions(snapshot, visits, request))
