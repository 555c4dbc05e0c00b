"""Compose the running service: road network, stops, database, engine, solver, sink.

Start-up rebuilds the engine's state from the database (open bookings with their
promises and vehicles, the last plan version of every vehicle) before the engine takes
any new event, so a restart — also after ``kill -9`` — carries on where the service
stopped, with every booking on the bus the database says it rides.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from typing import Protocol

from dispatch.config import ServiceConfig, engine_params
from dispatch.engine.adapters.publisher import InMemoryPublisher
from dispatch.engine.adapters.runner import EngineRunner, Runner, wall_clock
from dispatch.engine.adapters.worker import ProcessSolver, Solver
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingRestored,
    PlanRestored,
    PositionReported,
    Promise,
    RestoreCompleted,
    StateRestored,
    TripSpec,
)
from dispatch.engine.views import EngineView, ViewBoard
from dispatch.errors import SnapError
from dispatch.model import BookingId, BookingStatus, ShiftId, StopKind, TimeWindow, shift_id
from dispatch.roads.geometry import Geometry
from dispatch.roads.network import RoadNetwork, load_road_network
from dispatch.roads.snap import SnappedPoint
from dispatch.search import SearchIndex, entries_from_map
from dispatch.service.booking import BookingService
from dispatch.service.device_tokens import store_fleet_tokens
from dispatch.service.etas import EtaBoard
from dispatch.service.fleet import Fleet
from dispatch.service.metrics import EngineFigures, ServiceMetrics
from dispatch.service.plan_payload import NamedStop, PlanPayloads
from dispatch.service.proposals import add_accepted_stops
from dispatch.service.sink import STARTUP, Sink
from dispatch.service.standing_orders import StandingOrders
from dispatch.service.summary import EngineSummary
from dispatch.settings import Settings
from dispatch.stops import VirtualStops, build_stops
from dispatch.store import Repository, open_database
from dispatch.store.records import (
    Booking,
    PlanVersion,
    StopRecord,
    StopSource,
    VehicleRecord,
)

log = logging.getLogger(__name__)

Clock = Callable[[], int]


class ViewSource(Protocol):
    """Where readers find the engine's latest published view (a board in this process, or
    what the area's engine last sent over the message bus)."""

    @property
    def current(self) -> EngineView: ...


@dataclass
class Runtime:
    settings: Settings
    config: ServiceConfig
    network: RoadNetwork
    stops: VirtualStops
    repo: Repository
    #: What runs the engine: only the engine's thread touches its state; others read ``views``.
    runner: Runner
    booking: BookingService
    publisher: InMemoryPublisher
    sink: Sink
    #: The road geometry of maps and plans (one encoding, one cache).
    geometry: Geometry
    clock: Clock
    search: SearchIndex
    #: What every thread but the engine's may know of its live state (see ``engine.views``).
    views: ViewSource
    shift_days: set[tuple[str, date]] = field(default_factory=set)
    standing: StandingOrders | None = None
    fleet: Fleet | None = None
    metrics: ServiceMetrics | None = None
    _housekeeping_stop: threading.Event = field(default_factory=threading.Event)

    def ensure_shifts(
        self, stored: dict[str, PlanVersion] | None = None, persist: object | None = None
    ) -> None:
        """Engine vehicles for every shift from today to the end of the prebooking horizon.

        A vehicle continues the plan version numbers stored for it (``stored``, or looked
        up), so no version number is ever used twice.
        """
        assert self.fleet is not None
        for shift, added in self.fleet.engine_vehicles(self.shift_days):
            last = (stored or {}).get(added.vehicle_id) if stored is not None else (
                self.repo.latest_plan_version(added.vehicle_id)
            )  # fmt: skip
            self.runner.call(replace(added, version=last.version if last else 0), persist=persist)
            self.shift_days.add((shift.vehicle_id, shift.day))

    def housekeeping(self) -> None:
        """Shifts and standing-order dates that came into the prebooking horizon; retention."""
        try:
            self.ensure_shifts()
            if self.standing is not None:
                made = self.standing.roll_all()
                if made:
                    log.info("standing orders: %d bookings made for new dates", made)
            self.purge()
        except Exception:  # keep the service running; the next round tries again
            log.exception("housekeeping failed")

    def purge(self) -> None:
        """Forget expired offers, old idempotency keys and superseded plan versions."""
        before = self.clock() - self.config.retention.days * 86400
        purged = self.repo.purge(before)
        if purged.offers or purged.idempotency_keys or purged.plan_versions:
            log.info(
                "retention: removed %d offers, %d idempotency keys, %d plan versions",
                purged.offers,
                purged.idempotency_keys,
                purged.plan_versions,
            )

    def start_housekeeping(self, every_s: float = 3600.0) -> None:
        """Run :meth:`housekeeping` now and then every ``every_s`` seconds, in a thread."""

        def loop() -> None:
            while not self._housekeeping_stop.wait(every_s):
                self.housekeeping()

        threading.Thread(target=loop, name="dispatch-housekeeping", daemon=True).start()

    def summary(self) -> EngineSummary | None:
        """The engine's figures now (``None`` when they are not known)."""
        view = self.views.current  # never the engine itself: this runs in other threads
        return EngineSummary(
            vehicles=len(view.shifts),
            solving=view.solving,
            solves=self.runner.solves,
            adoptions=self.sink.adopted,
            bookings_moved=self.sink.moved,
            drive_saved_s=self.sink.drive_saved_s,
            unplaced=len(view.unplaced),
            queue_depth=self.runner.queue_depth,
            shift_days=frozenset(self.shift_days),
            view=view,
            recent_adoptions=tuple(list(self.sink.adoptions)[-10:]),
        )

    def connected(self, shift_id: str) -> bool:
        """A driver's device listens for this shift's plans (on any worker)."""
        return self.publisher.subscriber_count(shift_id) > 0

    def report_position(self, shift_id: ShiftId, node: int, at: int) -> None:
        """A bus's position: to the engine, and riders' ETAs projected from it."""
        self.runner.submit(PositionReported(shift_id, node, at))
        self.sink.project_position(shift_id, node, at)

    def stop(self) -> None:
        self._housekeeping_stop.set()
        self.runner.stop()
        self.sink.close()


