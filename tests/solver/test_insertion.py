"""Insertion: exact, cheapest first, and the cheap filters never skip a feasible insertion."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.model import Request, Snapshot, StopKind, TimeWindow, Visit
from dispatch.solver.insertion import feasible_insertions, make_offer, offers
from dispatch.solver.params import PromiseParams
from dispatch.solver.schedule import Infeasibility, build_route
from dispatch.solver.validate import validate_plan
from tests.solver.builders import NOW, random_case


def _new_request(snapshot: Snapshot) -> Request:
    return next(r for r in snapshot.requests if not r.promised and not r.on_board)


def _without(snapshot: Snapshot, request: Request) -> dict:  # type: ignore[type-arg]
    return {}


def _brute_force(snapshot: Snapshot, visits: dict, request: Request) -> set[tuple[str, int, int]]:  # type: ignore[type-arg]
    feasible = set()
    pickup, dropoff = Visit(request.id, StopKind.PICKUP), Visit(request.id, StopKind.DROPOFF)
    for vehicle in snapshot.vehicles:
        seq = list(visits.get(vehicle.id, ()))
        for i in range(len(vehicle.locked), len(seq) + 1):
            for j in range(i, len(seq) + 1):
                new = [*seq[:i], pickup, *seq[i:j], dropoff, *seq[j:]]
                if not isinstance(build_route(snapshot, vehicle, new), Infeasibility):
                    feasible.add((str(vehicle.id), i, j + 1))
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
