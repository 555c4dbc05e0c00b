"""The runner: ticks (and so re-optimisation) also under constant load; quotes do not wait
for the database; a decision whose write fails is taken back."""

from __future__ import annotations

import threading
import time

import pytest

from dispatch.engine.adapters.runner import EngineRunner
from dispatch.engine.adapters.worker import InlineSolver
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRequested,
    Command,
    PositionReported,
    QuoteAnswered,
    QuoteRequested,
    SolveRequested,
    Tick,
    TripSpec,
)
from dispatch.engine.params import EngineParams
from dispatch.store.errors import StoreUnavailable
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


class HeldSink:
    """A database write that takes as long as the test wants, or fails."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.writing = threading.Event()
        self.fail_next = False
        self.written: list[list[Command]] = []

    def __call__(self, commands: list[Command], persist: object | None = None) -> None:
        if not any(isinstance(c, BookingAccepted) for c in commands):
            self.written.append(commands)
            return
        self.writing.set()
        assert self.release.wait(10), "the test never released the write"
        if self.fail_next:
            self.fail_next = False
            raise StoreUnavailable("the database is not answering")
        self.written.append(commands)


def _offer(runner: EngineRunner, qid: str, a: int, b: int) -> str:
    (answer,) = runner.call(
        QuoteRequested(qid, TripSpec(pickup_node=a, dropoff_node=b, passengers=1))
    )
    assert isinstance(answer, QuoteAnswered) and answer.offers, answer
    return answer.offers[0].offer_id


def _runner(engine: Engine, sink: HeldSink) -> EngineRunner:
    runner = EngineRunner(engine, InlineSolver(), sink, clock=lambda: T0, tick_s=60)
    runner.start()
    return runner


def test_quotes_are_answered_while_a_booking_is_written_and_bookings_wait_their_turn(
    engine: Engine,
) -> None:
    sink = HeldSink()
    runner = _runner(engine, sink)
    try:
        first, second = _offer(runner, "q1", 11, 55), _offer(runner, "q2", 12, 66)
        booking = runner.submit(BookingRequested("b1", first))
        assert sink.writing.wait(10)
        # the write is held: a quote is answered all the same ...
        (answer,) = runner.call(
            QuoteRequested("q3", TripSpec(pickup_node=13, dropoff_node=77, passengers=1))
        )
        assert isinstance(answer, QuoteAnswered) and answer.offers
        # ... but the booking is not confirmed, and the next one waits for the write
        later = runner.submit(BookingRequested("b2", second))
        assert not booking.done() and not later.done()
        sink.release.set()
        assert any(isinstance(c, BookingAccepted) for c in booking.result(10))
        assert any(isinstance(c, BookingAccepted) for c in later.result(10))
        assert [type(c).__name__ for c in sink.written[0]].count("BookingAccepted") == 1
    finally:
        sink.release.set()
        runner.stop()
    assert set(engine.trips) == {"b1", "b2"}


def test_a_write_that_fails_takes_the_decision_back_even_after_quotes_were_answered(
    engine: Engine,
) -> None:
    sink = HeldSink()
    sink.fail_next = True
    runner = _runner(engine, sink)
    try:
        offer = _offer(runner, "q1", 11, 55)
        before = {v: tuple(s.visits) for v, s in engine.vehicles.items()}
        booking = runner.submit(BookingRequested("b1", offer))
        assert sink.writing.wait(10)
        runner.call(QuoteRequested("q2", TripSpec(pickup_node=13, dropoff_node=77, passengers=1)))
        sink.release.set()
        with pytest.raises(StoreUnavailable):
            booking.result(10)
        # as if the booking had never been asked for: the same offer books on retry
        assert runner.call(
            QuoteRequested("q3", TripSpec(pickup_node=2, dropoff_node=3, passengers=1))
        )
        assert "b1" not in engine.trips or engine.trips["b1"] is None
        assert {v: tuple(s.visits) for v, s in engine.vehicles.items()} == before
        again = runner.call(BookingRequested("b1", offer))
        assert any(isinstance(c, BookingAccepted) for c in again)
    finally:
        sink.release.set()
        runner.stop()
