"""Replay speed and quality on north-bayreuth, and the price of not knowing the future.

Usage: python -m benchmarks.bench_replay [--osm FILE] [--requests 1000] [--vehicles 10]
       [--small 40] [--small-vehicles 4] [--hindsight-s 30] [--skip-big]

1. A 16-hour day (06:00–22:00) of ``--requests`` synthetic requests with ``--vehicles``
   eight-seat buses, maximum wait 15 min, ride time ≤ 1.5 × (direct + 30 s), i.e.
   ``1.5x+45s``; once with every request booked on the spot, once with the default mix
   (30 % prebooked, 25 % arrive-by). Prints the wall time on one core (re-optimisation
   included), served share and vehicle-km.
2. A small day (``--small`` requests, all booked the evening before): the replay's
   vehicle-km against one solve of the whole day in hindsight (LNS + OR-Tools), both
   checked with validate_plan.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from dispatch.roads.network import OsmSource, load_road_network
from dispatch.sim.demand import DemandRequest, format_demand
from dispatch.sim.hindsight import solve_in_hindsight
from dispatch.sim.run import run_scenario
from dispatch.sim.scenario import Scenario
from dispatch.sim.synth import SynthParams, synthesise

TZ = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 25)


def write_day(osm: Path, folder: Path, name: str, params: SynthParams) -> Path:
    network = load_road_network(OsmSource(path=osm), progress=lambda _: None)
    requests = synthesise(network, params, TZ)
    path = folder / f"{name}.csv"
    path.write_text(format_demand(requests, TZ), encoding="utf-8")
    return path


def known_the_evening_before(path: Path) -> Path:
    """The same requests, every one booked at 20:00 the day before."""
    from dispatch.sim.demand import parse_demand

    evening = int(datetime.combine(DAY - timedelta(days=1), dtime(20), tzinfo=TZ).timestamp())
    requests: list[DemandRequest] = [
        replace(r, booked_at=evening) for r in parse_demand(path.read_text(), TZ)
    ]
    out = path.with_name(path.stem + "-known.csv")
    out.write_text(format_demand(requests, TZ), encoding="utf-8")
    return out


def big_day(args: argparse.Namespace, osm: Path, folder: Path) -> None:
    print(f"== {args.requests} requests, {args.vehicles} buses × 8 seats, 06:00–22:00 ==")
    print(
        f"{'demand':<22}{'wall s':>8}{'solver s':>10}{'solves':>8}{'served':>9}{'veh-km':>9}"
        f"{'empty km':>10}{'wait':>6}"
    )
    mixes = {
        "all on the spot": SynthParams(
            args.requests, DAY, seed=args.seed, prebooked_share=0, arrive_by_share=0
        ),
        "on the spot, no peaks": SynthParams(
            args.requests,
            DAY,
            seed=args.seed,
            prebooked_share=0,
            arrive_by_share=0,
            morning_share=0,
            afternoon_share=0,
        ),
        "default mix": SynthParams(args.requests, DAY, seed=args.seed),
    }
    for label, params in mixes.items():
        demand = write_day(osm, folder, label.replace(" ", "-"), params)
        scenario = Scenario(
            demand,
            osm=osm,
            vehicles=args.vehicles,
            seats=8,
            max_wait_min=15,
            ride_time="1.5x+45s",
            seed=args.seed,
        )
        started = time.perf_counter()
        finished = run_scenario(scenario)
        wall = time.perf_counter() - started
        k, r = finished.kpis, finished.result
        print(
            f"{label:<22}{wall:>8.1f}{r.solver_s:>10.1f}{r.solves:>8d}{k.served_share:>9.1%}"
            f"{k.vehicle_km:>9.0f}{k.empty_km:>10.0f}{k.wait_mean_min:>6.1f}"
        )


def small_day(args: argparse.Namespace, osm: Path, folder: Path) -> None:
    print(f"\n== {args.small} requests known the evening before, {args.small_vehicles} buses ==")
    params = SynthParams(args.small, DAY, seed=args.seed)
    demand = known_the_evening_before(write_day(osm, folder, "small", params))
    scenario = Scenario(
        demand,
        osm=osm,
        vehicles=args.small_vehicles,
        seats=8,
        max_wait_min=15,
        ride_time="1.5x+45s",
        seed=args.seed,
    )
    finished = run_scenario(scenario)
    hindsight = solve_in_hindsight(finished.prepared, args.hindsight_s, seed=args.seed)
    k = finished.kpis
    gap = (k.vehicle_km - hindsight.vehicle_km) / hindsight.vehicle_km
    print(f"replay:    served {k.served}/{k.requested}, {k.vehicle_km:.1f} vehicle-km")
    print(
        f"hindsight: served {hindsight.served}/{hindsight.requested}, "
        f"{hindsight.vehicle_km:.1f} vehicle-km, {len(hindsight.violations)} violations "
        f"({args.hindsight_s:g} s LNS + OR-Tools)"
    )
    print(f"price of not knowing the future: {gap:+.1%} vehicle-km")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm", default=os.environ.get("DISPATCH_OSM_SOURCE"))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--vehicles", type=int, default=10)
    parser.add_argument("--small", type=int, default=40)
    parser.add_argument("--small-vehicles", type=int, default=4)
    parser.add_argument("--hindsight-s", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    if not args.osm:
        raise SystemExit("give --osm FILE or set DISPATCH_OSM_SOURCE")
    logging.basicConfig(level=logging.WARNING)
    osm = Path(args.osm)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_big:
            big_day(args, osm, Path(tmp))
        if args.small > 0:
            small_day(args, osm, Path(tmp))


if __name__ == "__main__":
    main()
