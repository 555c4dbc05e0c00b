"""Time to a 503 while the database does not answer, and recovery afterwards.

Usage: python -m benchmarks.bench_db_faults [--rounds 10] [--postgresql URL]

Starts a real ``dispatch serve`` (one bus) on SQLite — and on PostgreSQL when
``--postgresql`` (or ``DISPATCH_TEST_DATABASE_URL``) names a server, in a fresh schema —
then ``--rounds`` times holds the database (SQLite: another connection's write lock;
PostgreSQL: an exclusive lock on the bookings, offers and plan tables) and times a quote,
a booking and a cancellation. Prints the status codes and the time to the answer (median
and maximum), then whether the same booking (same Idempotency-Key) goes through once the
lock is gone. On PostgreSQL it also drops the service's connections
(``pg_terminate_backend``) and times the next requests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from dispatch.store import normalise_url
from tests.databases import postgresql_schema
from tests.service.conftest import stop_server
from tests.service.launch import service_toml, start_service
from tests.service.test_db_faults import book, held_lock, offer, quote_body, timed


def measure(kind: str, url: str, name: str, rounds: int, osm: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-faults-{kind}-"))
    config = tmp / "service.toml"
    config.write_text(service_toml(osm, buses=1, period_s=3600))
    server = start_service(tmp, url, config, Path("osm_cache"))
    times: dict[str, list[float]] = defaultdict(list)
    codes: dict[str, set[int]] = defaultdict(set)
    recovered = 0
    try:
        for k in range(rounds):
            for what, (status, seconds) in one_round(server, url, k).items():
                times[what].append(seconds)
                codes[what].add(status)
            recovered += codes.pop("recovered", set()) == {201}
        times.pop("recovered", None)
        for what, values in times.items():
            print(f"{kind} held lock, {what}: status {sorted(codes[what])}, time to answer median "
                  f"{statistics.median(values):.2f} s, max {max(values):.2f} s ({len(values)} runs)")  # fmt: skip
        print(
            f"{kind}: the same booking went through after the lock in {recovered}/{rounds} rounds"
        )
        if name:
            dropped(server, url, name, rounds)
    finally:
        stop_server(server)


def one_round(server: Any, url: str, k: int) -> dict[str, tuple[int, float]]:
    """A quote, a booking and a cancellation under a held lock; then the booking again."""
    first = book(server, offer(server, 6 + k % 14), uuid.uuid4().hex).json()
    waiting, key = offer(server, 6 + (k + 1) % 14), uuid.uuid4().hex
    auth = {"Authorization": f"Bearer {first['access_token']}"}
    cancel = f"{server.url}/v1/bookings/{first['booking_id']}/cancel"
    calls = {
        "quote": lambda: httpx.post(f"{server.url}/v1/quotes", json=quote_body(12), timeout=30),
        "booking": lambda: book(server, waiting, key),
        "cancel": lambda: httpx.post(cancel, headers=auth, timeout=30),
    }
    out: dict[str, tuple[int, float]] = {}
    with held_lock(url, 30):
        for what, call in calls.items():
            response, seconds = timed(call)
            out[what] = (response.status_code, seconds)
    out["recovered"] = (book(server, waiting, key).status_code, 0.0)
    return out


def dropped(server: object, url: str, name: str, rounds: int) -> None:
    admin = create_engine(normalise_url(url))
    results: list[tuple[int, float]] = []
    for _ in range(rounds):
        with admin.begin() as c:
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE application_name = :n AND pid <> pg_backend_pid()"), {"n": name})  # fmt: skip
        results.append(timed(lambda: httpx.post(f"{server.url}/v1/quotes", json=quote_body(9))))  # type: ignore[attr-defined]
    admin.dispose()
    statuses = sorted({r.status_code for r, _ in results})
    print(f"postgresql connections dropped: next quote status {statuses}, time median "
          f"{statistics.median(s for _, s in results):.2f} s, max {max(s for _, s in results):.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--postgresql", default=os.environ.get("DISPATCH_TEST_DATABASE_URL"))
    args = parser.parse_args()
    osm = os.environ.get("DISPATCH_OSM_SOURCE") or os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        raise SystemExit("set DISPATCH_OSM_SOURCE to an OSM extract")
    os.environ["DISPATCH_TEST_OSM"] = osm
    tmp = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    measure("sqlite", f"sqlite:///{tmp / 'faults.sqlite'}", "", args.rounds, osm)
    if args.postgresql:
        os.environ["DISPATCH_TEST_DATABASE_URL"] = args.postgresql
        name = f"rufbus-bench-{uuid.uuid4().hex[:8]}"
        with postgresql_schema(application_name=name) as url:
            measure("postgresql", url, name, args.rounds, osm)


if __name__ == "__main__":
    main()
