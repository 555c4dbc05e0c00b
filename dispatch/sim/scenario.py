"""A replay scenario: which demand, which map, which fleet and which booking rules.

A :class:`Scenario` is plain data (paths and numbers), so that a fleet-size sweep can
ship it to another process or a Dask worker, and so that its fingerprint identifies
a finished run when a sweep is resumed. :func:`prepare` turns it into what
:class:`~dispatch.sim.replay.Replay` needs: the road network, the requests resolved
to road nodes, the fleet's shifts and the engine's parameters.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dispatch.booking_rules import time_problem
from dispatch.config import ServiceConfig, engine_params, load_service_config
from dispatch.engine.params import PROMISE_POLICIES, EngineParams, RebalanceParams
from dispatch.errors import InputError, SnapError
from dispatch.fairness.guard import FairnessParams
from dispatch.model import shift_id
from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network
from dispatch.settings import load_settings
from dispatch.sim.demand import DemandRequest, Place, parse_demand
from dispatch.sim.replay import Policy, ReplayParams, VehicleSpec
from dispatch.solver.params import RideTimeRule
from dispatch.stops import VirtualStops, build_stops

PATH_CACHE_SIZE = 50_000
#: Search per re-optimisation in a replay (counts, not seconds: same input, same result).
DEFAULT_ITERATIONS = 30
DEFAULT_ORTOOLS_STEPS = 30
DEFAULT_PERIOD_S = 600
RIDER_CHOICES = ("cheapest", "earliest")
DEFAULT_QUICK_ITERATIONS = 10
_RIDE_RULE = re.compile(
    r"^\s*(?P<factor>\d+(?:\.\d+)?)\s*[x×*]\s*(?:\+\s*(?P<extra>\d+)\s*(?P<unit>s|min)?)?\s*$"
)


def parse_ride_time(text: str) -> RideTimeRule:
    """``1.5x+10min`` or ``1.5x+45s`` or ``2x``: factor × direct travel time + extra."""
    match = _RIDE_RULE.match(text)
    if match is None:
        raise InputError(
            f"--ride-time: {text!r} is not a rule like 1.5x+10min or 1.5x+45s "
            "(factor × direct travel time + extra)"
        )
    factor = float(match["factor"])
    extra = int(match["extra"] or 0) * (60 if match["unit"] == "min" else 1)
    if factor < 1.0:
        raise InputError(f"--ride-time: the factor must be at least 1, got {factor:g}")
    return RideTimeRule(factor, extra)


@dataclass(frozen=True, slots=True)
class Scenario:
    """Everything that decides a replay's result (and nothing that does not)."""

    demand: Path
    osm: Path | None = None
    config: Path | None = None
    vehicles: int | None = None
    seats: int | None = None
    wheelchair_places: int | None = None
    max_wait_min: int | None = None
    ride_time: str | None = None
    seed: int = 0
    #: Seconds between periodic re-optimisations, and whether bookings trigger one too
    #: (the live service: every 60 s and 5 s after each change; see the README for why
    #: replays default to less).
    reoptimise_every_s: int | None = DEFAULT_PERIOD_S
    reoptimise_after_change: bool = True
    solver_iterations: int = DEFAULT_ITERATIONS
    ortools_steps: int = DEFAULT_ORTOOLS_STEPS
    quick_iterations: int = DEFAULT_QUICK_ITERATIONS
    policy: str = "dispatcher"
    #: Seconds for boarding and for alighting (default: the service definition's).
    boarding_s: int | None = None
    #: "window" or "max_wait" (default: the service definition's promise policy).
    promise: str | None = None
    #: Which offer a simulated rider takes: the operator's "cheapest" (the first) or the
    #: one with the "earliest" pickup.
    rider_choice: str = "cheapest"
    #: The fairness option's bound (default: the service definition's booking.fairness_max_gap).
    fairness_max_gap: float | None = None
    #: Send idle buses towards expected demand (the dispatcher only; see the README).
    rebalance: bool = False

    def __post_init__(self) -> None:
        if self.policy not in {p.value for p in Policy}:
            choices = ", ".join(p.value for p in Policy)
            raise InputError(f"--policy must be one of {choices}, got {self.policy!r}")
        if self.reoptimise_every_s is not None and self.reoptimise_every_s < 1:
            raise InputError("--reoptimise-every must be at least 1 second")
        if self.rider_choice not in RIDER_CHOICES:
            choices = ", ".join(RIDER_CHOICES)
            raise InputError(f"--rider-choice must be one of {choices}, got {self.rider_choice!r}")
        if self.promise is not None and self.promise not in PROMISE_POLICIES:
            choices = ", ".join(PROMISE_POLICIES)
            raise InputError(f"--promise must be one of {choices}, got {self.promise!r}")
        if self.boarding_s is not None and self.boarding_s < 0:
            raise InputError("--boarding-time must not be negative")
        if self.solver_iterations < 0 or self.ortools_steps < 0:
            raise InputError("--solver-iterations and --ortools-solutions must not be negative")
        for name in ("vehicles", "seats", "max_wait_min"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise InputError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        if self.wheelchair_places is not None and self.wheelchair_places < 0:
            raise InputError("--wheelchair-places must not be negative")
        if self.ride_time is not None:
            parse_ride_time(self.ride_time)

    def with_vehicles(self, n: int) -> Scenario:
        return replace(self, vehicles=n)

    def fingerprint(self, demand_digest: str) -> str:
        """Identifies the run: the scenario's settings and the demand file's content."""
        data = {
            k: str(v) if isinstance(v, Path) else v
            for k, v in asdict(self).items()
            if k != "demand"
        }
        text = json.dumps({"scenario": data, "demand": demand_digest}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


class MapNetwork:
    """The road network as the replay sees it: travel times, paths, and places → nodes."""

    def __init__(self, network: RoadNetwork, stops: VirtualStops) -> None:
        self.network = network
        self.stops = stops
        self._paths: dict[tuple[int, int], Sequence[tuple[int, int, int]]] = {}

    def one_to_many(
        self, source: int, targets: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        return self.network.one_to_many(source, targets)

    def block(
        self, sources: Sequence[int], targets: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        return self.network.block(sources, targets)

    def path_steps(self, source: int, target: int) -> Sequence[tuple[int, int, int]]:
        """Cached: a bus asks for its leg when it decides and again when it leaves."""
        key = (source, target)
        found = self._paths.get(key)
        if found is None:
            if len(self._paths) >= PATH_CACHE_SIZE:
                self._paths.clear()
            found = self._paths[key] = self.network.path_steps(source, target)
        return found

    def resolve(self, place: Place) -> int:
        if place.stop_id is not None:
            return self.stops.get(place.stop_id).node
        assert place.lat is not None and place.lon is not None
        return self.network.snap(place.lat, place.lon).node


@dataclass
class Prepared:
    """A scenario ready to replay."""

    requests: list[DemandRequest]
    network: MapNetwork
    fleet: list[VehicleSpec]
    engine_params: EngineParams
    params: ReplayParams
    config: ServiceConfig

    def time_rules(self, when: int, now: int) -> str | None:
        """The service's booking rules on a request's time (as the live service applies them)."""
        return time_problem(self.config, when, now)

    def with_policy(self, policy: Policy) -> Prepared:
        return replace(self, params=replace(self.params, policy=policy))


def load_config(scenario: Scenario) -> ServiceConfig:
    # Like ``dispatch serve``: without --osm, DISPATCH_OSM_SOURCE names the map file.
    osm = str(scenario.osm) if scenario.osm is not None else load_settings().osm_source
    config = load_service_config(scenario.config, osm_source=osm)
    if scenario.osm is not None:
        config = config.model_copy(
            update={
                "region": config.region.model_copy(
                    update={"file": scenario.osm, "place": None, "bbox": None}
                )
            }
        )
    return config


def load_network(config: ServiceConfig) -> RoadNetwork:
    region = config.region
    return load_road_network(
        OsmSource(path=region.file, place=region.place, bbox=region.bbox),
        cache_dir=load_settings().osm_cache,
    )


def read_demand(path: Path, config: ServiceConfig) -> list[DemandRequest]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the demand file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: the demand file is not UTF-8 text") from None
    return parse_demand(text, config.zone)


def prepare(scenario: Scenario) -> Prepared:
    config = load_config(scenario)
    requests = read_demand(scenario.demand, config)
    if not requests:
        raise InputError(f"{scenario.demand}: the demand file holds no requests")
    network = load_network(config)
    mapped = MapNetwork(network, build_stops(network, config))
    check_places(requests, mapped)
    return Prepared(
        requests,
        mapped,
        build_fleet(scenario, config, network, service_days(requests, config)),
        scenario_engine_params(scenario, config),
        ReplayParams(
            policy=Policy(scenario.policy),
            solver_iterations=scenario.solver_iterations,
            ortools_steps=scenario.ortools_steps,
            quick_iterations=scenario.quick_iterations,
            seed=scenario.seed,
            earliest_offer=scenario.rider_choice == "earliest",
            fairness=fairness_params(scenario, config),
        ),
        config,
    )


def fairness_params(scenario: Scenario, config: ServiceConfig) -> FairnessParams | None:
    gap = scenario.fairness_max_gap
    gap = config.booking.fairness_max_gap if gap is None else gap
    if gap is None:
        return None
    if not 0 <= gap <= 1:
        raise InputError(f"--fairness-gap must be between 0 and 1, got {gap}")
    return FairnessParams(gap, config.booking.fairness_extra_wait_min * 60)


def check_places(requests: Sequence[DemandRequest], network: MapNetwork) -> None:
    """Every origin and destination must be a known stop or a point near a road."""
    problems = []
    for r in requests:
        for field, place in (("origin", r.origin), ("destination", r.destination)):
            try:
                network.resolve(place)
            except (InputError, SnapError) as exc:
                problems.append(f"request {r.id}, {field}: {exc}")
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InputError(f"{len(problems)} unusable place(s): {'; '.join(problems[:5])}{more}")


def service_days(requests: Sequence[DemandRequest], config: ServiceConfig) -> list[date]:
    days = {datetime.fromtimestamp(r.desired_time, config.zone).date() for r in requests}
    return sorted(days)


def scenario_engine_params(scenario: Scenario, config: ServiceConfig) -> EngineParams:
    params = engine_params(config)
    if scenario.max_wait_min is not None:
        params = replace(params, max_wait_s=scenario.max_wait_min * 60)
    if scenario.ride_time is not None:
        params = replace(params, ride_time=parse_ride_time(scenario.ride_time))
    if scenario.reoptimise_every_s is not None:
        params = replace(params, reoptimise_period_s=scenario.reoptimise_every_s)
    params = replace(params, reoptimise_after_change=scenario.reoptimise_after_change)
    if scenario.rebalance:
        params = replace(params, rebalance=RebalanceParams())
    if scenario.promise is not None:
        params = replace(params, promise_policy=scenario.promise)
    if scenario.boarding_s is not None:
        times = replace(
            params.service, boarding_s=scenario.boarding_s, alighting_s=scenario.boarding_s
        )
        params = replace(params, service=times)
    # A replay rider takes the best offer or walks away: one offer per quote is all it
    # needs, and no alternative times.
    offers = 1 if scenario.rider_choice == "cheapest" else params.offers_per_quote
    return replace(params, offers_per_quote=offers, quote_alternatives=False)


def _depot(
    network: RoadNetwork, config: ServiceConfig, vehicle: str, lat: float, lon: float
) -> int:
    try:
        return network.snap(lat, lon).node
    except SnapError as exc:
        raise InputError(
            f"the depot of {vehicle} in the service definition '{config.name}' is not on this "
            f"map ({exc}); replaying another region needs its own definition: --config FILE"
        ) from None


def build_fleet(
    scenario: Scenario, config: ServiceConfig, network: RoadNetwork, days: Sequence[date]
) -> list[VehicleSpec]:
    """The configured shifts on each day, or ``--vehicles`` buses over the same hours."""
    depots = {
        v.id: _depot(network, config, v.id, v.depot.lat, v.depot.lon) for v in config.fleet.vehicles
    }
    fleet = []
    for day in days:
        shifts = config.shifts_on(day)
        if scenario.vehicles is None:
            for shift, start, end in shifts:
                v = config.fleet.vehicle(shift.vehicle)
                breaks = tuple(
                    (config.epoch(day, b.start), config.epoch(day, b.end)) for b in shift.breaks
                )
                fleet.append(
                    _spec(
                        scenario,
                        v.id,
                        day,
                        v.seats,
                        v.wheelchair_places,
                        depots[v.id],
                        start,
                        end,
                        breaks,
                    )
                )
            continue
        start, end = _day_hours(config, day, shifts)
        template = config.fleet.vehicles
        for k in range(scenario.vehicles):
            v = template[k % len(template)]
            fleet.append(
                _spec(
                    scenario,
                    f"bus-{k + 1}",
                    day,
                    v.seats,
                    v.wheelchair_places,
                    depots[v.id],
                    start,
                    end,
                )
            )
    if not fleet:
        raise InputError("no vehicle has a shift on the demand's day(s)")
    return fleet


def _spec(
    scenario: Scenario,
    vehicle_id: str,
    day: date,
    seats: int,
    wheelchairs: int,
    depot: int,
    start: int,
    end: int,
    breaks: tuple[tuple[int, int], ...] = (),
) -> VehicleSpec:
    return VehicleSpec(
        shift_id(vehicle_id, day),
        scenario.seats or seats,
        wheelchairs if scenario.wheelchair_places is None else scenario.wheelchair_places,
        depot,
        start,
        end,
        breaks,
    )


def _day_hours(
    config: ServiceConfig, day: date, shifts: Sequence[tuple[object, int, int]]
) -> tuple[int, int]:
    if shifts:
        return min(s for _, s, _ in shifts), max(e for _, _, e in shifts)
    hours = config.hours.on(day.weekday())
    if hours is None:
        start = config.epoch(day, datetime.min.time())
        return start, start + int(timedelta(days=1).total_seconds())
    return config.epoch(day, hours.start), config.epoch(day, hours.end)
