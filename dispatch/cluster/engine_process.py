"""``dispatch engine``: the single writer of one service area in the production shape.

Start-up, in this order:

1. load the area's map and stops, start the solver child (a standby is *hot*: all of
   this is done before it leads, so taking over costs only the database rebuild);
2. wait for the area's PostgreSQL advisory lock (another engine leading the area
   keeps it; this one waits as a standby and says so);
3. leading: rebuild the engine from the database (bookings, plans, positions), then
   announce itself on the bus every second and run the area's commands from the API
   workers; every plan version goes to the workers for their drivers' sockets.

If the lock's database session is lost, the engine stops at once (exit code 3) so that
it never writes beside a new leader; a supervisor (systemd, compose) restarts it as a
standby. A leader that stops renewing its lease (frozen, cut off) is replaced by a
standby after the lease timeout; should it wake up, its next write finds the new
leader's epoch and it stops (exit code 3) without writing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

from dispatch.cluster.bus import Bus, Call
from dispatch.config import ServiceConfig, engine_params
from dispatch.engine.adapters.heap import settle
from dispatch.engine.adapters.publisher import InMemoryPublisher, PublishedPlan
from dispatch.engine.adapters.runner import wall_clock
from dispatch.engine.adapters.worker import ProcessSolver
from dispatch.engine.events import PositionReported
from dispatch.engine.views import EMPTY_VIEW
from dispatch.errors import InputError
from dispatch.service.runtime import Runtime, assemble_runtime, load_area_map
from dispatch.settings import Settings
from dispatch.store.leadership import AreaLeadership, LeadershipLost, engine_name

log = logging.getLogger(__name__)

#: Exit code when the engine lost its lock (a supervisor restarts it as a standby).
LOST_LEADERSHIP = 3
HEARTBEAT_S = 1.0
#: The engine's figures are rewritten at least this often (Redis may have restarted).
SUMMARY_REFRESH_S = 5.0


class BusPublisher(InMemoryPublisher):
    """Plan versions for this process's readers and, over the bus, for every API worker."""

    def __init__(self, bus: Bus, area: str) -> None:
        super().__init__()
        self.bus, self.area = bus, area
        self.unsent = threading.Event()

    def publish(self, plan: PublishedPlan) -> None:
        super().publish(plan)
        try:
            self.bus.publish_plan(self.area, plan.vehicle_id, plan)
        except Exception as exc:  # noqa: BLE001 - the bus is down: resend when it is back
            log.warning(
                "plan %s v%d not sent to the workers (%s)", plan.vehicle_id, plan.version, exc
            )
            self.unsent.set()

    def resend(self) -> None:
        """Every bus's newest plan again (after the message bus was away)."""
        with self._lock:
            plans = list(self._latest.values())
        for plan in plans:
            self.bus.publish_plan(self.area, plan.vehicle_id, plan)
        self.unsent.clear()

    def count(self) -> int:
        with self._lock:
            return len(self._latest)


