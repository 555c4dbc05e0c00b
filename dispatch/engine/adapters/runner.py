"""Drive the engine with a real clock: one thread owns it, others write and wait on the solver.

Callers (the HTTP and websocket handlers) submit events and await a future; the
engine thread handles them one at a time, so the engine stays the single writer.
Commands go to a sink (persistence and publishing) in order, before the caller's future
resolves. A caller may hand along what must be written together with the engine's
decision (``persist``: a booking's rider and idempotency key, a driver's message id).
If the sink cannot make the decision durable, the engine is rolled back to where it was
before the event (see ``undo``) and the caller gets the error: nothing is answered as
done that is not in the database.

The sink runs in a writer thread. While it writes one event's commands (a database
transaction: milliseconds, at times tens of them), the engine thread answers quotes,
which change nothing that is written; every other event waits until the write is in
(or taken back), so events still take effect one after the other, in order.

Other threads never read the engine: after every event (and after a rollback) the engine
thread publishes an immutable view of the live state on the runner's ``views`` board,
before the commands go to the sink, so a plan version the sink publishes is always
described by the current view (see ``views``).
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from dispatch.engine.adapters.worker import SolveOutcome, Solver
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    Command,
    Event,
    PositionReported,
    PreparedAdoption,
    QuoteRequested,
    RestoreCompleted,
    SolveFinished,
    SolveRequested,
    StateRestored,
    Tick,
)
from dispatch.engine.reconcile import MergeBase, merge_base, prepare_adoption, same_state
from dispatch.engine.undo import Checkpoint, checkpoint, rollback
from dispatch.engine.views import ViewBoard, ViewBuilder
from dispatch.model import Plan

log = logging.getLogger(__name__)
T = TypeVar("T")

Clock = Callable[[], int]
#: Events that keep the engine busy longer than this are logged (quotes wait behind them).
SLOW_EVENT_S = 0.05


class CommandSink(Protocol):
    """Persists (and then publishes) the engine's commands; raises if they are not durable."""

    def __call__(self, commands: list[Command], persist: object | None = None) -> None: ...


class Runner(Protocol):
    """What the service asks of the engine: the runner thread here, or (in an API worker
    of the production shape) the area's engine in another process over the message bus."""

    @property
    def solves(self) -> int: ...

    @property
    def running(self) -> bool: ...

    @property
    def queue_depth(self) -> int: ...

    def submit(self, event: Event, persist: object | None = None) -> Future[list[Command]]: ...

    def call(
        self, event: Event, timeout: float = 30.0, persist: object | None = None
    ) -> list[Command]: ...

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Read:
    """A look at the engine in its thread: no event, nothing changes, nothing is stored."""

    look: Callable[[Engine, int], object]


_Item = tuple["Event | _Read", "Future[Any]", object | None]


def _meanwhile(event: Event | _Read) -> bool:
    """Answered while another event's commands are being written: it writes nothing."""
    return isinstance(event, QuoteRequested | _Read)


@dataclass(slots=True)
class _Write:
    """An event the engine has decided, while its commands are being made durable."""

    event: Event
    future: Future[list[Command]]
    persist: object | None
    commands: list[Command] = field(default_factory=list)
    saved: Checkpoint | None = None
    stages: dict[str, float] = field(default_factory=dict)
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class _Written:
    """The writer thread's word to the engine thread: ``write`` is stored (or failed)."""

    write: _Write


#: How often a re-optimised plan is merged beside the engine before the engine merges
#: what is still missing itself (each merge starts from the last one's plan).
MERGE_ATTEMPTS = 3


def wall_clock() -> int:
    return int(time.time())


class ViewPublisher:
    """Builds the engine's views and puts them on a board (in the engine thread)."""

    def __init__(self, board: ViewBoard | None = None) -> None:
        self.board = board or ViewBoard()
        self._builder = ViewBuilder()

    def __call__(self, engine: Engine, event: Event | None = None) -> None:
        trips_may_differ = not isinstance(event, PositionReported | Tick)
        self.board.publish(self._builder.build(engine, trips_may_differ))


