"""A plan put together from route states is make_plan's plan: the same routes, the same cost."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.model import Plan, StopKind, Visit
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.plan import make_plan, plan_from_states, sequences_cost
from dispatch.solver.schedule import Infeasibility
from tests.solver.builders import random_case

WEIGHTS = ObjectiveParams(drive_weight=1.0, excess_ride_weight=0.3, wait_weight=0.2)


def _same(a: Plan, b: Plan) -> None:
    assert a.routes == b.routes
    assert a.unserved == b.unserved
    for name in ("drive_s", "excess_ride_s", "wait_s", "arc_cost", "unserved"):
        assert getattr(a.cost, name) == getattr(b.cost, name), name
    assert math.isclose(a.cost.total, b.cost.total, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), vehicles=st.integers(1, 4))
def test_the_same_plan_as_make_plan(seed: int, vehicles: int) -> None:
    snapshot, plan = random_case(seed, vehicles=vehicles, promised=6, new=2)
    visits = {r.vehicle_id: r.visits for r in plan.routes}
    visits[snapshot.vehicles[-1].id] = ()  # an empty route too
    expected = make_plan(snapshot, visits, WEIGHTS)
    assert not isinstance(expected, Infeasibility)
    got = plan_from_states(snapshot, visits, WEIGHTS)
    assert isinstance(got, Plan)
    _same(got, expected)
    again = plan_from_states(snapshot, visits, WEIGHTS)  # from the kept states this time
    assert isinstance(again, Plan)
    _same(again, expected)
    cost = sequences_cost(snapshot, visits, WEIGHTS)
    assert not isinstance(cost, Infeasibility)
    assert cost.unserved == expected.cost.unserved
    assert math.isclose(cost.total, expected.cost.total, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_an_untimeable_sequence_is_named_as_make_plan_names_it(seed: int) -> None:
    snapshot, plan = random_case(seed, vehicles=2, promised=6, new=0, on_board=0)
    rng = random.Random(seed)
    visits = {r.vehicle_id: list(r.visits) for r in plan.routes}
    vid = rng.choice([v for v, seq in visits.items() if seq])
    sequence = visits[vid]
    # A drop-off moved before its own pickup: never timeable.
    first = next(k for k, v in enumerate(sequence) if v.kind is StopKind.PICKUP)
    rid = sequence[first].request_id
    sequence.remove(Visit(rid, StopKind.DROPOFF))
    sequence.insert(first, Visit(rid, StopKind.DROPOFF))
    expected = make_plan(snapshot, visits, WEIGHTS)
    got = plan_from_states(snapshot, visits, WEIGHTS)
    assert isinstance(expected, Infeasibility)
    assert isinstance(got, Infeasibility)
    assert got.reason == expected.reason and got.position == expected.position
