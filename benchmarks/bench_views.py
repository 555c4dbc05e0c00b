"""What publishing the engine's views costs the engine thread, per event.

Usage: python -m benchmarks.bench_views [--osm FILE] [--vehicles 30] [--bookings 150]

A busy live fleet on the real road network; then the time of ``ViewBuilder.build`` (done
by the engine thread after every event but a quote): the first build from scratch, after
a tick, after a position, after another event that changed nothing readers see, and after
one that changed a trip (its view and its bus's view are rebuilt).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from benchmarks.live_fleet import busy_engine, network_from_env
from dispatch.engine.events import PositionReported
from dispatch.engine.views import ViewBuilder


def _ms(run: Callable[[], object], repeat: int = 200) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm")
    parser.add_argument("--vehicles", type=int, default=30)
    parser.add_argument("--bookings", type=int, default=150)
    args = parser.parse_args()
    engine, now = busy_engine(network_from_env(args.osm), args.vehicles, args.bookings)
    builder = ViewBuilder()
    started = time.perf_counter()
    first = builder.build(engine)
    print(
        f"{len(first.shifts)} shifts, {len(first.trips)} open trips; first build "
        f"{(time.perf_counter() - started) * 1000:.2f} ms"
    )
    tick = _ms(lambda: builder.build(engine, trips_may_differ=False))
    print(f"a tick (nothing changed):      median {tick:.3f} ms")
    vehicle = next(iter(engine.vehicles.values()))
    nodes = [vehicle.position_node, vehicle.depot_node]

    def position() -> None:
        nodes.reverse()
        engine.handle(PositionReported(vehicle.vehicle_id, nodes[0], now), now)
        builder.build(engine, trips_may_differ=False)

    moved = _ms(position)
    print(f"a position (one bus moved):    median {moved:.3f} ms, with the engine's own handling")

    print(f"any other event, no change:    median {_ms(lambda: builder.build(engine)):.3f} ms")
    trip = next(t for t in engine.trips.values() if t.vehicle_id is not None)

    def trip_changed() -> None:  # a booking moved to another bus and back: views rebuilt
        trip.vehicle_id = None if trip.vehicle_id else vehicle.vehicle_id
        builder.build(engine)

    print(f"a trip changed:                median {_ms(trip_changed):.3f} ms")


if __name__ == "__main__":
    main()
