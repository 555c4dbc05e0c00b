"""Quotes and bookings in the engine alone while a busy day fills up (no HTTP, no database).

Usage: python -m benchmarks.bench_busy_day [--osm FILE] [--vehicles 30] [--rounds 3] [--per-round 300]
30 buses with full-day shifts for tomorrow; riders ask between the map's stops and
places (06:00–20:00) and book the first offer. Time moves on by 50 ms per request, as
under load. Prints quote and booking latency (mean, p50, p99) per round, so the cost of
a fuller fleet shows.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from benchmarks.bench_insertion import percentile
from benchmarks.live_fleet import T0, network_from_env
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingRequested,
    QuoteAnswered,
    QuoteRequested,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.params import EngineParams


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm")
    parser.add_argument("--vehicles", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-round", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    network = network_from_env(args.osm)
    rng = random.Random(args.seed)
    nodes = sorted(
        {network.snap(p.lat, p.lon).node for p in network.places}
        | {network.snap(s.lat, s.lon).node for s in network.stops}
    )
    day = T0 + 86400
    engine = Engine(network, EngineParams())
    for k in range(args.vehicles):
        depot = rng.choice(nodes)
        engine.handle(VehicleAdded(f"bus{k}", 8, 1, depot, day + 5 * 3600, day + 23 * 3600), T0)
    now, booked = float(T0), 0
    for r in range(args.rounds):
        quotes, books = [], []
        for q in range(args.per_round):
            a, b = rng.sample(nodes, 2)
            when = day + rng.randint(6, 19) * 3600 + rng.choice((0, 900, 1800, 2700))
            spec = TripSpec(a, b, rng.choice((1, 1, 2)), 0, depart_after=when)
            t = time.perf_counter()
            (answer,) = engine.handle(QuoteRequested(f"q{r}-{q}", spec), int(now))
            quotes.append(time.perf_counter() - t)
            assert isinstance(answer, QuoteAnswered)
            if answer.offers:
                t = time.perf_counter()
                engine.handle(BookingRequested(f"b{r}-{q}", answer.offers[0].offer_id), int(now))
                books.append(time.perf_counter() - t)
                booked += 1
            now += 0.05
        for name, xs in (("quote", quotes), ("booking", books)):
            ms = [x * 1000 for x in xs]
            print(
                f"round {r + 1} ({booked} bookings so far) {name:8s}: mean {statistics.mean(ms):.2f} ms, "
                f"p50 {statistics.median(ms):.2f} ms, p99 {percentile(ms, 0.99):.2f} ms"
            )


if __name__ == "__main__":
    main()
