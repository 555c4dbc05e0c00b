"""Removal operators: each returns distinct, movable requests, at most as many as asked."""

from __future__ import annotations

import random

import pytest

from dispatch.solver import destroy
from dispatch.solver.repair import build_initial_plan
from tests.solver.builders import random_case

OPERATORS = [
    destroy.random_removal,
    destroy.related_removal,
    destroy.time_removal,
    destroy.worst_removal,
    destroy.route_removal,
]


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda op: op.__name__)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_operator_picks_distinct_movable_requests(operator: destroy.Operator, seed: int) -> None:
    snapshot, _ = random_case(seed, vehicles=3, promised=6, new=4, on_board=1)
    plan = build_initial_plan(snapshot)
    removable = [r.id for r in snapshot.requests if not r.on_board][1:]
    chosen = operator(snapshot, plan, removable, 4, random.Random(seed))
    assert 1 <= len(chosen) <= 4
    assert len(set(chosen)) == len(chosen)
    assert set(chosen) <= set(removable)
    assert chosen == operator(snapshot, plan, removable, 4, random.Random(seed))


def test_worst_removal_prefers_the_largest_detour() -> None:
    snapshot, plan = random_case(4, vehicles=2, promised=6, new=0, on_board=0)
    detours = destroy._detours(snapshot, plan)
    removable = list(detours)
    picks = [
        destroy.worst_removal(snapshot, plan, removable, 1, random.Random(s))[0] for s in range(50)
    ]
    worst = max(removable, key=lambda rid: detours[rid])
    assert picks.count(worst) > len(picks) / 3