@dataclass(frozen=True)
class AreaMap:
    """What a service area needs before it touches the database: roads, stops, search."""

    network: RoadNetwork
    stops: VirtualStops
    search: SearchIndex


def load_area_map(settings: Settings, config: ServiceConfig) -> AreaMap:
    """The road network (compiled once, then from the cache), virtual stops, place search."""
    network = load_road_network(config.region.source(), cache_dir=settings.osm_cache)
    return AreaMap(network, build_stops(network, config), build_search(network))


def build_runtime(
    settings: Settings,
    config: ServiceConfig,
    clock: Clock = wall_clock,
    solver: Solver | None = None,
) -> Runtime:
    params = engine_params(config)
    own_solver = solver is None
    if solver is None:  # OR-Tools loads in the child while the map and bookings load here
        solver = ProcessSolver(params.objective)
        solver.start(wait=False)
    try:
        return assemble_runtime(settings, config, clock, solver, load_area_map(settings, config))
    except BaseException:
        if own_solver:  # a bad map or database: end the half-started solver quietly
            solver.close()
        raise


def assemble_runtime(
    settings: Settings,
    config: ServiceConfig,
    clock: Clock,
    solver: Solver,
    area: AreaMap,
    publisher: InMemoryPublisher | None = None,
) -> Runtime:
    """The running service of one area on a loaded map: database, engine, sink, restore.

    ``publisher`` receives every plan version (the production engine passes one that
    also sends them to the API workers)."""
    network, stops = area.network, area.stops
    db = open_database(settings.database_url)
    db.migrate()
    repo = Repository(db, clock=clock)
    repo.phone_country_code = config.phone_country_code
    add_accepted_stops(repo, stops)
    _store_fleet_and_stops(repo, config, stops)
    params = engine_params(config)
    engine = Engine(network, params)
    publisher = publisher or InMemoryPublisher()
    etas, geometry, board = EtaBoard(), Geometry(network), ViewBoard()
    payloads = plan_payloads(geometry, config, stops, board)
    sink = Sink(repo, network, publisher, etas, clock, payloads)
    runner = EngineRunner(engine, solver, sink, clock, views=board)
    booking = BookingService(runner, repo, network, stops, config, clock, etas)
    runtime = Runtime(
        settings,
        config,
        network,
        stops,
        repo,
        runner,
        booking,
        publisher,
        sink,
        geometry,
        clock,
        area.search,
        board,
    )
    runtime.metrics = service_metrics(runtime)
    runtime.standing = StandingOrders(repo, booking, config, clock)
    runtime.fleet = Fleet(config, repo, network, clock)
    runner.start()
    restore(runtime)
    runtime.housekeeping()
    runtime.start_housekeeping()
    return runtime


def service_metrics(runtime: Runtime) -> ServiceMetrics:
    """The Prometheus metrics of the service, with the engine's figures read at each scrape."""
    metrics = ServiceMetrics(runtime.config.area)

    def figures() -> EngineFigures:
        s = runtime.summary()
        if s is None:
            return EngineFigures(0, 0, 0, 0, 0, leader=False)
        return EngineFigures(
            solver_runs=s.solves,
            adoptions=s.adoptions,
            bookings_moved=s.bookings_moved,
            drive_saved_s=s.drive_saved_s,
            queue_depth=s.queue_depth,
            leader=runtime.runner.running,
        )

    metrics.watch_engine(figures)
    return metrics


