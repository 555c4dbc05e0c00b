"""The runner ticks (and so re-optimises) also while events keep arriving, and merges a
re-optimised plan beside the engine thread."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest

from dispatch.engine.adapters.runner import EngineRunner, _Read
from dispatch.engine.adapters.worker import InlineSolver
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRequested,
    CancelRequested,
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


def _fleet_engine() -> Engine:
    engine = Engine(GridTravelTimes(), EngineParams(reoptimise_period_s=3600))
    for k, depot in enumerate((0, 99)):
        engine.handle(VehicleAdded(f"bus{k}", 4, 1, depot, T0, T0 + 12 * 3600), T0)
    return engine


def _offer(runner: EngineRunner, qid: str, a: int, b: int) -> str:
    spec = TripSpec(a, b, 1, depart_after=T0 + 1800)
    (answer,) = runner.call(QuoteRequested(qid, spec), timeout=5)
    assert isinstance(answer, QuoteAnswered) and answer.offers
    return answer.offers[0].offer_id


class SlowStore:
    """A sink whose booking writes wait until released (or fail, if told to)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, commands: list[Command], persist: object | None = None) -> None:
        if any(isinstance(c, BookingAccepted) for c in commands):
            self.entered.set()
            assert self.release.wait(10)
            if self.fail:
                raise RuntimeError("database unavailable")


def test_quotes_are_answered_while_a_booking_is_written_and_other_events_wait() -> None:
    engine, store = _fleet_engine(), SlowStore()
    runner = EngineRunner(engine, InlineSolver(), store, lambda: T0)
    runner.start()
    try:
        booking: Future[list[Command]] = runner.submit(
            BookingRequested("b1", _offer(runner, "q1", 11, 48))
        )
        assert store.entered.wait(5)
        _offer(runner, "q2", 12, 77)  # answered although the booking is not written yet
        cancel = runner.submit(CancelRequested("b1"))  # waits for the booking's write
        time.sleep(0.2)
        assert not booking.done() and not cancel.done() and runner.queue_depth >= 1
        store.release.set()
        (accepted, *_) = booking.result(5)
        assert isinstance(accepted, BookingAccepted)
        cancel.result(5)
        assert runner.read(lambda e, now: str(e.trips["b1"].status)) == "cancelled"
    finally:
        store.release.set()
        runner.stop()


def test_a_booking_whose_write_fails_is_taken_back_while_quotes_go_on() -> None:
    engine, store = _fleet_engine(), SlowStore(fail=True)
    runner = EngineRunner(engine, InlineSolver(), store, lambda: T0)
    runner.start()
    try:
        booking = runner.submit(BookingRequested("b1", _offer(runner, "q1", 11, 48)))
        assert store.entered.wait(5)
        second = _offer(runner, "q2", 11, 48)  # made while the first one is undecided
        store.release.set()
        assert isinstance(booking.exception(5), RuntimeError)
        assert runner.read(lambda e, now: "b1" in e.trips) is False
        store.fail = False
        (accepted, *_) = runner.call(BookingRequested("b2", second), timeout=5)
        assert isinstance(accepted, BookingAccepted)  # the offer made meanwhile still holds
    finally:
        store.release.set()
        runner.stop()


def test_ticks_happen_while_events_wait_for_slow_writes() -> None:
    engine = CountingEngine()
    ticks_seen: list[int] = []

    def slow_sink(commands: list[Command], persist: object | None = None) -> None:
        time.sleep(0.02)  # every write takes a while: events queue up behind it

    original = engine.handle

    def handle(event: Event, now: int) -> list[Command]:
        if isinstance(event, PositionReported):
            ticks_seen.append(engine.ticks)
        return original(event, now)

    engine.handle = handle  # type: ignore[method-assign]
    runner = EngineRunner(engine, InlineSolver(), slow_sink, clock=lambda: T0, tick_s=0.05)
    runner.start()
    try:
        futures = [runner.submit(PositionReported("nobody", 0, 0)) for _ in range(60)]
        for f in futures:
            f.result(10)
    finally:
        runner.stop()
    # 60 writes of 20 ms: over a second during which events always waited; ticks went on.
    assert ticks_seen[-1] >= 5, ticks_seen


def test_what_comes_with_or_after_the_stop_is_answered_at_once() -> None:
    """A read or event that reached the queue behind the stop (its caller checked just
    before) gets "stopped" at once instead of waiting for its time limit."""
    runner = EngineRunner(_fleet_engine(), InlineSolver(), lambda commands, persist=None: None)
    runner.start()
    busy, release = threading.Event(), threading.Event()

    def hold(engine: Engine, now: int) -> None:
        busy.set()
        assert release.wait(10)

    held = threading.Thread(target=runner.read, args=(hold,))
    held.start()
    assert busy.wait(5)  # the engine thread is inside a read
    stopping = threading.Thread(target=runner.stop)
    stopping.start()
    while runner._queue.qsize() < 1:  # the stop is asked for and queued
        time.sleep(0.01)
    late: Future[object] = Future()
    runner._queue.put((_Read(lambda engine, now: 1), late, None))  # as by a racing reader
    release.set()
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="stopped"):
        late.result(5)
    assert time.monotonic() - started < 2
    stopping.join(15)
    held.join(5)
