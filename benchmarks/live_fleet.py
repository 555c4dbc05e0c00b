"""A busy live fleet on the real road network, built through the real engine."""

from __future__ import annotations

import os
import random
from pathlib import Path

from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRequested,
    QuoteAnswered,
    QuoteRequested,
    StopEventKind,
    StopEventReported,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.params import EngineParams
from dispatch.roads.download import fix_command
from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network

T0 = 1_780_000_000  # a fixed morning (epoch seconds)


def network_from_env(osm: str | None = None) -> RoadNetwork:
    source = osm or os.environ.get("DISPATCH_OSM_SOURCE")
    if not source:
        raise SystemExit(f"error: no map for the benchmark: give --osm FILE, or {fix_command()}")
    return load_road_network(OsmSource(path=Path(source)), progress=lambda _: None)


def busy_engine(
    network: RoadNetwork, vehicles: int, bookings: int, seed: int = 1, hours: int = 3
) -> tuple[Engine, int]:
    """An engine with ``vehicles`` buses and about ``bookings`` confirmed trips requested
    over the next ``hours``; returns it and 'now'."""
    rng = random.Random(seed)
    n = network.graph.n_nodes
    engine = Engine(network, EngineParams())
    for k in range(vehicles):
        engine.handle(VehicleAdded(f"bus{k}", 8, 1, rng.randrange(n), T0, T0 + 14 * 3600), T0)
    made = 0
    for q in range(bookings * 3):
        if made >= bookings:
            break
        spec = TripSpec(
            rng.randrange(n),
            rng.randrange(n),
            rng.choice((1, 1, 1, 2)),
            int(rng.random() < 0.1),
            depart_after=T0 + rng.randint(0, hours * 3600),
        )
        (answer,) = engine.handle(QuoteRequested(f"q{q}", spec), T0)
        assert isinstance(answer, QuoteAnswered)
        if answer.offers:
            out = engine.handle(BookingRequested(f"b{q}", answer.offers[0].offer_id), T0)
            made += isinstance(out[0], BookingAccepted)
    return engine, T0


def board_first_riders(engine: Engine, now: int, share: float = 0.3) -> int:
    """Let some vehicles pick up their first rider (riders on board, locked next stops)."""
    boarded = 0
    for k, vehicle in enumerate(list(engine.vehicles.values())):
        if k >= share * len(engine.vehicles) or vehicle.route is None or not vehicle.route.stops:
            continue
        stop = vehicle.route.stops[0]
        at = max(now, stop.start)
        for event in (StopEventKind.ARRIVED, StopEventKind.BOARDED):
            engine.handle(
                StopEventReported(vehicle.vehicle_id, str(stop.request_id), event, at), now
            )
        boarded += 1
    return boarded
