"""Quote latency: insertion into a fleet of 30 vehicles with ~10 planned stops each.

Usage: python benchmarks/bench_insertion.py [--osm FILE] [--quotes 500]
Prints median and p99 of (a) the insertion itself (``offers`` on a ready snapshot) and
(b) a whole engine quote (snapshot of the live state + insertion + offers held).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from benchmarks.live_fleet import busy_engine, network_from_env
from dispatch.engine.events import QuoteRequested, TripSpec
from dispatch.engine.trips import promise_params, quote_request
from dispatch.solver.insertion import offers


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm")
    parser.add_argument("--quotes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    network = network_from_env(args.osm)
    engine, now = busy_engine(network, vehicles=30, bookings=150, seed=args.seed)
    stops = [len(v.visits) for v in engine.vehicles.values()]
    rng = random.Random(args.seed + 1)
    n = network.graph.n_nodes
    raw, full = [], []
    for q in range(args.quotes):
        spec = TripSpec(
            rng.randrange(n), rng.randrange(n), 1, depart_after=now + rng.randint(0, 3 * 3600)
        )
        built = quote_request(f"x{q}", spec, now, engine.table, engine.params)
        assert not isinstance(built, str)
        live = engine.live_snapshot(now, extra=(built[0],))
        t = time.perf_counter()
        offers(
            live.snapshot,
            live.visits,
            built[0],
            engine.params.objective,
            n=3,
            promise=promise_params(engine.params),
        )
        raw.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        engine.handle(QuoteRequested(f"y{q}", spec), now)
        full.append((time.perf_counter() - t) * 1000)
    print(
        f"vehicles: {len(stops)}, planned stops per vehicle: mean {statistics.mean(stops):.1f}, max {max(stops)}"
    )
    print(
        f"insertion (offers, n=3):  median {statistics.median(raw):.2f} ms   p99 {percentile(raw, 0.99):.2f} ms"
    )
    print(
        f"engine quote (end to end): median {statistics.median(full):.2f} ms   p99 {percentile(full, 0.99):.2f} ms"
    )


if __name__ == "__main__":
    main()
