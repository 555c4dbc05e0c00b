"""The message bus between API workers and an area's engine, on a real Redis server."""

from __future__ import annotations

import pickle
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from dispatch.cluster.bus import Call, RedisBus
from dispatch.cluster.wire import WireError, decode, encode
from dispatch.engine.adapters.publisher import PublishedPlan
from dispatch.errors import ConflictError, DispatchError, UnavailableError
from dispatch.model import BookingId
from tests.cluster.conftest import RedisServer

AREA = "test-area"


@contextmanager
def engine(bus: RedisBus, handle: Callable[[Call], Any]) -> Iterator[threading.Event]:
    """An engine side that serves the area's commands with ``handle`` (and leads it)."""
    stop = threading.Event()

    def lead() -> None:
        while not stop.is_set():
            bus.announce_leader(AREA, "engine-1")
            stop.wait(0.5)

    threads = [
        threading.Thread(target=lead, daemon=True),
        threading.Thread(target=bus.serve, args=(AREA, handle, stop), daemon=True),
    ]
    for t in threads:
        t.start()
    time.sleep(0.1)
    try:
        yield stop
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=5)


def echo(call: Call) -> Any:
    if call.name == "conflict":
        raise ConflictError("this offer has been booked already")
    if call.name == "bug":
        raise KeyError("oops")
    if call.name == "slow":
        time.sleep(call.args[0])
    return (call.name, call.args, call.kwargs)


def test_a_call_reaches_the_engine_and_its_answer_comes_back(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url)
    with engine(bus, echo):
        assert bus.call(AREA, Call("quote", (1, "a"), {"x": 2}), 5) == ("quote", (1, "a"), {"x": 2})
        with pytest.raises(ConflictError, match="booked already"):
            bus.call(AREA, Call("conflict"), 5)
        with pytest.raises(RuntimeError, match="KeyError"):
            bus.call(AREA, Call("bug"), 5)
        # many callers at once, each gets its own answer
        answers: list[Any] = [None] * 20

        def ask(k: int) -> None:
            answers[k] = bus.call(AREA, Call("n", (k,)), 10)

        callers = [threading.Thread(target=ask, args=(k,)) for k in range(20)]
        for t in callers:
            t.start()
        for t in callers:
            t.join()
        assert [a[1][0] for a in answers] == list(range(20))
        assert bus.backlog(AREA) == 0


def test_without_a_leader_a_call_is_refused_at_once(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url)
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="no dispatcher engine leads"):
        bus.call(AREA, Call("quote"), 5)
    assert time.monotonic() - started < 2
    assert bus.backlog(AREA) == 0  # nothing was queued


def test_a_full_queue_is_refused_with_retry_after(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url, max_backlog=3)
    bus.announce_leader(AREA, "engine-that-is-behind")  # leads, but serves nothing
    waiting = [threading.Thread(target=_ignore_unavailable(bus, Call("q"), 1.5)) for _ in range(3)]
    for t in waiting:
        t.start()
    deadline = time.monotonic() + 5
    while bus.backlog(AREA) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    with pytest.raises(UnavailableError, match="behind") as refused:
        bus.call(AREA, Call("q"), 5)
    assert refused.value.retry_after_s == 1
    for t in waiting:
        t.join()


def _ignore_unavailable(bus: RedisBus, call: Call, timeout_s: float) -> Callable[[], None]:
    def run() -> None:
        with pytest.raises(UnavailableError, match="did not answer in time"):
            bus.call(AREA, call, timeout_s)

    return run


def test_a_command_whose_caller_gave_up_is_not_run(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url)
    bus.announce_leader(AREA, "engine-1")
    with pytest.raises(UnavailableError, match="did not answer in time"):
        bus.call(AREA, Call("late"), 0.3)  # no engine yet: the caller gives up
    ran: list[str] = []

    def record(call: Call) -> str:
        ran.append(call.name)
        return call.name

    with engine(bus, record):
        assert bus.call(AREA, Call("fresh"), 5) == "fresh"
    assert ran == ["fresh"]  # "late" was taken off the stream and dropped


def test_plans_reach_every_subscriber_and_the_newest_is_kept(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url)
    first = PublishedPlan("bus-1@2026-12-01", 1, {"stops": []})
    bus.publish_plan(AREA, first.vehicle_id, first)
    got: list[list[PublishedPlan]] = [[], []]
    stop = threading.Event()
    subscribers = [
        threading.Thread(target=bus.subscribe_plans, args=(AREA, got[k].append, stop))
        for k in range(2)
    ]
    for t in subscribers:
        t.start()
    _wait(lambda: all(len(g) == 1 for g in got))
    second = PublishedPlan("bus-1@2026-12-01", 2, {"stops": [1]})
    bus.publish_plan(AREA, second.vehicle_id, second)
    _wait(lambda: all(len(g) == 2 for g in got))
    stop.set()
    for t in subscribers:
        t.join(timeout=5)
    assert got[0] == got[1] == [first, second]
    assert bus.latest_plans(AREA) == [second]


