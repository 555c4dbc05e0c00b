"""The crash suite: riders book against a real server, ``kill -9`` at a random moment,
restart; three rounds, on SQLite and on PostgreSQL.

After every restart: every acknowledged booking is there (0 missing) with the promise it
was given (0 promises changed), every open booking is on exactly one bus's latest stored
plan — the bus the database names (0 unplaced) — cancellations that were acknowledged
stayed cancelled, and re-optimisation adopts plans again afterwards. The first round is
killed only after re-optimisation has moved bookings between buses.

The check of the database is independent of the service's code: plain SQL on the tables.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from dispatch.store import normalise_url
from tests.service.conftest import Server, stop_server
from tests.service.launch import database, osm_source, service_toml, start_service

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

ROUNDS = 3
BOOKINGS_PER_ROUND = 50
TOMORROW = date.today() + timedelta(days=1)


@dataclass(frozen=True)
class Acked:
    booking_id: str
    token: str
    promise: tuple[str, str, str]


@dataclass
class Load:
    """Riders on a few threads: quote, book (with an Idempotency-Key), now and then cancel."""

    url: str
    stops: list[str]
    limit: int
    seed: int
    acked: dict[str, Acked] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    stopped: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, threads: int = 3) -> None:
        for k in range(threads):
            t = threading.Thread(target=self._rider, args=(random.Random(self.seed + k),))
            t.start()
            self.threads.append(t)

    def stop(self) -> None:
        self.stopped.set()
        for t in self.threads:
            t.join(timeout=30)

    def _rider(self, rng: random.Random) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self.stopped.is_set() and len(self.acked) < self.limit:
                try:
                    if self.acked and rng.random() < 0.1:
                        self._cancel(client, rng)
                    else:
                        self._book(client, rng)
                except httpx.HTTPError:
                    return  # the server is gone (killed)
                time.sleep(rng.uniform(0.02, 0.1))

    def _book(self, client: httpx.Client, rng: random.Random) -> None:
        a, b = rng.sample(self.stops, 2)
        hour, minute = rng.randint(6, 20), rng.choice((0, 15, 30, 45))
        body = {
            "origin": {"stop_id": a},
            "destination": {"stop_id": b},
            "depart_after": f"{TOMORROW}T{hour:02d}:{minute:02d}:00",
        }
        quote = client.post("/v1/quotes", json=body)
        if quote.status_code != 200 or not quote.json()["offers"]:
            return
        offer = quote.json()["offers"][0]["offer_id"]
        key = uuid.uuid4().hex
        booking = {"offer_id": offer, "rider": {"name": "Crash Test"}}
        answer = client.post("/v1/bookings", json=booking, headers={"Idempotency-Key": key})
        if answer.status_code == 201:
            b = answer.json()
            promise = (b["pickup"]["window_start"], b["pickup"]["window_end"],
                       b["dropoff"]["latest_arrival"])  # fmt: skip
            with self.lock:
                self.acked[b["booking_id"]] = Acked(b["booking_id"], b["access_token"], promise)

    def _cancel(self, client: httpx.Client, rng: random.Random) -> None:
        with self.lock:
            choice = rng.choice(sorted(set(self.acked) - self.cancelled))
        acked = self.acked[choice]
        auth = {"Authorization": f"Bearer {acked.token}"}
        answer = client.post(f"/v1/bookings/{choice}/cancel", headers=auth)
        if answer.status_code == 200 and answer.json()["status"] == "cancelled":
            with self.lock:
                self.cancelled.add(choice)


def health(server: Server) -> dict[str, Any]:
    return httpx.get(f"{server.url}/v1/health", timeout=10).json()  # type: ignore[no-any-return]


def wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def stored_rows(url: str) -> tuple[dict[str, tuple[str, str | None]], dict[str, list[str]]]:
    """Bookings (status, vehicle) and each vehicle's latest plan (booking ids), by plain SQL."""
    bookings_sql = "SELECT id, status, vehicle_id FROM bookings"
    plans_sql = "SELECT vehicle_id, version, stops FROM plan_versions"
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as c:
            bookings, plans = c.execute(bookings_sql).fetchall(), c.execute(plans_sql).fetchall()
    else:
        engine = create_engine(normalise_url(url))
        with engine.connect() as c:
            bookings = list(c.execute(text(bookings_sql)))
            plans = list(c.execute(text(plans_sql)))
        engine.dispose()
    latest: dict[str, tuple[int, list[str]]] = {}
    for vehicle, version, stops in plans:
        stops = json.loads(stops) if isinstance(stops, str) else stops
        if vehicle not in latest or version > latest[vehicle][0]:
            latest[vehicle] = (version, [s["booking_id"] for s in stops])
    return {b: (s, v) for b, s, v in bookings}, {v: ids for v, (_, ids) in latest.items()}