def plan_payloads(
    geometry: Geometry, config: ServiceConfig, stops: VirtualStops, board: ViewBoard
) -> PlanPayloads:
    """The Sink's payload builder: stop names, and the engine's published view (bookings,
    planned breaks, where each bus is)."""
    at_node: dict[int, NamedStop] = {}
    for s in stops.stops:
        at_node.setdefault(s.node, NamedStop(s.id, s.name))
    return PlanPayloads(geometry, config.zone, at_node, lambda: board.current)


def build_search(network: RoadNetwork) -> SearchIndex:
    """Stops, places and streets of the map, each with the nearest village as context."""
    return SearchIndex(entries_from_map(network.places, network.stops, network.streets))


def _store_fleet_and_stops(repo: Repository, config: ServiceConfig, stops: VirtualStops) -> None:
    store_fleet_tokens(repo, config)
    sources = {s.value: s for s in StopSource}
    repo.upsert_stops(
        StopRecord(s.id, s.name, s.lat, s.lon, sources[s.source], s.node) for s in stops.stops
    )


def restore(runtime: Runtime) -> None:
    """Vehicles, open bookings and the last plan of every vehicle, back into the engine.

    The vehicles' start-up plans are not written (``STARTUP``): the last stored plan of
    each vehicle stays the latest until ``RestoreCompleted`` has put every booking back
    and writes all plans at once, so a crash during start-up loses nothing either.
    """
    started = time.perf_counter()
    plans = runtime.repo.latest_plan_versions()
    runtime.ensure_shifts(plans, persist=STARTUP)
    snap = runtime.network.snap
    vehicles = runtime.repo.list_vehicles()
    for event in position_events(vehicles, snap, runtime.config.zone, runtime.shift_days):
        runtime.runner.call(event, persist=STARTUP)
    count = restore_bookings(runtime.runner.call, runtime.repo, runtime.sink, plans)
    log.info(
        "restored %d open bookings in %.2f s (%d could not be placed)",
        count,
        time.perf_counter() - started,
        len(runtime.views.current.unplaced),
    )


def position_events(
    vehicles: list[VehicleRecord],
    snap: Callable[[float, float], SnappedPoint],
    zone: tzinfo,
    shift_days: set[tuple[str, date]],
) -> list[PositionReported]:
    """Each bus's last stored position, for the shift it was reported in (if planned).

    A restarted engine then plans from where each bus was, not from its depot.
    """
    events = []
    for v in vehicles:
        if v.last_lat is None or v.last_lon is None or v.last_at is None:
            continue
        day = datetime.fromtimestamp(v.last_at, zone).date()
        if (v.id, day) not in shift_days:
            continue
        try:
            node = snap(v.last_lat, v.last_lon).node
        except SnapError as exc:
            log.warning("last position of %s not on the road network: %s", v.id, exc)
            continue
        events.append(PositionReported(shift_id(v.id, day), node, v.last_at))
    return events


def restore_bookings(
    call: Callable[..., object], repo: Repository, sink: Sink, plans: dict[str, PlanVersion]
) -> int:
    """Open bookings and stored plans into an engine whose vehicles are added already.

    ``call(event, persist=None)`` hands an event to the engine and its commands to the
    sink (the runner's ``call``, or ``apply_event`` in tests). Returns the bookings read.
    """
    bookings = repo.list_open_bookings()
    stored = tuple(
        PlanRestored(
            plan.vehicle_id,
            plan.version,
            tuple((BookingId(s["booking_id"]), StopKind(s["kind"])) for s in plan.stops),
        )
        for plan in plans.values()
    )
    call(StateRestored(tuple(_restored(b) for b in bookings), stored))
    sink.seed(bookings)
    call(RestoreCompleted())
    return len(bookings)


def _restored(b: Booking) -> BookingRestored:
    spec = TripSpec(
        b.origin.node or 0,
        b.destination.node or 0,
        b.passengers,
        b.wheelchairs,
        depart_after=b.depart_after,
        arrive_by=b.arrive_by,
        extra_boarding_s=b.extra_boarding_s,
    )
    promise = Promise(TimeWindow(b.pickup_window_start, b.pickup_window_end), b.latest_arrival)
    if b.status is BookingStatus.UNPLACED:  # still confirmed: the engine tries to place it
        return BookingRestored(
            b.id, spec, promise, BookingStatus.CONFIRMED, None, b.boarded_at, b.max_ride_s
        )
    return BookingRestored(b.id, spec, promise, b.status, b.vehicle_id, b.boarded_at, b.max_ride_s)