def test_after_a_redis_restart_calls_and_plans_resume(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url)
    received: list[PublishedPlan] = []
    stop_plans = threading.Event()
    subscriber = threading.Thread(
        target=bus.subscribe_plans, args=(AREA, received.append, stop_plans), daemon=True
    )
    subscriber.start()
    with engine(bus, echo):
        assert bus.call(AREA, Call("before"), 5)[0] == "before"
        redis_server.restart()
        deadline = time.monotonic() + 10
        while True:  # the engine announces itself again; calls go through
            try:
                assert bus.call(AREA, Call("after"), 2)[0] == "after"
                break
            except UnavailableError:
                assert time.monotonic() < deadline, "calls did not resume after the restart"
        plan = PublishedPlan("bus-2@2026-12-01", 7, {})
        bus.publish_plan(AREA, plan.vehicle_id, plan)
        _wait(lambda: plan in received)
    stop_plans.set()
    subscriber.join(timeout=5)


def test_foreign_objects_are_refused_on_the_wire() -> None:
    class Evil:
        def __reduce__(self) -> tuple[Any, ...]:
            return (print, ("pwned",))

    with pytest.raises(WireError, match="refused"):
        decode(pickle.dumps(Evil()))
    with pytest.raises(WireError, match="damaged"):
        decode(b"not a pickle")
    plan = PublishedPlan("bus-1@2026-12-01", 3, {"a": [1, 2]})
    assert decode(encode(plan)) == plan


def _wait(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_engine_view_is_read_again_only_when_its_version_changed(
    redis_server: RedisServer,
) -> None:
    bus = RedisBus(redis_server.url)
    assert bus.read_engine_view(AREA, 0) is None  # nothing written yet
    bus.write_engine_view(AREA, 1, {"trips": ["b-1"]})
    assert bus.read_engine_view(AREA, 0) == (1, {"trips": ["b-1"]})
    assert bus.read_engine_view(AREA, 1) is None  # the reader holds version 1 already
    bus.write_engine_view(AREA, 2, {"trips": ["b-1", "b-2"]})
    assert bus.read_engine_view(AREA, 1) == (2, {"trips": ["b-1", "b-2"]})


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def test_every_service_error_crosses_the_wire_with_its_details() -> None:
    """The engine's errors reach the API worker as raised: type, message and details."""
    import dispatch.cli  # noqa: F401  (imports every module that defines an error)
    from dispatch.service.booking import OfferGoneError, QuoteResult
    from dispatch.store.changes import AlreadyConfirmed
    from dispatch.store.records import ConfirmResult

    fresh = QuoteResult("q-1", ())
    gone = decode(encode(OfferGoneError("the offer can no longer be served", fresh)))
    assert isinstance(gone, OfferGoneError) and gone.fresh == fresh
    assert str(gone) == "the offer can no longer be served"
    stored = ConfirmResult(BookingId("b-1"), 201, {"booking_id": "b-1"}, replayed=True)
    again = decode(encode(AlreadyConfirmed(stored)))
    assert isinstance(again, AlreadyConfirmed) and again.stored == stored
    busy = UnavailableError("behind")
    busy.retry_after_s = 1
    assert decode(encode(busy)).retry_after_s == 1
    # the service's own errors (tests define more; the wire refuses those, as it should)
    errors = [c for c in _all_subclasses(DispatchError) if c.__module__.startswith("dispatch.")]
    assert len(errors) > 20
    for cls in errors:  # whatever its constructor takes
        error = cls.__new__(cls)
        error.args = ("why",)
        back = decode(encode(error))
        assert type(back) is cls and str(back) == "why", cls


def test_the_engine_view_and_its_commands_cross_the_wire_unchanged() -> None:
    """Our slotted dataclasses travel as their fields (see ``wire``): what arrives equals
    what was sent, and a trip seen from its bus's stops is the trip of the view."""
    from dispatch.engine.engine import Engine
    from dispatch.engine.events import (
        BookingRequested,
        QuoteAnswered,
        QuoteRequested,
        TripSpec,
        VehicleAdded,
    )
    from dispatch.engine.params import EngineParams
    from dispatch.engine.views import ViewBuilder
    from tests.engine.conftest import T0, GridTravelTimes

    engine = Engine(GridTravelTimes(), EngineParams(solver_time_limit_s=1.0))
    engine.handle(VehicleAdded("bus", 4, 1, 0, T0, T0 + 12 * 3600), T0)
    (answer,) = engine.handle(QuoteRequested("q", TripSpec(1, 9, 2, depart_after=T0 + 600)), T0)
    assert isinstance(answer, QuoteAnswered) and answer.offers
    commands = engine.handle(BookingRequested(BookingId("b"), answer.offers[0].offer_id), T0)
    view = ViewBuilder().build(engine)
    for value in (view, answer, *commands):
        again = decode(encode(value))
        assert type(again) is type(value) and again == value
    arrived = decode(encode(view))
    (shift,) = arrived.shifts.values()
    assert [s.trip for s in shift.stops] == [arrived.trips["b"]] * 2
    assert all(s.trip is arrived.trips["b"] for s in shift.stops)
