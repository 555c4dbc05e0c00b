"""The public /open page: first paint and time until the month's figures are on screen.

Usage: python -m benchmarks.bench_open_page --osm FILE [--bookings 3000] [--loads 10]
Starts a real service (SQLite file in a temporary folder) whose database holds a month of
history (benchmarks.month_history) in the current month, then loads /open in Chromium
(/usr/bin/chromium) LOADS times with an empty cache and prints the median and maximum of
first paint (the browser's paint timing) and of "figures shown" (the days table drawn).
The first load computes the month (later ones within 5 minutes are served from memory).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import sync_playwright

from benchmarks.month_history import fill_month
from dispatch.config import load_service_config
from dispatch.roads.network import OsmSource, load_road_network
from dispatch.store import open_database
from tests.conftest import CHROMIUM_ARGS
from tests.service.conftest import start_server, stop_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--osm", required=True)
    parser.add_argument("--bookings", type=int, default=3000)
    parser.add_argument("--loads", type=int, default=10)
    args = parser.parse_args()
    import os

    os.environ["DISPATCH_TEST_OSM"] = args.osm
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        config = load_service_config(None, osm_source=args.osm)
        network = load_road_network(OsmSource(path=Path(args.osm)), cache_dir=tmp / "cache")
        db = open_database(f"sqlite:///{tmp / 'dispatch.sqlite'}")
        db.migrate()
        first = datetime.now(ZoneInfo(config.time_zone)).date().replace(day=1)
        fill_month(db, network, config, first, args.bookings, seed=3)
        db.dispose()
        server = start_server(tmp, tmp / "dispatch.sqlite", tmp / "cache")
        try:
            paints, shown = measure(server.url, args.loads)
        finally:
            stop_server(server)
    print(f"/open with {args.bookings} bookings in the month, {args.loads} loads")
    print(
        f"first paint:   median {statistics.median(paints):.0f} ms, max {max(paints):.0f} ms (target ≤ 1000 ms)"
    )
    print(f"figures shown: median {statistics.median(shown):.0f} ms, max {max(shown):.0f} ms")


def measure(url: str, loads: int) -> tuple[list[float], list[float]]:
    paints, shown = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for _ in range(loads):
            context = browser.new_context(base_url=url, service_workers="block")
            page = context.new_page()
            page.goto("/open?lang=de")
            page.wait_for_selector("#days table", timeout=60_000)
            paints.append(page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? "
                "performance.getEntriesByType('paint')[0].startTime"
            ))  # fmt: skip
            shown.append(page.evaluate("performance.now()"))
            context.close()
        browser.close()
    return paints, shown


if __name__ == "__main__":
    main()
