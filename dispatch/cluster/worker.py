"""An API worker of the production shape: the rider, agent and driver APIs without an engine.

A worker loads each area's map and stops (from the compiled cache), reads the database
directly for what it shows, and sends everything that changes the plans — quotes,
bookings, cancellations, drivers' reports and positions, new shifts — to the area's
engine over the message bus. Plan versions come back over the bus, so a driver may be
connected to any worker. Workers keep no state of their own: start as many as needed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from dispatch.cluster.bus import Bus, Call
from dispatch.config import ServiceConfig
from dispatch.engine.adapters.publisher import InMemoryPublisher
from dispatch.engine.adapters.runner import wall_clock
from dispatch.engine.events import Command, Event, PositionReported
from dispatch.engine.views import EMPTY_VIEW, EngineView
from dispatch.errors import DispatchError
from dispatch.model import ShiftId
from dispatch.roads.geometry import Geometry
from dispatch.service.booking import BookingAnswer, BookingService, RiderContact
from dispatch.service.etas import EtaBoard
from dispatch.service.fleet import Fleet
from dispatch.service.proposals import add_accepted_stops
from dispatch.service.runtime import AreaMap, Runtime, service_metrics
from dispatch.service.standing_orders import StandingOrders
from dispatch.service.summary import EngineSummary
from dispatch.settings import Settings
from dispatch.store import Repository, open_database
from dispatch.store.records import Offer

log = logging.getLogger(__name__)

#: How long a worker waits for the engine's answer before it answers 503 (Retry-After):
#: long enough for a standby to take over, short enough for a rider on the phone.
COMMAND_TIMEOUT_S = 6.0
#: How long a worker reuses the engine's summary before it reads it again.
SUMMARY_TTL_S = 0.5
#: This worker process, as the other workers know it.
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"
#: Every this many summaries (10 s), a worker looks for stops accepted through another.
STOPS_EVERY = 20


class RemoteRunner:
    """The engine of an area, reached over the bus (the same interface as the runner)."""

    def __init__(self, bus: Bus, area: str, timeout_s: float = COMMAND_TIMEOUT_S) -> None:
        self.bus, self.area, self.timeout_s = bus, area, timeout_s
        self._pool = ThreadPoolExecutor(16, thread_name_prefix=f"to-engine-{area}")
        self._summary: tuple[float, EngineSummary | None] = (0.0, None)

    def summary(self) -> EngineSummary | None:
        at, value = self._summary
        if time.monotonic() - at > SUMMARY_TTL_S:
            try:
                value = self.bus.read_view(self.area)
            except Exception:  # noqa: BLE001 - the bus is down: nothing known
                value = None
            self._summary = (time.monotonic(), value)
        return value

    @property
    def solves(self) -> int:
        s = self.summary()
        return s.solves if s else 0

    @property
    def running(self) -> bool:
        try:
            return self.bus.leader(self.area) is not None
        except Exception:  # noqa: BLE001 - no bus, no known leader
            return False

    @property
    def queue_depth(self) -> int:
        return self.bus.backlog(self.area)

    def call(
        self, event: Event, timeout: float = 30.0, persist: object | None = None
    ) -> list[Command]:
        answer: list[Command] = self.bus.call(
            self.area, Call("submit", (event, persist)), min(timeout, self.timeout_s)
        )
        return answer

    def submit(self, event: Event, persist: object | None = None) -> Future[list[Command]]:
        return self._pool.submit(self.call, event, self.timeout_s, persist)

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class RemoteBooking(BookingService):
    """Quotes here (the engine answers the insertion), bookings made by the engine itself:
    it stores the booking in the same transaction as its plan."""

    bus: Bus
    area: str

    def book_offer(
        self,
        offer: Offer,
        rider: RiderContact,
        key: str | None,
        request_hash: str,
        standing_order_id: int | None = None,
        made_again: bool = False,
    ) -> BookingAnswer:
        """The engine books it. The worker has read the offer and looked for the key's
        stored answer (the engine's process then spends its time on the booking alone)."""
        args = (offer, rider, key, request_hash, standing_order_id, made_again)
        answer: BookingAnswer = self.bus.call(
            self.area, Call("book_offer", args), COMMAND_TIMEOUT_S
        )
        return answer


class RemoteViews:
    """The view the area's engine last sent with its figures (at most a second or two old)."""

    def __init__(self, runner: RemoteRunner) -> None:
        self.runner = runner
        self._held: tuple[int, EngineView] = (0, EMPTY_VIEW)

    @property
    def current(self) -> EngineView:
        """Read (and decoded) from the bus only when a reader asks and the engine's view has
        changed since: it holds every open booking, so it is not read every half second."""
        summary = self.runner.summary()
        if summary is None:
            return EMPTY_VIEW
        version, view = self._held
        if summary.view_version != version:
            try:
                found = self.runner.bus.read_engine_view(self.runner.area, version)
            except Exception:  # noqa: BLE001 - the bus is down: the view held is all there is
                found = None
            if found is not None:
                self._held = found
                view = found[1]
        return view


@dataclass
class WorkerRuntime(Runtime):
    """A :class:`Runtime` whose engine runs in another process (see module doc)."""

    bus: Bus | None = None
    _plans_stop: threading.Event = field(default_factory=threading.Event)
    _connected: frozenset[str] = frozenset()

    def ensure_shifts(
        self, stored: dict[str, Any] | None = None, persist: object | None = None
    ) -> None:
        assert self.bus is not None
        self.bus.call(self.config.area, Call("ensure_shifts"), COMMAND_TIMEOUT_S)

    def report_position(self, shift_id: ShiftId, node: int, at: int) -> None:
        """To the engine, which also projects the riders' ETAs from it."""
        self.runner.submit(PositionReported(shift_id, node, at))

    def housekeeping(self) -> None:
        """The engine does the housekeeping of its area."""

    def start_housekeeping(self, every_s: float = 3600.0) -> None:
        """The engine does the housekeeping of its area."""

    def summary(self) -> EngineSummary | None:
        """The engine's last figures; its queue counts the commands waiting on the bus too."""
        if not isinstance(self.runner, RemoteRunner):
            return None
        summary = self.runner.summary()
        if summary is None:
            return None
        try:
            waiting = self.runner.queue_depth
        except Exception:  # noqa: BLE001 - no bus: what the engine said is all there is
            waiting = 0
        return replace(summary, queue_depth=summary.queue_depth + waiting)

    def follow_engine(self) -> None:
        """Take every plan version the engine publishes into this worker's publisher, and
        the engine's shifts (which shift a signed-in driver drives) every half second."""
        assert self.bus is not None
        plans = threading.Thread(
            target=self.bus.subscribe_plans,
            args=(self.config.area, self.publisher.publish, self._plans_stop),
            name=f"plans-{self.config.area}",
            daemon=True,
        )
        plans.start()
        threading.Thread(target=self._follow_shifts, name="shifts", daemon=True).start()

    def refresh_shifts(self) -> None:
        """The engine's shifts, as it last told them (kept if it has not told yet)."""
        summary = self.summary()
        if summary is not None:
            self.shift_days = set(summary.shift_days)

    def connected(self, shift_id: str) -> bool:
        """A driver's device listens for this shift's plans on some worker."""
        return shift_id in self._connected or super().connected(shift_id)

    def _share_connected(self) -> None:
        """Tell the other workers which drivers are connected here; learn theirs."""
        assert self.bus is not None
        area = self.config.area
        try:
            self.bus.set_connected(area, WORKER_NAME, self.publisher.subscribed())
            self._connected = self.bus.connected(area)
        except Exception as exc:  # noqa: BLE001 - the bus is away: what is known here stays
            log.warning("cannot share connected drivers (%s)", exc)

    def _follow_shifts(self) -> None:
        rounds = 0
        while not self._plans_stop.wait(SUMMARY_TTL_S):
            self.refresh_shifts()
            self._share_connected()
            rounds += 1
            if rounds % STOPS_EVERY == 0:
                self.refresh_stops()

    def refresh_stops(self) -> None:
        """Stops accepted (from residents' proposals) through any worker: quotable here too."""
        try:
            add_accepted_stops(self.repo, self.stops)
        except DispatchError as exc:
            log.warning("could not read accepted stops (%s)", exc)

    def stop(self) -> None:
        self._plans_stop.set()
        self.runner.stop()


def build_worker_runtime(
    settings: Settings, config: ServiceConfig, area_map: AreaMap, bus: Bus
) -> WorkerRuntime:
    """The worker's side of one area (``settings`` name the area's database)."""
    repo = Repository(open_database(settings.database_url), clock=wall_clock)
    repo.phone_country_code = config.phone_country_code
    runner = RemoteRunner(bus, config.area)
    booking = RemoteBooking(
        runner, repo, area_map.network, area_map.stops, config, wall_clock, EtaBoard()
    )
    booking.bus, booking.area = bus, config.area
    runtime = WorkerRuntime(
        settings,
        config,
        area_map.network,
        area_map.stops,
        repo,
        runner,  # the engine runs in `dispatch engine`
        booking,
        InMemoryPublisher(),
        None,  # type: ignore[arg-type]  # and so does its sink
        Geometry(area_map.network),
        wall_clock,
        area_map.search,
        RemoteViews(runner),
        bus=bus,
    )
    runtime.metrics = service_metrics(runtime)
    runtime.standing = StandingOrders(repo, booking, config, wall_clock)
    runtime.fleet = Fleet(config, repo, area_map.network, wall_clock)
    runtime.refresh_shifts()
    runtime.follow_engine()
    return runtime
