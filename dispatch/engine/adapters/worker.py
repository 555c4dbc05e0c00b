"""Re-optimisation in a separate process with a hard deadline.

The API must never wait for the solver and a solver that overruns must not hold the
service hostage: the child process gets the snapshot and a time limit, and if no
answer arrives within the limit plus a grace period it is killed and replaced. The
current plan then simply stays.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing as mp
import os
import pickle
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

from dispatch.model import Plan, Snapshot
from dispatch.solver.params import ObjectiveParams

log = logging.getLogger(__name__)

#: How much the solver child yields the CPU to the engine and the API processes (Unix
#: niceness, added to the service's own). On a busy machine a re-optimisation then finds
#: less within its time limit, while riders' quotes keep their pace.
SOLVER_NICENESS = 10


@dataclass(frozen=True, slots=True)
class SolveOutcome:
    plan: Plan | None
    seconds: float
    reason: str = ""
    #: Modules the solving process had to import during this solve (none once warmed up).
    imported: tuple[str, ...] = ()


class Solver(Protocol):
    """Anything that re-optimises a snapshot from a warm start within a time limit."""

    def solve(self, snapshot: Snapshot, warm_start: Plan, time_limit_s: float) -> SolveOutcome: ...

    def close(self) -> None: ...


def _solve_here(
    snapshot: Snapshot, warm_start: Plan, time_limit_s: float, objective: ObjectiveParams, seed: int
) -> Plan:
    from dispatch.solver.improve import solve

    result = solve(snapshot, objective, time_limit_s, seed=seed, warm_start=warm_start)
    return result.plan


class InlineSolver:
    """Solves in the calling thread: deterministic, for replays and tests."""

    def __init__(self, objective: ObjectiveParams | None = None, seed: int = 0) -> None:
        self.objective = objective or ObjectiveParams()
        self.seed = seed

    def solve(self, snapshot: Snapshot, warm_start: Plan, time_limit_s: float) -> SolveOutcome:
        started = time.perf_counter()
        plan = _solve_here(snapshot, warm_start, time_limit_s, self.objective, self.seed)
        return SolveOutcome(plan, time.perf_counter() - started)

    def close(self) -> None:
        return None


def _worker_main(conn: Connection, objective: ObjectiveParams, seed: int) -> None:
    from dispatch.logs import configure_logging

    configure_logging(logging.WARNING)  # the service's format (DISPATCH_LOG_FORMAT), warnings up
    # Re-optimisation is background work with its own deadline; quotes and bookings are
    # not. When the CPUs are busy, the engine and the API go first (see SOLVER_NICENESS).
    with contextlib.suppress(OSError, AttributeError):
        os.nice(SOLVER_NICENESS)
    from dispatch.engine.adapters.heap import settle
    from dispatch.solver.improve import warm_up

    try:
        status = warm_up()  # OR-Tools loaded and run once: no solve pays for it
    except Exception as exc:  # noqa: BLE001 - solves report the fault; the child still serves them
        log.warning("solver warm-up failed: %s: %s", type(exc).__name__, exc)
        status = "failed"
    settle("solver", report_pauses=False)  # its pauses hold up no rider
    try:
        conn.send(("ready", status))
        while True:
            message = conn.recv()
            if message is None:
                return
            conn.send(_solve_file(Path(message), objective, seed))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the engine has gone (stopped, or killed): nobody waits for an answer


def _solve_file(path: Path, objective: ObjectiveParams, seed: int) -> tuple[str, str]:
    """Solve the job in ``path``; the plan goes to a file next to it (its name is the answer)."""
    try:
        with path.open("rb") as f:
            snapshot, warm_start, time_limit_s = pickle.load(f)
        path.unlink(missing_ok=True)
        loaded = set(sys.modules)
        plan = _solve_here(snapshot, warm_start, time_limit_s, objective, seed)
        imported = tuple(sorted(set(sys.modules) - loaded))
        out = path.with_suffix(".plan")
        with out.open("wb") as f:
            pickle.dump((plan, imported), f, protocol=pickle.HIGHEST_PROTOCOL)
        return ("ok", str(out))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which keeps the current plan
        return ("error", f"{type(exc).__name__}: {exc}")


class ProcessSolver:
    """A child process that solves; killed and restarted when it overruns its deadline.

    The snapshot travels through a file, not the pipe: a snapshot of a large fleet is
    bigger than any pipe buffer, and a child that has stopped reading (hung, stopped by a
    signal) would block the parent's send for ever. Only a short file name crosses the
    pipe, so the deadline (which counts from before the snapshot is written) holds
    whatever the child does. A child that is killed is replaced at once, off the solve
    path, so the next solve does not wait for OR-Tools to load.
    """

    def __init__(
        self,
        objective: ObjectiveParams | None = None,
        seed: int = 0,
        grace_s: float = 2.0,
        startup_s: float = 120.0,
    ) -> None:
        self.objective = objective or ObjectiveParams()
        self.seed = seed
        self.grace_s = grace_s
        #: How long a new child may take to start (imports); not part of any solve's deadline.
        self.startup_s = startup_s
        self._ctx = mp.get_context("spawn")
        self._process: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._dir = Path(tempfile.mkdtemp(prefix="dispatch-solver-"))
        self._jobs = itertools.count(1)
        self._closing = False

    @property
    def pid(self) -> int | None:
        """The child's process id (for operators and fault tests)."""
        process = self._process
        return process.pid if process is not None else None

    def start(self, wait: bool = True) -> None:
        """Start the child now (the service does this at start-up, off the solve path).

        With ``wait=False`` it starts in the background while the caller goes on (loading
        the map, restoring bookings); a solve that comes first waits for it, outside its
        deadline.
        """
        if wait:
            self._ensure()
        else:
            threading.Thread(target=self._ensure, name="dispatch-solver-start", daemon=True).start()

    def _ensure(self) -> Connection | None:
        """The connection to a ready child, starting one if needed (``None`` if it won't start)."""
        with self._lock:
            if self._closing:
                return None
            if self._process is None or not self._process.is_alive() or self._conn is None:
                self._spawn()
            return self._conn

    def _spawn(self) -> None:
        self._kill()
        parent, child = self._ctx.Pipe()
        self._process = self._ctx.Process(
            target=_worker_main,
            args=(child, self.objective, self.seed),
            daemon=True,
            name="dispatch-solver",
        )
        self._process.start()
        child.close()
        self._conn = parent
        try:
            ready = parent.poll(self.startup_s) and parent.recv()[0] == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            if not self._closing:  # a child killed by close() is no start-up failure
                log.error("the solver process did not start within %.0f s", self.startup_s)
            self._kill()

    def solve(self, snapshot: Snapshot, warm_start: Plan, time_limit_s: float) -> SolveOutcome:
        conn = self._ensure()
        started = time.perf_counter()  # the deadline counts from here, not from start-up
        if conn is None:
            return SolveOutcome(None, 0.0, "the solver process could not be started")
        job = self._dir / f"job-{next(self._jobs)}.snapshot"
        try:
            with job.open("wb") as f:
                pickle.dump((snapshot, warm_start, time_limit_s), f, pickle.HIGHEST_PROTOCOL)
            conn.send(str(job))  # a few bytes: fits the pipe even if the child never reads
            deadline = time_limit_s + self.grace_s - (time.perf_counter() - started)
            if not conn.poll(max(0.0, deadline)):
                return self._overran(time_limit_s, started)
            status, payload = conn.recv()
        except (EOFError, OSError) as exc:
            self._restart()
            return SolveOutcome(None, time.perf_counter() - started, f"solver died: {exc}")
        finally:
            job.unlink(missing_ok=True)
        return self._outcome(status, payload, started)

    def _outcome(self, status: str, payload: str, started: float) -> SolveOutcome:
        elapsed = time.perf_counter() - started
        if status != "ok":
            return SolveOutcome(None, elapsed, str(payload))
        result = Path(payload)
        try:
            with result.open("rb") as f:
                plan, imported = pickle.load(f)
        finally:
            result.unlink(missing_ok=True)
        return SolveOutcome(plan, elapsed, imported=imported)

    def _overran(self, time_limit_s: float, started: float) -> SolveOutcome:
        self._restart()
        log.warning("solver overran its %.1f s deadline and was killed", time_limit_s)
        return SolveOutcome(None, time.perf_counter() - started, "deadline exceeded; solver killed")

    def _restart(self) -> None:
        """Kill the child and start a new one in the background (the next solve finds it ready)."""
        with self._lock:
            self._kill()
        threading.Thread(target=self._ensure, name="dispatch-solver-start", daemon=True).start()

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._process = None
        self._conn = None

    def close(self) -> None:
        self._closing = True
        if not self._lock.acquire(blocking=False):
            # A child is starting (the lock is held while it loads): end it, so the
            # start-up returns at once instead of after loading OR-Tools.
            process = self._process
            if process is not None:
                with contextlib.suppress(AttributeError, AssertionError, OSError):
                    process.kill()  # (not yet started: nothing to end)
            self._lock.acquire()
        try:
            if self._conn is not None and self._process is not None and self._process.is_alive():
                try:
                    self._conn.send(None)
                    self._process.join(timeout=2)
                except OSError:
                    pass
            self._kill()
        finally:
            self._lock.release()
        shutil.rmtree(self._dir, ignore_errors=True)
