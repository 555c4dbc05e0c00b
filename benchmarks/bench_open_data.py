"""Export of a month of open data: time for a month with N bookings (target: 20,000 in ≤ 10 s).

    .venv/bin/python -m benchmarks.bench_open_data --osm /path/north-bayreuth.osm.gz [--bookings 20000]

Fills a fresh SQLite database with a month of history (benchmarks.month_history), then
times ``dispatch open-data export`` as a separate process (start-up, reading the
database, road distances, writing the package) three times and prints the times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.month_history import fill_month
from dispatch.config import load_service_config
from dispatch.roads.network import OsmSource, load_road_network
from dispatch.store import open_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm", required=True)
    parser.add_argument("--bookings", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cache = tmp / "cache"
        network = load_road_network(OsmSource(path=Path(args.osm)), cache_dir=cache)
        db = open_database(f"sqlite:///{tmp / 'dispatch.sqlite'}")
        db.migrate()
        config = load_service_config(None, osm_source=args.osm)
        n = fill_month(
            db, network, config, date(2026, 11, 1), args.bookings, seed=7, unmet_share=0.0
        )
        db.dispose()
        env = {**os.environ, "DISPATCH_OSM_SOURCE": args.osm, "DISPATCH_OSM_CACHE": str(cache),
               "DISPATCH_DATABASE_URL": f"sqlite:///{tmp / 'dispatch.sqlite'}"}  # fmt: skip
        times = []
        for i in range(args.runs):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", "from dispatch.cli import main; main()", "open-data",
                 "export", "--month", "2026-11", "-o", str(tmp / f"out{i}")],
                env=env, check=True, capture_output=True,
            )  # fmt: skip
            times.append(time.perf_counter() - start)
        print(f"bookings in the month: {n}")
        print("export times (s): " + ", ".join(f"{t:.2f}" for t in times))
        print(f"median: {statistics.median(times):.2f} s (target ≤ 10 s)")


if __name__ == "__main__":
    main()