def apply_event(
    engine: Engine,
    sink: CommandSink,
    event: Event,
    now: int,
    persist: object | None = None,
    views: ViewPublisher | None = None,
    stages: dict[str, float] | None = None,
) -> list[Command]:
    """Handle ``event`` and make its commands durable, or leave the engine as it was.

    The one place where engine decisions meet persistence, for tests and tools without
    threads (the runner does the same two steps, :func:`decide` and the sink, with the
    sink in its writer thread). With ``views``, the state after the event (or after its
    rollback) is published for readers; a quote changes nothing readers see. With
    ``stages``, the seconds each step took are put there.
    """
    commands, saved = decide(engine, event, now, views, stages)
    written = time.perf_counter()
    try:
        sink(commands, persist)
    except BaseException:
        take_back(engine, saved, views)
        raise
    if stages is not None:
        stages["store"] = time.perf_counter() - written
    return commands


def decide(
    engine: Engine,
    event: Event,
    now: int,
    views: ViewPublisher | None = None,
    stages: dict[str, float] | None = None,
) -> tuple[list[Command], Checkpoint | None]:
    """The engine's decision on ``event`` (not yet durable) and what takes it back."""
    clock = time.perf_counter
    started = clock()
    saved = checkpoint(engine, event)
    checked = clock()
    try:
        commands = engine.handle(event, now)
        handled = clock()
        if views is not None and not isinstance(event, QuoteRequested):
            views(engine, event)
    except BaseException:
        take_back(engine, saved, views)
        raise
    if stages is not None:
        stages.update(undo=checked - started, engine=handled - checked, views=clock() - handled)
    return commands, saved


def take_back(engine: Engine, saved: Checkpoint | None, views: ViewPublisher | None) -> None:
    """Undo a decision that was not made durable (and show readers the state before it)."""
    if saved is not None:
        rollback(engine, saved)
    if views is not None:
        views(engine)


