"""The runner ticks (and so re-optimises) also while events keep arriving, and merges a
re-optimised plan beside the engine thread."""

from __future__ import annotations

import time

from dispatch.engine.adapters.runner import EngineRunner
from dispatch.engine.adapters.worker import InlineSolver
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingRequested,
    Command,
    Event,
    PlanAdopted,
    PositionReported,
    QuoteAnswered,
    QuoteRequested,
    SolveFinished,
    SolveRequested,
    Tick,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.params import EngineParams
from dispatch.model import Plan
from dispatch.solver.validate import validate_plan
from tests.engine.conftest import T0, GridTravelTimes


class CountingEngine(Engine):
    def __init__(self) -> None:
        super().__init__(GridTravelTimes(), EngineParams())
        self.ticks = 0

    def handle(self, event, now):  # type: ignore[no-untyped-def]
        if isinstance(event, Tick):
            self.ticks += 1
        return super().handle(event, now)


def test_ticks_happen_under_constant_load() -> None:
    engine = CountingEngine()
    seen: list[Command] = []
    runner = EngineRunner(
        engine,
        InlineSolver(),
        lambda commands, persist=None: seen.extend(commands),
        clock=lambda: 1_800_000_000,
        tick_s=0.05,
    )
    runner.start()
    try:
        until = time.monotonic() + 0.5
        while time.monotonic() < until:
            runner.call(PositionReported("nobody", 0, 0))
    finally:
        runner.stop()
    assert engine.ticks >= 5
    assert not any(isinstance(c, SolveRequested) for c in seen)  # nothing to solve without trips


class RecordingEngine(Engine):
    def __init__(self) -> None:
        super().__init__(GridTravelTimes(), EngineParams(solver_time_limit_s=0.5))
        self.finished: list[SolveFinished] = []

    def handle(self, event: Event, now: int) -> list[Command]:
        if isinstance(event, SolveFinished):
            self.finished.append(event)
        return super().handle(event, now)


def test_a_re_optimised_plan_reaches_the_engine_merged_and_checked() -> None:
    engine = RecordingEngine()
    for k, depot in enumerate((0, 99, 55)):
        engine.handle(VehicleAdded(f"bus{k}", 4, 1, depot, T0, T0 + 12 * 3600), T0)
    trips = [(11, 48), (12, 77), (21, 65), (33, 90), (45, 3), (52, 28), (61, 17), (70, 36)]
    for k, (a, b) in enumerate(trips):
        spec = TripSpec(a, b, 1, depart_after=T0 + 1800 + 300 * k)
        (answer,) = engine.handle(QuoteRequested(f"q{k}", spec), T0)
        assert isinstance(answer, QuoteAnswered) and answer.offers
        engine.handle(BookingRequested(f"b{k}", answer.offers[0].offer_id), T0)
    seen: list[Command] = []
    runner = EngineRunner(
        engine, InlineSolver(), lambda c, persist=None: seen.extend(c), lambda: T0, 0.05
    )
    runner.start()
    try:
        until = time.monotonic() + 30
        while not engine.finished and time.monotonic() < until:
            time.sleep(0.05)
        runner.call(Tick())  # the SolveFinished has been handled
    finally:
        runner.stop()
    (finished, *_) = engine.finished
    assert finished.plan is not None and finished.prepared is not None
    assert finished.prepared.snapshot.now == T0
    if finished.prepared.candidate is not None:  # better: adopted as merged
        assert any(isinstance(c, PlanAdopted) for c in seen)
    live = engine.live_snapshot(T0)
    current = engine.current_plan(T0)
    assert isinstance(current, Plan) and validate_plan(live.snapshot, current) == []
    assert {str(s.request_id) for r in current.routes for s in r.stops} == {
        f"b{k}" for k in range(len(trips))
    }
