"""Re-optimisation of a live snapshot: 30 vehicles, riders on board, 200 open requests.

Usage: python -m benchmarks.bench_reoptimise [--osm FILE] [--limits 1,2,5]
       [--vehicles 30 --bookings 200 --hours 3]   (a bigger district: 200, 5000, 12)
The fleet is built through the live engine on the real road network (bookings by
insertion, some riders already on board, next stops locked). Prints the OR-Tools model
build time and the cost before and after re-optimising with each time limit; every
result is checked with validate_plan.
"""

from __future__ import annotations

import argparse

from benchmarks.live_fleet import board_first_riders, busy_engine, network_from_env
from dispatch.model import Plan
from dispatch.solver.improve import ImproveParams, solve
from dispatch.solver.ortools_backend import reoptimise
from dispatch.solver.validate import validate_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm")
    parser.add_argument("--limits", default="1,2,5")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--vehicles", type=int, default=30)
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--hours", type=int, default=3, help="the trips' requested span")
    args = parser.parse_args()
    network = network_from_env(args.osm)
    engine, now = busy_engine(network, args.vehicles, args.bookings, args.seed, args.hours)
    boarded = board_first_riders(engine, now)
    live = engine.live_snapshot(now)
    current = engine.current_plan(now)
    assert isinstance(current, Plan)
    snap = live.snapshot
    on_board = sum(len(v.on_board) for v in snap.vehicles)
    locked = sum(len(v.locked) for v in snap.vehicles)
    print(
        f"snapshot: {len(snap.vehicles)} vehicles, {len(snap.requests)} open requests, "
        f"{on_board} riders on board ({boarded} vehicles), {locked} locked stops, {snap.n_locations} locations"
    )
    probe = reoptimise(snap, engine.params.objective, current, 0.5)
    print(f"OR-Tools model build (incl. close): {probe.build_s:.3f} s")
    print(f"cost before: {current.cost.total:,.0f} (driving {current.cost.drive_s / 3600:.2f} h)")
    for limit in (float(x) for x in args.limits.split(",")):
        for name, improve in (
            ("LNS+OR-Tools", ImproveParams()),
            ("OR-Tools only", ImproveParams(lns_share=0.0)),
        ):
            result = solve(
                snap,
                engine.params.objective,
                limit,
                seed=args.seed,
                warm_start=current,
                improve=improve,
            )
            ok = validate_plan(snap, result.plan) == []
            after = result.plan.cost
            print(
                f"  {limit:>3.0f} s {name:14s}: cost {after.total:,.0f} (driving {after.drive_s / 3600:.2f} h, "
                f"{100 * (current.cost.total - after.total) / current.cost.total:.1f} % better), "
                f"valid={ok}, took {result.stats.seconds:.2f} s"
            )


if __name__ == "__main__":
    main()
