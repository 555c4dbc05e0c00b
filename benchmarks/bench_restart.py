"""Restart time with many open bookings: the service back from its database.

Usage: python -m benchmarks.bench_restart [--bookings 2000] [--vehicles 20] [--database URL]
[--no-fill]

Fills a fresh database (SQLite in a temporary folder unless ``--database`` names one)
through the service's own booking flow (in process, no HTTP): ``--vehicles`` buses with
06:00–22:00 shifts on the next three days, riders between the map's stops and places
booking the first offer, until ``--bookings`` are open. Then the service is stopped and
started again the way ``dispatch serve`` starts it (map from the cache, migrations, the
solver process, fleet and shifts, every open booking and every bus's plan back from the
database, all plans re-timed and stored), and it prints:

- ``restore``: open bookings and stored plans into the engine, re-timed and written back;
- ``start-up``: the whole ``build_runtime`` (what a restart costs before the first request);
- how many bookings could not be placed (should be 0) and whether every open booking is on
  the bus its row names.
"""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from dispatch.config import ServiceConfig, load_service_config
from dispatch.engine.adapters.worker import SolveOutcome
from dispatch.errors import DispatchError
from dispatch.model import Plan, Snapshot
from dispatch.service.booking import PlaceInput, QuoteInput, RiderContact
from dispatch.service.runtime import build_runtime
from dispatch.settings import Settings


class NoSolver:
    """Re-optimisation off while filling (it does not change what a restart costs)."""

    def solve(self, snapshot: Snapshot, warm_start: Plan, time_limit_s: float) -> SolveOutcome:
        return SolveOutcome(None, 0.0, "off while filling")

    def close(self) -> None:
        return None


def service(osm: str, vehicles: int) -> ServiceConfig:
    config = load_service_config(None, osm_source=osm)
    depots = [v.depot for v in config.fleet.vehicles]
    data = config.model_dump(mode="python")
    data["fleet"] = {
        "vehicles": [
            {"id": f"bus-{k + 1}", "seats": 8, "wheelchair_places": 1,
             "depot": depots[k % len(depots)].model_dump(), "device_token": f"bench-token-bus-{k + 1}"}
            for k in range(vehicles)
        ],
        "shifts": [
            {"vehicle": f"bus-{k + 1}", "weekdays": "daily", "start": "06:00", "end": "22:00"}
            for k in range(vehicles)
        ],
    }  # fmt: skip
    data["booking"]["prebooking_horizon_days"] = 3
    return ServiceConfig.model_validate(data)


def fill(settings: Settings, config: ServiceConfig, bookings: int, seed: int) -> int:
    runtime = build_runtime(settings, config, solver=NoSolver())
    rng = random.Random(seed)
    stops = [s.id for s in runtime.stops.stops]
    first = date.fromtimestamp(runtime.clock()) + timedelta(days=1)
    made = tries = 0
    started = time.perf_counter()
    while made < bookings and tries < bookings * 4:
        tries += 1
        a, b = rng.sample(stops, 2)
        day = first + timedelta(days=rng.randrange(3))
        minute = rng.randrange(6 * 60 + 30, 20 * 60)
        when = f"{day}T{minute // 60:02d}:{minute % 60:02d}"
        local = int(time.mktime(time.strptime(when, "%Y-%m-%dT%H:%M")))
        q = QuoteInput(PlaceInput(stop_id=a), PlaceInput(stop_id=b), depart_after=local)
        try:
            offers = runtime.booking.quote(q).offers
            if offers:
                runtime.booking.book(offers[0].offer_id, RiderContact("Bench"), None, {"n": tries})
                made += 1
        except DispatchError:
            continue
    print(f"filled: {made} bookings in {time.perf_counter() - started:.0f} s ({tries} requests)")
    runtime.stop()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--osm", default=None)
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--vehicles", type=int, default=20)
    parser.add_argument("--database", default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-fill",
        action="store_true",
        help="restart on what --database holds already (from an earlier run), without filling",
    )
    args = parser.parse_args()
    if args.no_fill and args.database is None:
        raise SystemExit("--no-fill needs --database (a database filled by an earlier run)")
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="bench-restart-"))
    url = args.database or f"sqlite:///{folder / 'restart.sqlite'}"
    base = Settings(database_url=url, osm_cache=Path("osm_cache"))
    osm = args.osm or base.osm_source
    if osm is None:
        raise SystemExit("give --osm FILE or set DISPATCH_OSM_SOURCE")
    config = service(osm, args.vehicles)
    settings = base.model_copy(update={"osm_source": osm})
    if not args.no_fill:
        fill(settings, config, args.bookings, args.seed)
    logging.getLogger("dispatch.service.runtime").setLevel(logging.INFO)
    started = time.perf_counter()
    runtime = build_runtime(settings, config)
    startup = time.perf_counter() - started
    open_bookings = runtime.repo.list_open_bookings()
    wrong = [
        b.id
        for b in open_bookings
        if b.vehicle_id is None
        or not any(
            v.request_id == b.id for v in runtime.runner.engine.vehicles[b.vehicle_id].visits
        )
    ]
    print(
        f"database: {url.split(':')[0]}, {len(open_bookings)} open bookings, {args.vehicles} buses"
    )
    print(f"start-up (build_runtime, everything): {startup:.2f} s")
    print(f"unplaced after restart: {len(runtime.runner.engine.unplaced())}; "
          f"not on the bus their row names: {len(wrong)}")  # fmt: skip
    runtime.stop()


if __name__ == "__main__":
    main()
