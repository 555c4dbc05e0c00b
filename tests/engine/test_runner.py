"""The runner ticks (and so re-optimises) also while events keep arriving."""

from __future__ import annotations

import time

from dispatch.engine.adapters.runner import EngineRunner
from dispatch.engine.adapters.worker import InlineSolver
from dispatch.engine.engine import Engine
from dispatch.engine.events import Command, PositionReported, SolveRequested, Tick
from dispatch.engine.params import EngineParams
from tests.engine.conftest import GridTravelTimes


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
