"""Honest replays: the dispatcher against the insertion baseline on the same day.

Usage: python -m benchmarks.bench_replay [--osm FILE] [--requests 1000] [--vehicles 10 ...]
       [--mix even|peaks|default] [--seed 1] [--boarding-time 30]
       [--reoptimise-every 600] [--periodic-only] [--promise max_wait|window]
       [--small 40 --small-vehicles 4]
       [--rebalance COVERAGE_S:MIN_GAIN[:HORIZON_S] ...] [--try LABEL:FIELD=VALUE,... ...]

1. A 16-hour day (06:00–22:00) of ``--requests`` synthetic requests, eight-seat buses,
   maximum wait 15 min, ride time ≤ 1.5 × (direct + 30 s), i.e. ``1.5x+45s``, boarding
   and alighting ``--boarding-time`` s. ``even``: every request booked on the spot and
   spread evenly over the day; ``peaks``: on the spot with morning and afternoon peaks;
   ``default``: the synthesiser's default mix (30 % prebooked, 25 % arrive-by, peaks).
   For each fleet size both policies replay the same day; every replay is checked by the
   independent trajectory checker. Prints wall time on one core, served share, waits,
   ride times, vehicle-km and the checker's count. Variants of the dispatcher replay the
   same day in the same run: ``--rebalance 600:4`` sends idle buses towards expected
   demand (coverage 600 s, at least 4 more recent requests covered), ``--try
   w01:objective.wait_weight=0.1`` changes engine settings; a ``--try`` label starting
   with ``both-`` is a service rule and replays the insertion baseline with it too.
2. With ``--small N`` (default 0: skipped): N requests all known the evening before;
   the dispatcher's vehicle-km against one solve of the whole day in hindsight.
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

from dispatch.engine.params import EngineParams, RebalanceParams
from dispatch.roads.network import OsmSource, load_road_network
from dispatch.sim.demand import DemandRequest, format_demand
from dispatch.sim.hindsight import solve_in_hindsight
from dispatch.sim.replay import Policy
from dispatch.sim.run import Finished, run_scenario
from dispatch.sim.scenario import Scenario, prepare
from dispatch.sim.synth import SynthParams, synthesise

TZ = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 25)

COLUMNS = (
    f"{'buses':>5} {'policy':<11}{'wall s':>7}{'solves':>7}{'served':>8}{'wait':>6}"
    f"{'p95':>6}{'ride':>6}{'detour':>7}{'veh-km':>8}{'no return':>10}{'empty':>7}"
    f"{'occup.':>7}{'pooled':>7}{'violations':>11}"
)


def mix(name: str, requests: int, seed: int) -> SynthParams:
    if name == "even":
        return SynthParams(
            requests,
            DAY,
            seed=seed,
            prebooked_share=0,
            arrive_by_share=0,
            morning_share=0,
            afternoon_share=0,
        )
    if name == "peaks":
        return SynthParams(requests, DAY, seed=seed, prebooked_share=0, arrive_by_share=0)
    return SynthParams(requests, DAY, seed=seed)


def write_day(osm: Path, folder: Path, name: str, params: SynthParams) -> Path:
    network = load_road_network(OsmSource(path=osm), progress=lambda _: None)
    requests = synthesise(network, params, TZ)
    path = folder / f"{name}.csv"
    path.write_text(format_demand(requests, TZ), encoding="utf-8")
    return path


def row(n: int, run: Finished, wall: float, label: str = "") -> str:
    k, r = run.kpis, run.result
    return (
        f"{n:>5} {label or r.policy.value:<11}{wall:>7.1f}{r.solves:>7d}{k.served_share:>8.1%}"
        f"{k.wait_mean_min:>6.1f}{k.wait_p95_min:>6.1f}{k.ride_mean_min:>6.1f}"
        f"{k.detour_mean:>7.2f}{k.vehicle_km:>8.0f}{k.vehicle_km_no_return:>10.0f}"
        f"{k.empty_km:>7.0f}{k.occupancy:>7.2f}{k.pooling_rate:>7.1%}{len(run.violations):>11d}"
    )


def big_day(args: argparse.Namespace, osm: Path, folder: Path) -> None:
    demand = write_day(osm, folder, args.mix, mix(args.mix, args.requests, args.seed))
    print(
        f"== {args.requests} requests ({args.mix}), 8-seat buses, 06:00–22:00, max wait 15 min, "
        f"ride ≤ 1.5 × (direct + 30 s), boarding {args.boarding_time} s, promise {args.promise}; "
        f"re-optimisation {'after each change and ' if args.after_change else ''}every "
        f"{args.reoptimise_every} s ({args.iterations} LNS iterations + {args.ortools_steps} "
        f"OR-Tools steps) =="
    )
    print(COLUMNS)
    for n in args.vehicles:
        scenario = Scenario(
            demand,
            osm=osm,
            vehicles=n,
            seats=8,
            max_wait_min=15,
            ride_time="1.5x+45s",
            boarding_s=args.boarding_time,
            seed=args.seed,
            reoptimise_every_s=args.reoptimise_every,
            reoptimise_after_change=args.after_change,
            solver_iterations=args.iterations,
            ortools_steps=args.ortools_steps,
            promise=args.promise,
        )
        prepared = prepare(scenario)
        runs = {}
        for policy in (Policy.INSERTION, Policy.DISPATCHER):
            started = time.perf_counter()
            runs[policy.value] = run_scenario(scenario, policy=policy, prepared=prepared)
            print(row(n, runs[policy.value], time.perf_counter() - started), flush=True)
        for label, engine in variants(args, prepared.engine_params):
            # a service rule (label "both-…") applies to the baseline as well
            policies = [Policy.INSERTION] if label.startswith("both-") else []
            for policy in [*policies, Policy.DISPATCHER]:
                started = time.perf_counter()
                name = f"{label}/ins" if policy is Policy.INSERTION else label
                runs[name] = run_scenario(
                    scenario, policy=policy, prepared=replace(prepared, engine_params=engine)
                )
                print(row(n, runs[name], time.perf_counter() - started, name), flush=True)
        base = runs[Policy.INSERTION.value].kpis
        for label, run in runs.items():
            if label == Policy.INSERTION.value:
                continue
            k = run.kpis
            moved = sum(v.relocation_m for v in run.result.vehicles.values()) / 1000
            print(
                f"      {label} − insertion: served {100 * (k.served_share - base.served_share):+.1f}"
                f" points, vehicle-km {k.vehicle_km / max(base.vehicle_km, 1e-9) - 1:+.1%}"
                + (f" (of which rebalancing {moved:.0f} km)" if moved else "")
            )


def variants(args: argparse.Namespace, base: EngineParams) -> list[tuple[str, EngineParams]]:
    """The dispatcher with rebalancing (``--rebalance COVERAGE_S:MIN_GAIN:HORIZON_S``) and
    with other engine settings (``--try LABEL:field=value,objective.field=value``)."""
    out = []
    for spec in args.rebalance:
        coverage, gain, horizon = [*spec.split(":"), "", ""][:3]
        params = RebalanceParams(
            coverage_s=int(coverage), min_gain=float(gain or 4), horizon_s=int(horizon or 3600)
        )
        out.append((f"reb{spec}", replace(base, rebalance=params)))
    for spec in args.try_:
        label, _, settings = spec.partition(":")
        engine = base
        for item in settings.split(","):
            name, _, text = item.partition("=")
            value = _number(text)
            if name.startswith("objective."):
                objective = replace(engine.objective, **{name.removeprefix("objective."): value})
                engine = replace(engine, objective=objective)
            else:
                engine = replace(engine, **{name: value})
        out.append((label, engine))
    return out


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
        boarding_s=args.boarding_time,
        seed=args.seed,
    )
    finished = run_scenario(scenario)
    hindsight = solve_in_hindsight(finished.prepared, args.hindsight_s, seed=args.seed)
    k = finished.kpis
    gap = (k.vehicle_km - hindsight.vehicle_km) / hindsight.vehicle_km
    print(
        f"replay:    served {k.served}/{k.requested}, {k.vehicle_km:.1f} vehicle-km, "
        f"{len(finished.violations)} trajectory violations"
    )
    print(
        f"hindsight: served {hindsight.served}/{hindsight.requested}, "
        f"{hindsight.vehicle_km:.1f} vehicle-km, {len(hindsight.violations)} violations "
        f"({args.hindsight_s:g} s LNS + OR-Tools)"
    )
    print(f"price of not knowing the future: {gap:+.1%} vehicle-km")


def _number(text: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm", default=os.environ.get("DISPATCH_OSM_SOURCE"))
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--vehicles", type=int, nargs="+", default=[10])
    parser.add_argument("--mix", choices=("even", "peaks", "default"), default="even")
    parser.add_argument("--boarding-time", type=int, default=30)
    parser.add_argument("--reoptimise-every", type=int, default=600)
    parser.add_argument("--periodic-only", dest="after_change", action="store_false")
    parser.add_argument("--promise", choices=("window", "max_wait"), default="window")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--ortools-steps", type=int, default=30)
    parser.add_argument(
        "--rebalance",
        nargs="*",
        default=[],
        metavar="COVERAGE_S:MIN_GAIN:HORIZON_S",
        help="also replay the dispatcher with rebalancing, e.g. 600:2:3600",
    )
    parser.add_argument(
        "--try",
        dest="try_",
        nargs="*",
        default=[],
        metavar="LABEL:FIELD=VALUE,...",
        help="also replay the dispatcher with other engine settings, "
        "e.g. w0:objective.wait_weight=0.0",
    )
    parser.add_argument("--small", type=int, default=0)
    parser.add_argument("--small-vehicles", type=int, default=4)
    parser.add_argument("--hindsight-s", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not args.osm:
        raise SystemExit("give --osm FILE or set DISPATCH_OSM_SOURCE")
    logging.basicConfig(level=logging.WARNING)
    osm = Path(args.osm)
    with tempfile.TemporaryDirectory() as tmp:
        if args.requests > 0:
            big_day(args, osm, Path(tmp))
        if args.small > 0:
            small_day(args, osm, Path(tmp))


if __name__ == "__main__":
    main()
