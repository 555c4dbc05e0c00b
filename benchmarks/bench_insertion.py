"""Quote latency: insertion into a fleet of 30 vehicles with ~10 planned stops each.

Usage: python -m benchmarks.bench_insertion [--osm FILE] [--quotes 500] [--vehicles 30 --bookings 150]
       python -m benchmarks.bench_insertion --synthetic [--quotes 500]
       python -m benchmarks.bench_insertion --darp DIR

With a road network: median and p99 of (a) the insertion itself (``offers`` on a ready
snapshot) and (b) a whole engine quote (snapshot of the live state + insertion + offers
held). ``--synthetic``: random points, no network; per quote ``offers`` (n=3) plus the
full list of ``feasible_insertions``, with warm route states (as between plan changes)
and cold ones (right after every vehicle's plan changed). ``--darp``: time of
``build_initial_plan`` (insertion from scratch) on Cordeau's instances.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from benchmarks.live_fleet import busy_engine, network_from_env
from benchmarks.synthetic_fleet import busy_fleet, random_request, with_rows
from dispatch.engine.events import QuoteRequested, TripSpec
from dispatch.engine.trips import promise_params, quote_request
from dispatch.model import Snapshot
from dispatch.solver import darp
from dispatch.solver.insertion import feasible_insertions, offers
from dispatch.solver.repair import build_initial_plan
from dispatch.solver.route_state import clear_route_state_cache


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--darp", type=Path)
    parser.add_argument("--quotes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--vehicles", type=int, default=30, help="with a road network: buses in the fleet"
    )
    parser.add_argument(
        "--bookings",
        type=int,
        default=150,
        help="with a road network: confirmed trips in the plans (e.g. 5000 with 200 buses)",
    )
    parser.add_argument(
        "--hours", type=int, default=3, help="with a road network: the trips' requested span"
    )
    args = parser.parse_args()
    if args.synthetic:
        synthetic(args.quotes, args.seed)
    elif args.darp:
        initial_darp(args.darp)
    else:
        on_roads(args.osm, args.quotes, args.seed, args.vehicles, args.bookings, args.hours)


def synthetic(quotes: int, seed: int) -> None:
    snapshot, visits, travel = busy_fleet(vehicles=30, stops_per_vehicle=10, seed=seed)
    stops = [len(s) for s in visits.values()]
    print(f"vehicles: {len(stops)}, stops per vehicle: mean {statistics.mean(stops):.1f}")
    rng = random.Random(seed + 1)
    rows = snapshot.travel_rows
    offered = checked = 0
    times: dict[str, list[float]] = {"warm": [], "cold": [], "all positions": []}
    for q in range(quotes):
        request = random_request(f"x{q}", rng, travel, promised=False)
        live = with_rows(
            Snapshot(snapshot.now, snapshot.vehicles, (*snapshot.requests, request), travel), rows
        )
        offered += bool(offers(live, visits, request, n=3))
        checked += len(feasible_insertions(live, visits, request))
        for label, cold, call in (
            ("warm", False, partial(offers, live, visits, request, n=3)),
            ("cold", True, partial(offers, live, visits, request, n=3)),
            ("all positions", False, partial(feasible_insertions, live, visits, request)),
        ):
            times[label].append(_timed(call, cold))
    print(
        f"quotes with an offer: {offered}/{quotes}, feasible insertions per quote: {checked / quotes:.1f}"
    )
    for label, values in times.items():
        name = (
            "feasible_insertions (all)"
            if label == "all positions"
            else f"offers n=3, {label} states"
        )
        print(
            f"{name:34s} median {statistics.median(values):.2f} ms   p99 {percentile(values, 0.99):.2f} ms"
        )


def _timed(call: Callable[[], object], cold: bool) -> float:
    if cold:
        clear_route_state_cache()
    t = time.perf_counter()
    call()
    return (time.perf_counter() - t) * 1000


def initial_darp(folder: Path) -> None:
    for path in sorted(folder.glob("*.txt")):
        inst = darp.parse_darp(path.name, path.read_text())
        snapshot = darp.to_snapshot(inst)
        clear_route_state_cache()
        t = time.perf_counter()
        plan = build_initial_plan(snapshot)
        ms = (time.perf_counter() - t) * 1000
        print(
            f"{path.name:12s} requests {inst.requests:3d}  build_initial_plan {ms:7.1f} ms  unserved {len(plan.unserved)}"
        )


def on_roads(
    osm: str | None, quotes: int, seed: int, vehicles: int, bookings: int, hours: int
) -> None:
    network = network_from_env(osm)
    t = time.perf_counter()
    engine, now = busy_engine(network, vehicles, bookings, seed, hours)
    print(f"built the fleet's plans in {time.perf_counter() - t:.0f} s")
    stops = [len(v.visits) for v in engine.vehicles.values()]
    rng = random.Random(seed + 1)
    n = network.graph.n_nodes
    raw, full = [], []
    for q in range(quotes):
        spec = TripSpec(
            rng.randrange(n), rng.randrange(n), 1, depart_after=now + rng.randint(0, hours * 3600)
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
        f"vehicles: {len(stops)}, open bookings: {len(engine.trips)}, planned stops per vehicle: mean {statistics.mean(stops):.1f}, max {max(stops)}"
    )
    print(
        f"insertion (offers, n=3):  median {statistics.median(raw):.2f} ms   p99 {percentile(raw, 0.99):.2f} ms"
    )
    print(
        f"engine quote (end to end): median {statistics.median(full):.2f} ms   p99 {percentile(full, 0.99):.2f} ms"
    )


if __name__ == "__main__":
    main()