@dataclass
class RoundReport:
    confirmed: int
    missing: int = 0
    unplaced: int = 0
    promises_changed: int = 0
    cancellations_lost: int = 0
    moved_before_kill: int = 0


def check(server: Server, url: str, load_acked: dict[str, Acked], cancelled: set[str],
          report: RoundReport) -> RoundReport:  # fmt: skip
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for b in load_acked.values():
            answer = client.get(f"/v1/bookings/{b.booking_id}",
                                headers={"Authorization": f"Bearer {b.token}"})  # fmt: skip
            if answer.status_code == 404:
                report.missing += 1
                continue
            body = answer.json()
            promise = (body["pickup"]["window_start"], body["pickup"]["window_end"],
                       body["dropoff"]["latest_arrival"])  # fmt: skip
            report.promises_changed += promise != b.promise
            if b.booking_id in cancelled and body["status"] != "cancelled":
                report.cancellations_lost += 1
    bookings, plans = stored_rows(url)
    holders = Counter(b for ids in plans.values() for b in set(ids))
    for booking_id, (status, vehicle) in bookings.items():
        if status not in ("confirmed", "on_board", "unplaced"):
            continue
        on_its_bus = vehicle is not None and booking_id in plans.get(vehicle, [])
        if status == "unplaced" or not on_its_bus or holders[booking_id] != 1:
            report.unplaced += 1
    report.unplaced = max(report.unplaced, health(server)["unplaced"])
    return report


def run_rounds(tmp: Path, kind: str) -> list[RoundReport]:
    config = tmp / "service.toml"
    config.write_text(service_toml(osm_source()))
    cache = tmp / "cache"
    reports: list[RoundReport] = []
    acked: dict[str, Acked] = {}
    cancelled: set[str] = set()
    rng = random.Random(13)
    with database(kind, tmp) as (url, _):
        server = start_service(tmp, url, config, cache)
        stops = [s["stop_id"] for s in httpx.get(f"{server.url}/v1/stops").json()]
        try:
            for k in range(ROUNDS):
                load = Load(server.url, stops, len(acked) + BOOKINGS_PER_ROUND, seed=100 * k)
                load.acked.update(acked)
                load.cancelled.update(cancelled)
                load.start()
                moved = 0
                if k == 0:  # kill only once re-optimisation has moved bookings between buses
                    wait_for(lambda s=server: health(s)["bookings_moved"] > 0, 90)
                    moved = health(server)["bookings_moved"]
                    assert moved > 0, "re-optimisation moved no booking before the kill"
                time.sleep(rng.uniform(0.5, 3.0))
                server.kill_hard()
                load.stop()
                report = RoundReport(len(load.acked) - len(acked), moved_before_kill=moved)
                acked, cancelled = dict(load.acked), set(load.cancelled)
                server = start_service(tmp, url, config, cache)
                reports.append(check(server, url, acked, cancelled, report))
            more = Load(server.url, stops, len(acked) + 30, seed=999)
            more.start()
            adopted = wait_for(lambda: health(server)["adoptions"] > 0, 60)
            more.stop()
            assert adopted, "no re-optimised plan was adopted after the restarts"
        finally:
            stop_server(server)
    return reports


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_kill_minus_9_under_load_keeps_every_promise(tmp_path: Path, kind: str) -> None:
    reports = run_rounds(tmp_path, kind)
    for k, r in enumerate(reports, 1):
        print(
            f"crash suite {kind} round {k}: {r.confirmed} bookings confirmed, {r.missing} missing, "
            f"{r.unplaced} unplaced, {r.promises_changed} promises changed, "
            f"{r.cancellations_lost} cancellations lost"
            + (
                f", {r.moved_before_kill} bookings moved before the kill"
                if r.moved_before_kill
                else ""
            )
        )
    assert all(r.confirmed > 0 for r in reports)
    assert [(r.missing, r.unplaced, r.promises_changed, r.cancellations_lost) for r in reports] == [
        (0, 0, 0, 0)
    ] * ROUNDS
