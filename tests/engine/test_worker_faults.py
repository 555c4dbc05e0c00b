"""The solver's faults never stall the dispatcher: killed, stopped, or raising.

The deadline counts from before the snapshot is handed over (a snapshot of a large
fleet is bigger than any pipe buffer, so a stopped child must not block the hand-over),
a child that misbehaves is replaced, quotes are answered meanwhile, and re-optimisation
resumes. The time bounds below are generous: they separate "returns" from "hangs".
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from dispatch.engine.adapters.runner import EngineRunner
from dispatch.engine.adapters.worker import ProcessSolver, SolveOutcome
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingRequested,
    QuoteAnswered,
    QuoteRequested,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.params import EngineParams
from dispatch.model import Plan, Snapshot
from tests.engine.conftest import T0, GridTravelTimes
from tests.solver.builders import random_case

pytestmark = pytest.mark.slow


def large_case() -> tuple[Snapshot, Plan]:
    snapshot, plan = random_case(seed=4, vehicles=3, promised=6, new=4)
    n = 400  # 400 × 400 seconds and metres: about 2.6 MB pickled
    travel = np.full((n, n), 600, dtype=np.int64)
    k = snapshot.travel_s.shape[0]
    travel[:k, :k] = snapshot.travel_s
    np.fill_diagonal(travel, 0)
    large = replace(snapshot, travel_s=travel, distance_m=travel * 10)
    assert len(pickle.dumps((large, plan))) > 1_000_000
    return large, plan


@pytest.fixture
def solver() -> ProcessSolver:
    s = ProcessSolver(grace_s=0.5)
    s.start()
    yield s  # type: ignore[misc]
    s.close()


def test_a_stopped_solver_with_a_large_snapshot_keeps_its_deadline(solver: ProcessSolver) -> None:
    snapshot, plan = large_case()
    assert solver.pid is not None
    os.kill(solver.pid, signal.SIGSTOP)
    started = time.monotonic()
    outcome = solver.solve(snapshot, plan, 0.5)
    assert time.monotonic() - started < 10  # returned, not blocked on a full pipe
    assert outcome.plan is None and "deadline" in outcome.reason
    again = solver.solve(*random_case(seed=5), 0.5)  # a new child took over
    assert again.plan is not None, again.reason


def test_a_killed_solver_is_replaced(solver: ProcessSolver) -> None:
    snapshot, plan = large_case()
    pid = solver.pid
    assert pid is not None
    threading.Timer(0.3, os.kill, (pid, signal.SIGKILL)).start()
    outcome = solver.solve(snapshot, plan, 3.0)
    assert outcome.plan is None and "died" in outcome.reason
    again = solver.solve(*random_case(seed=6), 0.5)
    assert again.plan is not None and solver.pid != pid


def test_a_solve_that_raises_in_the_child_is_reported(solver: ProcessSolver) -> None:
    _, plan = random_case(seed=7)
    outcome = solver.solve("not a snapshot", plan, 0.5)  # type: ignore[arg-type]
    assert outcome.plan is None and "Error" in outcome.reason
    assert solver.solve(*random_case(seed=8), 0.5).plan is not None


class RaisingSolver:
    def __init__(self) -> None:
        self.calls = 0

    def solve(self, snapshot: Snapshot, warm_start: Plan, time_limit_s: float) -> SolveOutcome:
        self.calls += 1
        raise RuntimeError("the solver broke")

    def close(self) -> None:
        return None


def _engine_with_a_booking(params: EngineParams) -> Engine:
    engine = Engine(GridTravelTimes(), params)
    engine.handle(VehicleAdded("bus1", 4, 1, 0, T0, T0 + 12 * 3600), T0)
    answer = engine.handle(QuoteRequested("q1", TripSpec(11, 48, 1, depart_after=T0 + 1800)), T0)
    offer = next(c for c in answer if isinstance(c, QuoteAnswered)).offers[0]
    engine.handle(BookingRequested("b1", offer.offer_id), T0)
    return engine


def _runner(engine: Engine, solver: object) -> EngineRunner:
    started = time.monotonic()
    return EngineRunner(
        engine,
        solver,  # type: ignore[arg-type]
        lambda commands, persist=None: None,
        clock=lambda: T0 + int(time.monotonic() - started),
        tick_s=0.05,
    )


def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_an_exception_in_the_waiting_thread_ends_the_solve_cleanly() -> None:
    params = EngineParams(solver_time_limit_s=0.5, reoptimise_period_s=1, reoptimise_debounce_s=0)
    engine = _engine_with_a_booking(params)
    solver = RaisingSolver()
    runner = _runner(engine, solver)
    runner.start()
    try:
        assert _wait_for(lambda: solver.calls >= 2, 10)  # the next solve came: not stuck
    finally:
        runner.stop()


def test_quotes_go_on_and_reoptimisation_resumes_while_the_solver_hangs(
    solver: ProcessSolver,
) -> None:
    limit, grace = 1.0, solver.grace_s
    params = EngineParams(solver_time_limit_s=limit, reoptimise_period_s=1, reoptimise_debounce_s=0)
    engine = _engine_with_a_booking(params)
    assert solver.pid is not None
    os.kill(solver.pid, signal.SIGSTOP)
    runner = _runner(engine, solver)
    runner.start()
    try:
        assert _wait_for(lambda: engine.solving is not None, 5)
        stalled, since = engine.solving.token, time.monotonic()  # type: ignore[union-attr]
        spec = TripSpec(12, 77, 1, depart_after=T0 + 3600)
        answer = runner.call(QuoteRequested("q2", spec), timeout=5)  # answered meanwhile
        assert next(c for c in answer if isinstance(c, QuoteAnswered)).offers
        # Within two deadlines the stalled solve is over and the next one has started ...
        deadline = limit + grace
        resumed = _wait_for(
            lambda: engine.solving is not None and engine.solving.token != stalled, 2 * deadline
        )
        assert resumed, f"no new solve {time.monotonic() - since:.1f} s after the stall"
        # ... and it finishes (on a new child, started when the stopped one was killed).
        assert _wait_for(lambda: runner.solves >= 2, 2 * deadline + 10)
    finally:
        runner.stop()
