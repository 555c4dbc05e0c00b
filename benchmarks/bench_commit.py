"""What committing one booking costs the engine thread: the store's share of a booking.

Usage: python -m benchmarks.bench_commit [--database URL] [--bookings 300] [--plans 2]
       [--assignments 4]
Each booking is what ``ChangeStore.apply_changes`` writes when the engine accepts one:
the offer consumed, the booking with its first event and Idempotency-Key, ``--plans``
new plan versions (stops of 20 each) and ``--assignments`` other bookings' new planned
times. Prints wall and CPU time per commit (median, p90); the CPU time is what the
engine thread holds the interpreter for, which other threads of its process then wait
for. Without ``--database`` it uses DISPATCH_TEST_DATABASE_URL, else a SQLite file in a
temporary folder. PostgreSQL runs get a fresh schema, dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

from dispatch.model import BookingId, ShiftId
from dispatch.store import Repository, open_database
from dispatch.store.changes import Assignment, ChangeBatch, Confirmation
from dispatch.store.database import normalise_url
from dispatch.store.records import Booking, NewBooking, Offer, Place, PlanVersion

NOW = 1_780_000_000


@contextlib.contextmanager
def database(url: str | None) -> Iterator[str]:
    """``url`` in a fresh schema (PostgreSQL), or a new SQLite file."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(url))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def new_booking(k: int) -> NewBooking:
    return NewBooking(
        booking_id=BookingId(f"b{k}"),
        rider_id=None,
        origin=Place("Harsdorf", 50.0276, 11.5689, stop_id="s-harsdorf", node=347262760),
        destination=Place("Neudrossenfeld", 50.0185, 11.5018),
        passengers=1,
        pickup_window_start=NOW + 600,
        pickup_window_end=NOW + 1200,
        latest_arrival=NOW + 2400,
        planned_pickup=NOW + 700,
        planned_dropoff=NOW + 1500,
        vehicle_id=ShiftId("bus-1@2026-05-28"),
    )


def offer(k: int) -> Offer:
    return Offer(f"o{k}", "q", {"passengers": 1}, {"pickup": [NOW, NOW + 600]}, NOW + 600, NOW)


def response(b: Booking) -> dict[str, object]:
    return {"booking_id": b.id, "status": b.status.value, "access_token": "t" * 32}


def batch(k: int, plans: int, assignments: int) -> ChangeBatch:
    stops = [{"booking_id": f"b{k}", "kind": "pickup", "eta": NOW + 60 * i} for i in range(20)]
    return ChangeBatch(
        at=NOW,
        confirmation=Confirmation(f"o{k}", new_booking(k), f"key-{k}", "hash", response),
        plans=[PlanVersion(ShiftId(f"bus-{p}"), k + 1, NOW, stops) for p in range(plans)],
        assignments=[
            Assignment(BookingId(f"b{j}"), ShiftId("bus-2"), NOW + 800 + k, NOW + 1600 + k)
            for j in range(max(0, k - assignments), k)
        ],
    )


def measure(url: str, bookings: int, plans: int, assignments: int) -> tuple[list[float], ...]:
    db = open_database(url)
    db.migrate()
    repo = Repository(db, clock=lambda: NOW)
    repo.save_offers([offer(k) for k in range(bookings)])
    walls, cpus = [], []
    for k in range(bookings):
        wall, cpu = time.perf_counter(), time.thread_time()
        repo.apply_changes(batch(k, plans, assignments))
        cpus.append(time.thread_time() - cpu)
        walls.append(time.perf_counter() - wall)
    db.dispose()
    return walls, cpus


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    return f"{name}: median {statistics.median(ms):.2f} ms, p90 {p90:.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get("DISPATCH_TEST_DATABASE_URL"))
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--plans", type=int, default=2)
    parser.add_argument("--assignments", type=int, default=4)
    args = parser.parse_args(argv)
    if args.bookings < 10 or args.plans < 0 or args.assignments < 0:
        print("bench_commit: --bookings must be ≥ 10, the others ≥ 0", file=sys.stderr)
        return 2
    with database(args.database or None) as url:
        kind = url.split(":", 1)[0]
        walls, cpus = measure(url, args.bookings, args.plans, args.assignments)
    skip = len(walls) // 10  # the first commits warm up the statement caches
    print(f"{args.bookings} commits on {kind}, {args.plans} plans, {args.assignments} assignments")
    print(summary("wall", walls[skip:]))
    print(summary("CPU ", cpus[skip:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