@dataclass
class EngineNode:
    """One ``dispatch engine`` process for one area."""

    settings: Settings
    config: ServiceConfig
    bus: Bus
    stop: threading.Event
    #: The view and figures last written to the bus, and when to write them again anyway.
    _sent_view: object = field(default=None, init=False)
    _view_version: int = field(default=0, init=False)
    _sent_figures: object = field(default=None, init=False)
    _summary_due: float = field(default=0.0, init=False)

    @property
    def name(self) -> str:
        return f"{socket.gethostname()}:{os.getpid()}"

    def run(self) -> None:
        """Until ``stop`` is set: standby, then leader (blocking)."""
        area = self.config.area
        # Every database session of this process carries its name: a standby that replaces
        # it when it falls silent ends them all by that name.
        os.environ["PGAPPNAME"] = engine_name()
        solver = ProcessSolver(engine_params(self.config).objective)
        solver.start(wait=False)
        try:
            area_map = load_area_map(self.settings, self.config)
            leadership = AreaLeadership(
                self.settings.database_url, area, self.settings.leader_lease_s
            )
        except BaseException:
            solver.close()
            raise
        settle(f"map of {area}", process=f"the engine of {area}")
        log.info("engine for %s ready (%s); waiting for the lead", area, self.name)
        if not leadership.wait(self.stop, waiting=lambda: self._standby(area)):
            solver.close()
            leadership.release()
            return
        done = threading.Event()
        keeper = threading.Thread(
            target=self._keep_lead, args=(leadership, done), name="engine-lease", daemon=True
        )
        keeper.start()  # the lease is renewed from now on, also while the engine rebuilds
        try:
            log.info("engine %s leads %s: rebuilding from the database", self.name, area)
            publisher = BusPublisher(self.bus, area)
            runtime = assemble_runtime(
                self.settings, self.config, wall_clock, solver, area_map, publisher
            )
            settle(f"engine state of {area}", keep_survivors=True)
            runtime.repo.fence = lambda session: self._fence(leadership, session)
            try:
                self._lead(runtime, publisher)
            finally:
                runtime.stop()
        finally:
            done.set()
            keeper.join(timeout=5)
            leadership.release()

    def _keep_lead(self, leadership: AreaLeadership, done: threading.Event) -> None:
        """Renew the lease every second; stop the process at once when the lead is lost."""
        while not done.wait(HEARTBEAT_S):
            if not leadership.still_leads():
                log.critical(
                    "lost the lead of %s (database session gone or lease taken): stopping",
                    self.config.area,
                )
                os._exit(LOST_LEADERSHIP)

    def _fence(self, leadership: AreaLeadership, session: Any) -> None:
        try:
            leadership.fence(session)
        except LeadershipLost as exc:
            log.critical("lost the lead (%s): stopping before writing", exc)
            os._exit(LOST_LEADERSHIP)

    def _standby(self, area: str) -> None:
        log.info("standby for %s: another engine leads; taking over when it stops", area)

    def _lead(self, runtime: Runtime, publisher: BusPublisher) -> None:
        area = self.config.area
        heartbeat = threading.Thread(
            target=self._heartbeat,
            args=(runtime, publisher),
            name="engine-heartbeat",
            daemon=True,
        )
        self._announce(runtime, publisher)
        heartbeat.start()
        log.info("engine %s serves %s", self.name, area)
        self.bus.serve(area, Commands(runtime).handle, self.stop)

    def _heartbeat(self, runtime: Runtime, publisher: BusPublisher) -> None:
        while not self.stop.wait(HEARTBEAT_S):
            try:
                self._announce(runtime, publisher)
            except Exception as exc:  # noqa: BLE001 - the bus is down: try again next second
                log.warning("message bus unavailable (%s)", exc)
                publisher.unsent.set()

    def _announce(self, runtime: Runtime, publisher: BusPublisher) -> None:
        area = self.config.area
        self.bus.announce_leader(area, self.name)
        summary = runtime.summary()
        if summary is None:
            return
        # The view holds every open booking: encoding it costs the engine's process real
        # time, so it goes to the bus only when it changed, apart from the small figures
        # (which the workers read every half second). Both are written again every few
        # seconds in any case, should the message bus have restarted and forgotten them.
        due = time.monotonic() >= self._summary_due
        if summary.view is not self._sent_view or due:
            if summary.view is not self._sent_view:
                self._view_version += 1
            self.bus.write_engine_view(area, self._view_version, summary.view)
            self._sent_view = summary.view
        figures = replace(summary, view=EMPTY_VIEW, view_version=self._view_version)
        if figures != self._sent_figures or due:
            self.bus.write_view(area, figures)
            self._sent_figures = figures
        if due:
            self._summary_due = time.monotonic() + SUMMARY_REFRESH_S
        if publisher.unsent.is_set() or self.bus.plan_count(area) < publisher.count():
            publisher.resend()  # Redis restarted (it keeps nothing) or a send failed


class Commands:
    """What the API workers may ask of the engine, by name."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def handle(self, call: Call) -> Any:
        rt = self.runtime
        if call.name == "submit":  # an engine event (quote, cancel, driver report, position)
            event, persist = call.args
            if isinstance(event, PositionReported):  # riders' ETAs follow the bus
                rt.sink.project_position(event.vehicle_id, event.node, event.at)
            return rt.runner.call(event, persist=persist)
        if call.name == "book_offer":
            return rt.booking.book_offer(*call.args)
        if call.name == "ensure_shifts":
            rt.ensure_shifts()
            return None
        raise InputError(f"unknown command {call.name!r}")


def run_engine(settings: Settings, config: ServiceConfig, bus: Bus, stop: threading.Event) -> None:
    EngineNode(settings, config, bus, stop).run()
