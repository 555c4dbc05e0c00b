"""Drive the engine with a real clock: one thread owns it, a second one waits on the solver.

Callers (the HTTP and websocket handlers) submit events and await a future; the
engine thread handles them one at a time, so the engine stays the single writer.
Commands go to a sink (persistence and publishing) in the engine thread, in order,
before the caller's future resolves. A caller may hand along what must be written
together with the engine's decision (``persist``: a booking's rider and idempotency
key, a driver's message id). If the sink cannot make the decision durable, the engine
is rolled back to where it was before the event (see ``undo``) and the caller gets the
error: nothing is answered as done that is not in the database.

Other threads never read the engine: after every event (and after a rollback) the engine
thread publishes an immutable view of the live state on the runner's ``views`` board,
before the commands go to the sink, so a plan version the sink publishes is always
described by the current view (see ``views``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
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
from dispatch.engine.undo import checkpoint, rollback
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

    The one place where engine decisions meet persistence: the runner's thread calls it
    for every event; tests and tools without threads call it directly. With ``views``,
    the state after the event (or after its rollback) is published for readers; a quote
    changes nothing readers see. With ``stages``, the seconds each step took are put
    there (the runner names them when an event was slow).
    """
    clock = time.perf_counter
    started = clock()
    saved = checkpoint(engine, event)
    try:
        checked = clock()
        commands = engine.handle(event, now)
        handled = clock()
        if views is not None and not isinstance(event, QuoteRequested):
            views(engine, event)
        viewed = clock()
        sink(commands, persist)
        if stages is not None:
            stages.update(
                undo=checked - started,
                engine=handled - checked,
                views=viewed - handled,
                store=clock() - viewed,
            )
    except BaseException:
        if saved is not None:
            rollback(engine, saved)
        if views is not None:
            views(engine)
        raise
    return commands


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
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="dispatch-engine", daemon=True)
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
        return self._queue.qsize()

    @property
    def running(self) -> bool:
        """The engine thread is alive and has not been asked to stop."""
        return self._thread.is_alive() and not self._stopped.is_set()

    def stop(self) -> None:
        self._stopped.set()
        self._queue.put(None)
        self._thread.join(timeout=10)
        if self._solver_thread is not None:
            self._solver_thread.join(timeout=10)
        self.solver.close()

    def _loop(self) -> None:
        """Handle events in order; tick every ``tick_s`` even when events keep coming."""
        self.views(self.engine)
        next_tick = time.monotonic() + self.tick_s
        while not self._stopped.is_set():
            if time.monotonic() >= next_tick:
                self._handle(Tick(), Future(), None)
                next_tick = time.monotonic() + self.tick_s
            try:
                item = self._queue.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                continue
            if item is None:
                break
            self._handle(*item)

    def _handle(self, event: Event | _Read, future: Future[Any], persist: object | None) -> None:
        if isinstance(event, _Read):
            try:
                future.set_result(event.look(self.engine, self.clock()))
            except Exception as exc:  # noqa: BLE001 - the reader gets it
                future.set_exception(exc)
            return
        started = time.perf_counter()
        stages: dict[str, float] = {}
        try:
            commands = apply_event(
                self.engine, self.sink, event, self.clock(), persist, self.views, stages
            )
        except Exception as exc:
            if isinstance(event, SolveFinished):  # nobody waits for it: say so here
                log.warning("re-optimised plan %d not adopted: %s", event.token, exc)
            if not isinstance(event, Tick):
                future.set_exception(exc)
            else:
                log.exception("engine tick failed")
            return
        applied = time.perf_counter()
        for command in commands:
            if isinstance(command, SolveRequested):
                self._start_solver(command)
        took = time.perf_counter() - started
        # Everybody else waited this long (start-up's restore is one big event by design;
        # the start-up logs how long it took).
        if took > SLOW_EVENT_S and not isinstance(event, StateRestored | RestoreCompleted):
            parts = ", ".join(f"{name} {1000 * t:.0f}" for name, t in stages.items())
            solver = 1000 * (started + took - applied)
            log.warning(
                "slow engine event: %s took %.0f ms (%s, solver start %.0f)",
                type(event).__name__,
                took * 1000,
                parts,
                solver,
            )
        future.set_result(commands)

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