class EngineRunner:
    def __init__(
        self,
        engine: Engine,
        solver: Solver,
        sink: CommandSink,
        clock: Clock = wall_clock,
        tick_s: float = 1.0,
        views: ViewBoard | None = None,
    ) -> None:
        self.engine = engine
        self.solver = solver
        self.sink = sink
        self.clock = clock
        self.tick_s = tick_s
        #: What other threads may know of the engine's state (see ``views``).
        self.views = ViewPublisher(views)
        self._queue: queue.Queue[_Item | _Written | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="dispatch-engine", daemon=True)
        #: The event whose commands the writer thread is storing, and what waits for it.
        self._writing: _Write | None = None
        self._waiting: collections.deque[_Item | None] = collections.deque()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="dispatch-store")
        self._solver_thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.solves = 0

    def start(self) -> None:
        self._thread.start()

    def in_engine_thread(self) -> bool:
        """The caller runs in the engine thread (the only one that may touch the engine)."""
        return threading.current_thread() is self._thread

    def submit(self, event: Event, persist: object | None = None) -> Future[list[Command]]:
        """Queue ``event``; ``persist`` goes to the sink with the event's commands."""
        future: Future[list[Command]] = Future()
        if self._stopped.is_set():
            future.set_exception(RuntimeError("the dispatch engine has stopped"))
            return future
        self._queue.put((event, future, persist))
        return future

    def read(self, look: Callable[[Engine, int], T], timeout: float = 10.0) -> T:
        """``look(engine, now)``'s answer, computed in the engine thread between events."""
        future: Future[T] = Future()
        if self._stopped.is_set():
            raise RuntimeError("the dispatch engine has stopped")
        self._queue.put((_Read(look), future, None))
        return future.result(timeout)

    def call(
        self, event: Event, timeout: float = 30.0, persist: object | None = None
    ) -> list[Command]:
        """Submit and wait (for synchronous callers such as start-up code)."""
        return self.submit(event, persist).result(timeout)

    @property
    def queue_depth(self) -> int:
        """Events waiting for the engine thread (for the metrics)."""
        return self._queue.qsize() + len(self._waiting)

    @property
    def running(self) -> bool:
        """The engine thread is alive and has not been asked to stop."""
        return self._thread.is_alive() and not self._stopped.is_set()

    def stop(self) -> None:
        self._stopped.set()
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._writer.shutdown(wait=True)
        if self._solver_thread is not None:
            self._solver_thread.join(timeout=10)
        self.solver.close()

    def _loop(self) -> None:
        """Handle events in order; tick every ``tick_s`` even when events keep coming.

        While a write is under way, quotes (and reads) are answered at once and other
        events wait for it in ``_waiting``, which is worked off before the queue.
        """
        self.views(self.engine)
        next_tick = time.monotonic() + self.tick_s
        item: _Item | _Written | None
        while True:
            # A tick is due even while events keep waiting (else a steady stream of
            # bookings would hold off re-optimisation and the expiry of offers).
            if self._writing is None and time.monotonic() >= next_tick:
                self._handle(Tick(), Future(), None)
                next_tick = time.monotonic() + self.tick_s
                continue
            if self._writing is None and self._waiting:
                item = self._waiting.popleft()
            else:
                wait = None if self._writing else max(0.0, next_tick - time.monotonic())
                try:
                    item = self._queue.get(timeout=wait)
                except queue.Empty:
                    continue
            if isinstance(item, _Written):
                self._written(item)
                continue
            if self._writing is not None and (item is None or not _meanwhile(item[0])):
                self._waiting.append(item)
                continue
            if item is None:
                break
            self._handle(*item)
        self._refuse_the_rest()

    def _refuse_the_rest(self) -> None:
        """Events and reads that came in with or after the stop get an answer: stopped
        (their callers would otherwise wait for their time limit)."""
        rest: list[_Item | _Written | None] = [*self._waiting]
        self._waiting.clear()
        while True:
            try:
                rest.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for item in rest:
            if isinstance(item, tuple) and not item[1].done():
                item[1].set_exception(RuntimeError("the dispatch engine has stopped"))

    def _handle(self, event: Event | _Read, future: Future[Any], persist: object | None) -> None:
        if isinstance(event, _Read):
            try:
                future.set_result(event.look(self.engine, self.clock()))
            except Exception as exc:  # noqa: BLE001 - the reader gets it
                future.set_exception(exc)
            return
        if isinstance(event, QuoteRequested):  # writes nothing: answered at once
            try:
                future.set_result(self.engine.handle(event, self.clock()))
            except Exception as exc:  # noqa: BLE001 - the rider's request gets it
                future.set_exception(exc)
            return
        write = _Write(event, future, persist)
        try:
            write.commands, write.saved = decide(
                self.engine, event, self.clock(), self.views, write.stages
            )
        except Exception as exc:  # noqa: BLE001 - taken back by decide(); the caller gets it
            self._failed(write, exc)
            return
        self._writing = write
        self._writer.submit(self._store, write)

    def _store(self, write: _Write) -> None:
        """In the writer thread: the sink, then word to the engine thread that it is done."""
        started = time.perf_counter()
        try:
            self.sink(write.commands, write.persist)
        except BaseException as exc:  # noqa: BLE001 - the engine thread takes the decision back
            write.error = exc
        finally:
            write.stages["store"] = time.perf_counter() - started
            self._queue.put(_Written(write))

    def _written(self, done: _Written) -> None:
        write, self._writing = done.write, None
        if write.error is not None:
            take_back(self.engine, write.saved, self.views)
            self._failed(write, write.error)
            return
        decided = time.perf_counter()
        for command in write.commands:
            if isinstance(command, SolveRequested):
                self._start_solver(command)
        write.stages["solver start"] = time.perf_counter() - decided
        self._report_slow(write)
        write.future.set_result(write.commands)

    def _failed(self, write: _Write, exc: BaseException) -> None:
        event = write.event
        if isinstance(event, SolveFinished):  # nobody waits for it: say so here
            log.warning("re-optimised plan %d not adopted: %s", event.token, exc)
        if isinstance(event, Tick):
            log.error("engine tick failed", exc_info=exc)
        else:
            write.future.set_exception(exc)

    def _report_slow(self, write: _Write) -> None:
        """Log an event that kept the engine busy (quotes waited) or its write long (the
        caller waited; quotes went on). Start-up's restore is one big event by design."""
        if isinstance(write.event, StateRestored | RestoreCompleted):
            return
        stages = write.stages
        busy = sum(t for name, t in stages.items() if name != "store")
        name = type(write.event).__name__
        if busy > SLOW_EVENT_S:
            parts = ", ".join(f"{k} {1000 * t:.0f}" for k, t in stages.items() if k != "store")
            log.warning("slow engine event: %s took %.0f ms (%s)", name, 1000 * busy, parts)
        if stages.get("store", 0.0) > SLOW_EVENT_S:
            log.warning(
                "slow write: %s stored in %.0f ms (quotes were answered meanwhile)",
                name,
                1000 * stages["store"],
            )

    def _start_solver(self, request: SolveRequested) -> None:
        def run() -> None:
            # Whatever happens, the engine hears that this solve is over (or it would wait
            # for it for ever and never re-optimise again).
            try:
                outcome = self.solver.solve(
                    request.snapshot, request.warm_start, request.time_limit_s
                )
            except Exception as exc:
                log.exception("re-optimisation %d failed", request.token)
                outcome = SolveOutcome(None, 0.0, f"solver failed: {type(exc).__name__}: {exc}")
            self.solves += 1
            prepared = self._prepare(request.token, outcome.plan)
            self.submit(
                SolveFinished(
                    request.token, outcome.plan, outcome.seconds, outcome.reason, prepared
                )
            )

        self._solver_thread = threading.Thread(target=run, name="dispatch-solver-wait", daemon=True)
        self._solver_thread.start()

    def _prepare(self, token: int, plan: Plan | None) -> PreparedAdoption | None:
        """Merge a re-optimised plan with the live state here, beside the engine thread.

        The merge takes tens of milliseconds that quotes would otherwise wait behind. If
        the state moved on meanwhile, the merge is repeated from its own result (it then
        only inserts what is new); the engine merges the rest itself (see ``reconcile``).
        """
        if plan is None:
            return None
        started = time.perf_counter()
        try:
            base: MergeBase | None = self.read(merge_base)
            prepared: PreparedAdoption | None = None
            attempts = 0
            while base is not None and attempts < MERGE_ATTEMPTS:
                attempts += 1
                prepared = prepare_adoption(base, plan)
                if prepared.candidate is None:
                    break
                plan = prepared.candidate
                base = self.read(_moved_on(prepared))
        except Exception:
            if self._stopped.is_set():  # stopping: nobody will adopt it
                log.debug("re-optimised plan %d dropped: the engine has stopped", token)
                return None
            log.exception("re-optimised plan %d could not be merged beside the engine", token)
            return None
        log.debug(
            "re-optimised plan %d merged beside the engine in %.0f ms (%d attempts, %s)",
            token,
            1000 * (time.perf_counter() - started),
            attempts,
            "state unchanged" if base is None else "state moved on",
        )
        return prepared


def _moved_on(prepared: PreparedAdoption) -> Callable[[Engine, int], MergeBase | None]:
    """A look that answers ``None`` while the state is the one ``prepared`` was merged with,
    or else the new state to merge with."""

    def look(engine: Engine, now: int) -> MergeBase | None:
        live = engine.live_snapshot(now)
        return None if same_state(prepared, live) else merge_base(engine, now, live)

    return look
