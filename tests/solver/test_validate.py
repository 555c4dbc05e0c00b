"""validate_plan: a valid plan passes; each kind of broken plan is caught."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from dispatch.model import (
    Plan,
    PlannedStop,
    Snapshot,
    StopKind,
    TimeWindow,
    Vehicle,
    latest_dropoff_start,
    ride_s,
)
from dispatch.solver.validate import ViolationKind, validate_plan
from tests.solver.builders import random_case


@pytest.fixture
def case() -> tuple[Snapshot, Plan]:
    snapshot, plan = random_case(seed=3, vehicles=2, promised=4, new=2, on_board=1)
    assert validate_plan(snapshot, plan) == []
    return snapshot, plan


def _busy(plan: Plan) -> int:
    return next(k for k, r in enumerate(plan.routes) if len(r.stops) >= 3)


def _edit_stop(plan: Plan, k: int, i: int, **changes: object) -> Plan:
    route = plan.routes[k]
    stops = list(route.stops)
    stops[i] = replace(stops[i], **changes)  # type: ignore[arg-type]
    routes = list(plan.routes)
    routes[k] = replace(route, stops=tuple(stops))
    return replace(plan, routes=tuple(routes))


def _edit_request(snapshot: Snapshot, rid: str, **changes: object) -> Snapshot:
    requests = tuple(replace(r, **changes) if r.id == rid else r for r in snapshot.requests)  # type: ignore[arg-type]
    return replace(snapshot, requests=requests)


def _edit_vehicle(snapshot: Snapshot, k: int, **changes: object) -> Snapshot:
    vehicles = list(snapshot.vehicles)
    vehicles[k] = replace(vehicles[k], **changes)  # type: ignore[arg-type]
    return replace(snapshot, vehicles=tuple(vehicles))


def _first_pickup(plan: Plan) -> tuple[int, int, PlannedStop]:
    for k, r in enumerate(plan.routes):
        for i, s in enumerate(r.stops):
            if s.kind is StopKind.PICKUP:
                return k, i, s
    raise AssertionError("no pickup")


Breaker = Callable[[Snapshot, Plan], tuple[Snapshot, Plan]]


def _travel(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k = _busy(p)
    stop = p.routes[k].stops[1]
    return s, _edit_stop(p, k, 1, arrival=stop.arrival - 1)


def _pickup_window(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    _, _, stop = _first_pickup(p)
    return _edit_request(s, stop.request_id, pickup_window=TimeWindow(0, stop.start - 1)), p


def _dropoff_window(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    stop = next(st for r in p.routes for st in r.stops if st.kind is StopKind.DROPOFF)
    return _edit_request(s, stop.request_id, dropoff_window=TimeWindow(0, stop.start - 1)), p


def _ride(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    _, _, stop = _first_pickup(p)
    return _edit_request(s, stop.request_id, max_ride_s=0), p


def _capacity(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k, _, _ = _first_pickup(p)
    return _edit_vehicle(s, k, capacity=(0, 0)), p


def _exclusive(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    """A drop-off made "exclusive" (a break): the rider being dropped is still on board."""
    _, _, pickup = _first_pickup(p)
    return _edit_request(s, pickup.request_id, exclusive=True), p


def _load(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k, i, _ = _first_pickup(p)
    return s, _edit_stop(p, k, i, load_after=(9, 9))


def _pairing(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k, i, _ = _first_pickup(p)
    route = p.routes[k]
    drop = next(
        j
        for j, st in enumerate(route.stops)
        if st.request_id == route.stops[i].request_id and j > i
    )
    stops = route.stops[:drop] + route.stops[drop + 1 :]
    routes = list(p.routes)
    routes[k] = replace(route, stops=stops)
    return s, replace(p, routes=tuple(routes))


def _duplicate(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k, i, _ = _first_pickup(p)
    route = p.routes[k]
    routes = list(p.routes)
    routes[k] = replace(route, stops=(*route.stops, route.stops[i]))
    return s, replace(p, routes=tuple(routes))


def _on_board(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    carrier = next(k for k, v in enumerate(s.vehicles) if v.on_board)
    other = 1 - carrier
    rid = s.vehicles[carrier].on_board[0]
    return _edit_vehicle(_edit_vehicle(s, carrier, on_board=()), other, on_board=(rid,)), p


def _locked(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k = _busy(p)
    return _edit_vehicle(s, k, locked=(p.routes[k].stops[-1].visit,)), p


def _shift_end(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k = _busy(p)
    return _edit_vehicle(s, k, shift_end=p.routes[k].end_arrival - 1), p


def _duration(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k = _busy(p)
    r = p.routes[k]
    return _edit_vehicle(s, k, max_duration_s=r.end_arrival - r.departure - 1), p


def _start(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k = _busy(p)
    return _edit_vehicle(s, k, available_from=p.routes[k].departure + 1), p


def _promise_dropped(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k, _i, stop = _first_pickup(p)
    rid = stop.request_id
    routes = list(p.routes)
    routes[k] = replace(
        routes[k], stops=tuple(st for st in routes[k].stops if st.request_id != rid)
    )
    return s, replace(p, routes=tuple(routes), unserved=(*p.unserved, rid))


def _unserved_list(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    return s, replace(p, unserved=())


def _routes(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    return s, replace(p, routes=p.routes[:1])


def _location(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k, i, stop = _first_pickup(p)
    return s, _edit_stop(p, k, i, location=stop.location + 1)


def _service(s: Snapshot, p: Plan) -> tuple[Snapshot, Plan]:
    k, i, stop = _first_pickup(p)
    return s, _edit_stop(p, k, i, departure=stop.departure - 1)


BREAKERS: dict[ViolationKind, Breaker] = {
    ViolationKind.TRAVEL_TIME: _travel,
    ViolationKind.PICKUP_WINDOW: _pickup_window,
    ViolationKind.DROPOFF_WINDOW: _dropoff_window,
    ViolationKind.RIDE_TIME: _ride,
    ViolationKind.CAPACITY: _capacity,
    ViolationKind.EXCLUSIVE: _exclusive,
    ViolationKind.LOAD: _load,
    ViolationKind.PAIRING: _pairing,
    ViolationKind.DUPLICATE: _duplicate,
    ViolationKind.ON_BOARD: _on_board,
    ViolationKind.LOCKED: _locked,
    ViolationKind.SHIFT_END: _shift_end,
    ViolationKind.DURATION: _duration,
    ViolationKind.START: _start,
    ViolationKind.PROMISE_DROPPED: _promise_dropped,
    ViolationKind.UNSERVED: _unserved_list,
    ViolationKind.ROUTES: _routes,
    ViolationKind.LOCATION: _location,
    ViolationKind.SERVICE_TIME: _service,
}


@pytest.mark.parametrize("kind", list(BREAKERS), ids=lambda k: k.value)
def test_each_violation_kind_is_caught(case: tuple[Snapshot, Plan], kind: ViolationKind) -> None:
    snapshot, plan = BREAKERS[kind](*case)
    kinds = {v.kind for v in validate_plan(snapshot, plan)}
    assert kind in kinds, kinds


def test_every_kind_has_a_broken_plan() -> None:
    assert set(BREAKERS) == set(ViolationKind) - {ViolationKind.UNKNOWN_REQUEST}


def test_unknown_request_is_caught(case: tuple[Snapshot, Plan]) -> None:
    snapshot, plan = case
    fewer = replace(
        snapshot,
        requests=tuple(
            r for r in snapshot.requests if r.id != plan.routes[_busy(plan)].stops[0].request_id
        ),
    )
    kinds = {v.kind for v in validate_plan(fewer, plan)}
    assert ViolationKind.UNKNOWN_REQUEST in kinds


def test_request_on_two_vehicles_is_a_duplicate(case: tuple[Snapshot, Plan]) -> None:
    """Each route alone pairs the copy correctly; only the plan as a whole is wrong."""
    snapshot, plan = case
    k, _, stop = _first_pickup(plan)
    copies = tuple(s for s in plan.routes[k].stops if s.request_id == stop.request_id)
    other = 1 - k
    routes = list(plan.routes)
    routes[other] = replace(routes[other], stops=routes[other].stops + copies)
    found = validate_plan(snapshot, replace(plan, routes=tuple(routes)))
    assert any(
        v.kind is ViolationKind.DUPLICATE and v.request_id == stop.request_id for v in found
    ), found


def test_vehicle_is_a_valid_type() -> None:
    assert Vehicle.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_the_ride_limit_is_the_shared_helpers_to_the_second(case: tuple[Snapshot, Plan]) -> None:
    """The validator's ride time is ``ride_s``: a limit of exactly that ride passes, one less fails."""
    snapshot, plan = case
    k, i, pickup = _first_pickup(plan)
    dropoff = next(
        s
        for s in plan.routes[k].stops[i:]
        if s.request_id == pickup.request_id and s.kind is StopKind.DROPOFF
    )
    request = snapshot.request_by_id[pickup.request_id]
    ride = ride_s(request, pickup.start, dropoff.start)
    assert latest_dropoff_start(replace(request, max_ride_s=ride), pickup.start) == dropoff.start
    exact = _edit_request(snapshot, pickup.request_id, max_ride_s=ride)
    assert validate_plan(exact, plan) == []
    short = _edit_request(snapshot, pickup.request_id, max_ride_s=ride - 1)
    (violation,) = validate_plan(short, plan)
    assert violation.kind is ViolationKind.RIDE_TIME and violation.request_id == pickup.request_id


def test_a_break_served_as_a_drop_off_is_caught(case: tuple[Snapshot, Plan]) -> None:
    """A break request's stop must be a BREAK stop: the kind is carried, never guessed."""
    snapshot, plan = case
    k, _, pickup = _first_pickup(plan)
    j = next(
        j
        for j, s in enumerate(plan.routes[k].stops)
        if s.request_id == pickup.request_id and s.kind is StopKind.DROPOFF
    )
    as_break = _edit_request(snapshot, pickup.request_id, is_break=True)
    found = validate_plan(as_break, plan)
    assert any(v.kind is ViolationKind.PAIRING and v.request_id == pickup.request_id for v in found)
    relabelled = _edit_stop(plan, k, j, kind=StopKind.BREAK)
    assert validate_plan(snapshot, relabelled) != []  # a rider's drop-off is not a break
