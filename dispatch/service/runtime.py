"""Compose the running service: road network, stops, database, engine, solver, sink.

Start-up rebuilds the engine's state from the database (open bookings with their
promises, the last plan version of every vehicle) before the engine takes any new
event, so a restart — also after ``kill -9`` — carries on where the service stopped.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from dispatch.config import ServiceConfig, engine_params
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingRestored,
    Command,
    PlanAdopted,
    PlanChanged,
    PlanRestored,
    Promise,
    RestoreCompleted,
    TripSpec,
    TripStatus,
    TripStatusChanged,
)
from dispatch.engine.publisher import InMemoryPublisher, PublishedPlan
from dispatch.engine.runner import EngineRunner, wall_clock
from dispatch.engine.worker import ProcessSolver, Solver
from dispatch.model import Route, TimeWindow
from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network
from dispatch.search import SearchIndex, entries_from_map
from dispatch.service.booking import BookingService
from dispatch.service.etas import EtaBoard
from dispatch.service.fleet import Fleet
from dispatch.service.plan_payload import NamedStop, PlanPayloads, delayed_route
from dispatch.service.standing_orders import StandingOrders
from dispatch.service.stops import VirtualStops, build_stops
from dispatch.settings import Settings
from dispatch.store import Repository, open_database
from dispatch.store.errors import DuplicateError, InvalidTransition
from dispatch.store.records import (
    Booking,
    BookingStatus,
    PlanVersion,
    StopRecord,
    StopSource,
    VehicleRecord,
)

log = logging.getLogger(__name__)

Clock = Callable[[], int]


class Sink:
    """Persists and publishes what the engine decides (called in the engine thread, in order).

    New plans are handed to one publishing thread, which (in order) builds the drivers'
    payload with its road geometry, updates the riders' ETAs, publishes the version and
    stores it: the engine thread, which answers every quote, never waits for any of it.
    Status changes are written at once (a rider reads them back).
    """

    def __init__(
        self,
        repo: Repository,
        network: RoadNetwork,
        publisher: InMemoryPublisher,
        etas: EtaBoard,
        clock: Clock,
        payloads: PlanPayloads | None = None,
    ) -> None:
        self.repo, self.network, self.publisher, self.etas, self.clock = (
            repo,
            network,
            publisher,
            etas,
            clock,
        )
        self.payloads = payloads or PlanPayloads(network, UTC, {}, {}, {})
        #: The last timed route and its nodes per vehicle (for ETAs projected from positions).
        self.routes: dict[str, tuple[Route, tuple[int, ...]]] = {}
        self.adoptions: deque[dict[str, Any]] = deque(maxlen=50)
        self._plans: queue.Queue[tuple[PlanChanged, int] | None] = queue.Queue()
        self._writer = threading.Thread(
            target=self._publish_plans, name="dispatch-plan-publisher", daemon=True
        )
        self._writer.start()

    def _publish_plans(self) -> None:
        while (item := self._plans.get()) is not None:
            change, at = item
            try:
                self._publish(change, at)
            except Exception:
                log.exception("plan version %s/%d not published", change.vehicle_id, change.version)

    def close(self) -> None:
        """Publish and store what is queued, then stop the publishing thread."""
        self._plans.put(None)
        self._writer.join(timeout=30)

    def __call__(self, commands: list[Command]) -> None:
        for command in commands:
            if isinstance(command, PlanChanged):
                self._plan(command)
            elif isinstance(command, TripStatusChanged):
                self._status(command)
            elif isinstance(command, PlanAdopted):
                self.adoptions.append(
                    {
                        "at": self.clock(),
                        "drive_saved_s": command.drive_saved_s,
                        "vehicles_changed": command.vehicles_changed,
                    }
                )

    def _plan(self, c: PlanChanged) -> None:
        self.routes[c.vehicle_id] = (c.route, c.nodes)
        self._plans.put((c, self.clock()))

    def _publish(self, c: PlanChanged, now: int) -> None:
        self.etas.update(c.route)
        device_id = c.vehicle_id.split("@", 1)[0]
        payload = self.payloads.published(c, device_id, now)
        self.publisher.publish(PublishedPlan(c.vehicle_id, c.version, payload))
        plan = PlanVersion(c.vehicle_id, c.version, now, self.payloads.stored_stops(c))
        try:
            self.repo.save_plan_version(plan)
        except DuplicateError:
            log.warning("plan version %s/%d exists already", plan.vehicle_id, plan.version)

    def project_position(self, vehicle_id: str, node: int, at: int) -> None:
        """Riders' ETAs from where the vehicle really is (called off the engine thread).

        Delays carry forward through the plan; being early changes nothing, since the
        vehicle waits for each pickup window anyway.
        """
        current = self.routes.get(vehicle_id)
        if current is None or not current[0].stops:
            return
        route, nodes = current
        seconds, _ = self.network.one_to_many(node, [nodes[0]])
        self.etas.update(delayed_route(route, at + int(seconds[0])))

    def _status(self, c: TripStatusChanged) -> None:
        try:
            if c.status is TripStatus.CANCELLED:
                self.repo.cancel_booking(c.booking_id, c.at)
            else:
                self.repo.update_booking_status(c.booking_id, BookingStatus(c.status.value), c.at)
        except (InvalidTransition, LookupError) as exc:
            log.warning("booking %s: status %s not stored: %s", c.booking_id, c.status, exc)
        except Exception as exc:  # e.g. the booking's commit has not happened (it was rolled back)
            log.warning("booking %s: status %s not stored: %s", c.booking_id, c.status, exc)


@dataclass
class Runtime:
    settings: Settings
    config: ServiceConfig
    network: RoadNetwork
    stops: VirtualStops
    repo: Repository
    engine: Engine
    runner: EngineRunner
    booking: BookingService
    publisher: InMemoryPublisher
    sink: Sink
    clock: Clock
    search: SearchIndex
    shift_days: set[tuple[str, date]] = field(default_factory=set)
    standing: StandingOrders | None = None
    fleet: Fleet | None = None
    _housekeeping_stop: threading.Event = field(default_factory=threading.Event)

    def ensure_shifts(self) -> None:
        """Engine vehicles for every shift from today to the end of the prebooking horizon."""
        assert self.fleet is not None
        for shift, added in self.fleet.engine_vehicles(self.shift_days):
            self.runner.call(added)
            self.shift_days.add((shift.vehicle_id, shift.day))

    def housekeeping(self) -> None:
        """Shifts and standing-order dates that came into the prebooking horizon."""
        try:
            self.ensure_shifts()
            if self.standing is not None:
                made = self.standing.roll_all()
                if made:
                    log.info("standing orders: %d bookings made for new dates", made)
        except Exception:  # keep the service running; the next round tries again
            log.exception("housekeeping failed")

    def start_housekeeping(self, every_s: float = 3600.0) -> None:
        """Run :meth:`housekeeping` now and then every ``every_s`` seconds, in a thread."""

        def loop() -> None:
            while not self._housekeeping_stop.wait(every_s):
                self.housekeeping()

        threading.Thread(target=loop, name="dispatch-housekeeping", daemon=True).start()

    def stop(self) -> None:
        self._housekeeping_stop.set()
        self.runner.stop()
        self.sink.close()


def region_source(config: ServiceConfig) -> OsmSource:
    region = config.region
    if region.file is not None:
        return OsmSource(path=region.file)
    if region.place is not None:
        return OsmSource(place=region.place)
    assert region.bbox is not None
    s, w, n, e = region.bbox
    return OsmSource(bbox=(s, w, n, e))


def build_runtime(
    settings: Settings,
    config: ServiceConfig,
    clock: Clock = wall_clock,
    solver: Solver | None = None,
) -> Runtime:
    network = load_road_network(region_source(config), cache_dir=settings.osm_cache)
    stops = build_stops(network, config)
    db = open_database(settings.database_url)
    db.migrate()
    repo = Repository(db, clock=clock)
    _store_fleet_and_stops(repo, config, stops)
    params = engine_params(config)
    engine = Engine(network, params)
    publisher, etas = InMemoryPublisher(), EtaBoard()
    sink = Sink(
        repo, network, publisher, etas, clock, plan_payloads(network, config, stops, engine)
    )
    if solver is None:
        solver = ProcessSolver(params.objective)
        solver.start()  # imports OR-Tools now, so no solve's deadline pays for it
    runner = EngineRunner(engine, solver, sink, clock)
    booking = BookingService(runner, repo, network, stops, config, clock, etas)
    search = build_search(network)
    runtime = Runtime(
        settings,
        config,
        network,
        stops,
        repo,
        engine,
        runner,
        booking,
        publisher,
        sink,
        clock,
        search,
    )
    runtime.standing = StandingOrders(repo, booking, config, clock)
    runtime.fleet = Fleet(config, repo, network, clock)
    runner.start()
    runtime.ensure_shifts()
    restore(runtime)
    runtime.housekeeping()
    runtime.start_housekeeping()
    return runtime


def plan_payloads(
    network: RoadNetwork, config: ServiceConfig, stops: VirtualStops, engine: Engine
) -> PlanPayloads:
    """The Sink's payload builder: stop names, the engine's trips and vehicles, breaks."""
    at_node: dict[int, NamedStop] = {}
    for s in stops.stops:
        at_node.setdefault(s.node, NamedStop(s.id, s.name))

    # Planned breaks are trips of the engine: they come with the route itself.
    return PlanPayloads(network, config.zone, at_node, engine.trips, engine.vehicles)


def build_search(network: RoadNetwork) -> SearchIndex:
    """Stops, places and streets of the map, each with the nearest village as context."""
    return SearchIndex(entries_from_map(network.places, network.stops, network.streets))


def _store_fleet_and_stops(repo: Repository, config: ServiceConfig, stops: VirtualStops) -> None:
    from dispatch.store.tokens import hash_token

    for v in config.fleet.vehicles:
        token_hash = (
            None if v.device_token_generated else hash_token(v.device_token.get_secret_value())
        )
        repo.upsert_vehicle(
            VehicleRecord(
                v.id,
                v.name or v.id,
                v.seats,
                v.wheelchair_places,
                v.depot.lat,
                v.depot.lon,
                token_hash,
            )
        )
    sources = {"osm": StopSource.OSM, "place": StopSource.PLACE, "file": StopSource.FILE}
    repo.upsert_stops(
        StopRecord(s.id, s.name, s.lat, s.lon, sources[s.source], s.node) for s in stops.stops
    )


def restore(runtime: Runtime) -> None:
    """Open bookings and the last plan of every vehicle, back into the engine."""
    bookings = runtime.repo.list_open_bookings()
    for b in bookings:
        runtime.runner.call(_restored(b))
    for plan in runtime.repo.latest_plan_versions().values():
        visits = tuple((s["booking_id"], s["kind"]) for s in plan.stops)
        runtime.runner.call(PlanRestored(plan.vehicle_id, plan.version, visits))
    runtime.runner.call(RestoreCompleted())
    if bookings:
        log.info("restored %d open bookings from the database", len(bookings))


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
    return BookingRestored(
        b.id, spec, promise, TripStatus(b.status.value), b.vehicle_id, b.boarded_at
    )
