"""The fairness option's price: the same replayed day with and without it.

Usage: python -m benchmarks.bench_fairness --osm FILE [--requests 500] [--vehicles 4]
       [--wheelchair-share 0.1] [--gap 0.02] [--seed 1]

A synthetic day (the synthesiser's default mix, ``--wheelchair-share`` of the requests
with a wheelchair) replayed through the production dispatcher on a tight fleet, once
plain and once with ``--fairness-gap``; both replays are checked by the trajectory
checker. Prints the served share of wheelchair users and of the others, the gap, and
vehicle-km — the option's price.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from dispatch.roads.network import OsmSource, load_road_network
from dispatch.sim.demand import format_demand
from dispatch.sim.fairness import group_rows, public_outcomes
from dispatch.sim.run import require_valid, run_scenario
from dispatch.sim.scenario import Scenario
from dispatch.sim.synth import SynthParams, synthesise

DAY = date(2026, 11, 25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm", required=True)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--vehicles", type=int, default=4)
    parser.add_argument("--wheelchair-share", type=float, default=0.1)
    parser.add_argument("--gap", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.getLogger("dispatch.engine").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        network = load_road_network(OsmSource(path=Path(args.osm)), cache_dir=tmp / "cache")
        zone = ZoneInfo("Europe/Berlin")
        params = SynthParams(
            args.requests, DAY, seed=args.seed, wheelchair_share=args.wheelchair_share
        )
        demand = tmp / "day.csv"
        demand.write_text(format_demand(synthesise(network, params, zone), zone), encoding="utf-8")
        rows = {}
        for label, gap in (("plain", None), (f"gap {args.gap}", args.gap)):
            scenario = Scenario(demand, osm=Path(args.osm), vehicles=args.vehicles, seed=args.seed,
                                fairness_max_gap=gap)  # fmt: skip
            finished = run_scenario(scenario)
            require_valid(finished)
            net = finished.prepared.network
            groups = group_rows(public_outcomes(finished.result.outcomes, finished.prepared.requests,
                                                net.network, net.resolve))  # fmt: skip
            share = {
                r["group"]: r["served_share"] for r in groups if r["group_kind"] == "wheelchair"
            }
            rows[label] = (share.get("wheelchair"), share.get("no wheelchair"), finished.kpis.vehicle_km,
                           finished.kpis.served_share)  # fmt: skip
    print(
        f"{args.requests} requests, {args.wheelchair_share:.0%} with a wheelchair, {args.vehicles} buses, seed {args.seed}"
    )
    for label, (wc, other, km, served) in rows.items():
        print(f"{label:>10}: wheelchair served {wc:.1%}, others {other:.1%}, gap {other - wc:+.1%}, "
              f"all {served:.1%}, vehicle-km {km:.1f}")  # fmt: skip
    (wc0, _, km0, _), (wc1, _, km1, _) = rows.values()
    print(
        f"price: {km1 - km0:+.1f} vehicle-km ({(km1 - km0) / km0:+.1%}) for {(wc1 - wc0) * 100:+.1f} points wheelchair served share"
    )


if __name__ == "__main__":
    main()
