"""The solver process warms up before it says ready: the first real solve pays no import."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dispatch.engine.adapters.worker import ProcessSolver
from dispatch.solver.improve import warm_up
from dispatch.solver.validate import validate_plan
from tests.solver.builders import random_case

pytestmark = pytest.mark.slow


@pytest.fixture
def solver() -> Iterator[ProcessSolver]:
    s = ProcessSolver()
    s.start()
    yield s
    s.close()


def test_warm_up_solves_a_tiny_model_with_ortools() -> None:
    assert warm_up() in {"success", "optimal", "partial_success_local_optimum_not_reached"}


def test_the_first_solve_in_a_new_child_imports_nothing(solver: ProcessSolver) -> None:
    snapshot, plan = random_case(seed=3, vehicles=2, promised=3, new=3)
    outcome = solver.solve(snapshot, plan, 2.0)
    assert outcome.plan is not None, outcome.reason
    assert validate_plan(snapshot, outcome.plan) == []
    loaded_late = [m for m in outcome.imported if m.split(".")[0] in {"ortools", "google"}]
    assert loaded_late == [] and "dispatch.solver.ortools_backend" not in outcome.imported
