"""The production shape for real: `dispatch engine` (leader + standby) and `dispatch api`
workers as processes, on PostgreSQL and Redis.

- a booking through worker A reaches a driver connected to worker B;
- `kill -9` of the leader: the standby takes over, 0 bookings lost, plan versions go on;
- a Redis restart: workers and engine reconnect and commands resume;
- back-pressure: an engine that is behind gets 503 + Retry-After at once;
- metrics exposed and counting; several areas served by one deployment.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from dispatch.cluster.wire import encode
from dispatch.roads.network import OsmSource, load_road_network
from tests.cluster.conftest import RedisServer
from tests.cluster.shape import Process, Shape, make_shape, wait_ready
from tests.databases import PG_ENV
from tests.service.conftest import AGENT_TOKEN

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set"),
]

ZONE = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def osm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled map, once, so that every process of every test loads it from the cache."""
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    cache = tmp_path_factory.mktemp("osm-cache")
    load_road_network(OsmSource(path=Path(osm)), cache_dir=cache)
    return cache


@pytest.fixture
def shape(tmp_path: Path, redis_server: RedisServer, osm_cache: Path) -> Iterator[Shape]:
    osm = os.environ["DISPATCH_TEST_OSM"]
    made = make_shape(tmp_path, os.environ[PG_ENV], redis_server.url, [(osm, "north", 3)])
    made.env["DISPATCH_OSM_CACHE"] = str(osm_cache)
    yield made
    made.stop_all()
    made.drop()


def _tomorrow(hour: int) -> str:
    day = datetime.now(ZONE).date() + timedelta(days=1)
    return f"{day.isoformat()}T{hour:02d}:00:00"


def _book(url: str, hour: int, k: int) -> httpx.Response:
    return _book_at(url, _tomorrow(hour), k)


def _driver(stack: ExitStack, url: str, vehicle: str) -> ClientConnection:
    address = url.replace("http://", "ws://") + f"/v1/vehicles/{vehicle}/stream"
    ws = stack.enter_context(connect(address, open_timeout=10))
    ws.send(json.dumps({"type": "hello", "token": f"device-token-{vehicle}"}))
    return ws


def _messages(ws: ClientConnection, until: float) -> Iterator[dict[str, Any]]:
    while time.monotonic() < until:
        try:
            yield json.loads(ws.recv(timeout=max(0.1, until - time.monotonic())))
        except TimeoutError:
            return


def _soon() -> str:
    """In 20 minutes, local time (a ride in today's plans)."""
    at = datetime.now(ZONE) + timedelta(minutes=20)
    if (at + timedelta(hours=1)).date() != datetime.now(ZONE).date():  # shifts end 23:59
        pytest.skip("too close to midnight for a ride in today's plans")
    return at.strftime("%Y-%m-%dT%H:%M:00")


def _trip(url: str, when: str, k: int) -> dict[str, Any]:
    """The ``k``-th test trip between two of the area's stops, departing ``when``."""
    stops = httpx.get(f"{url}/v1/stops", timeout=10).json()
    return {
        "origin": {"stop_id": stops[k % len(stops)]["stop_id"]},
        "destination": {"stop_id": stops[(k * 7 + 3) % len(stops)]["stop_id"]},
        "depart_after": when,
    }


def _book_at(url: str, when: str, k: int, key: str | None = None) -> httpx.Response:
    quote = httpx.post(f"{url}/v1/quotes", json=_trip(url, when, k), timeout=30)
    if quote.status_code != 200 or not quote.json().get("offers"):
        return quote
    offer = quote.json()["offers"][0]["offer_id"]
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    booking = {"offer_id": offer, "rider": {"name": f"Rider {k}"}}
    return httpx.post(f"{url}/v1/bookings", json=booking, headers=headers, timeout=30)


def _quote_at(url: str, when: str, k: int) -> dict[str, Any]:
    """The first offer of a quote (its id and pickup window, as the API sends them)."""
    quote = httpx.post(f"{url}/v1/quotes", json=_trip(url, when, k), timeout=30)
    assert quote.status_code == 200 and quote.json()["offers"], quote.text
    offer: dict[str, Any] = quote.json()["offers"][0]
    return offer


def _status(url: str, booking_id: str) -> str | None:
    headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    got = httpx.get(f"{url}/v1/bookings/{booking_id}", headers=headers, timeout=10)
    return str(got.json()["status"]) if got.status_code == 200 else None


def _start(shape: Shape) -> tuple[Process, Process, Process, Process]:
    leader = shape.engine("engine-a")
    _wait_log(leader, "serves")
    standby = shape.engine("engine-b")
    _wait_log(standby, "standby for")
    return leader, standby, shape.api("api-1"), shape.api("api-2")


def _wait_log(p: Process, text: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in p.text():
        assert p.process.poll() is None, f"{p.name} died: {p.text()[-3000:]}"
        assert time.monotonic() < deadline, f"{p.name}: no {text!r} in {p.text()[-3000:]}"
        time.sleep(0.1)


class Drivers:
    """Every bus's driver, connected to one worker; the plans they receive, in order."""

    def __init__(self, url: str, buses: int) -> None:
        self.stack = ExitStack()
        self.sockets = [_driver(self.stack, url, f"bus-{k + 1}") for k in range(buses)]
        self.plans: list[dict[str, Any]] = []
        for ws in self.sockets:
            assert json.loads(ws.recv(timeout=10))["type"] == "welcome"

    def read(self, seconds: float) -> list[dict[str, Any]]:
        """Every plan message that arrives within ``seconds``, reading all sockets in turn."""
        until, got = time.monotonic() + seconds, []
        while time.monotonic() < until:
            for ws in self.sockets:
                try:
                    message = json.loads(ws.recv(timeout=0.05))
                except TimeoutError:
                    continue
                if message["type"] == "plan":
                    got.append(message)
        self.plans += got
        return got

    def holding(self, booking_id: str) -> bool:
        return any(s.get("booking_id") == booking_id for m in self.plans for s in m["stops"])

    def close(self) -> None:
        self.stack.close()


def test_booking_via_one_worker_reaches_a_driver_on_another_and_failover_loses_nothing(
    shape: Shape,
) -> None:
    leader, standby, api_1, api_2 = _start(shape)
    drivers = Drivers(api_2.url, 3)  # every driver on worker 2
    drivers.read(1)
    booked: list[str] = []
    first = _book_at(api_1.url, _soon(), 1)  # booked through worker 1
    assert first.status_code == 201, first.text
    booked.append(first.json()["booking_id"])
    drivers.read(4)
    assert drivers.holding(booked[0]), "the driver on worker 2 did not get the new plan"
    # the roads to the stops, drawn by the worker that holds the socket (not by the engine)
    assert all(s["route_to"] for m in drivers.plans for s in m["stops"] if s["booking_id"])
    booked += [
        b.json()["booking_id"]
        for b in (_book_at(api_1.url, _tomorrow(8 + k % 10), k) for k in range(6))
        if b.status_code == 201
    ]
    assert len(booked) >= 5
    held = _quote_at(api_1.url, _tomorrow(21), 11)  # an offer the leader makes, not booked yet

    # kill -9 the leader; bookings go on through the standby, retried with one key
    leader.kill_hard()
    killed, key, answer = time.monotonic(), uuid.uuid4().hex, None
    while time.monotonic() - killed < 30:
        answer = _book_at(api_2.url, _soon(), 5, key=key)
        if answer.status_code == 201:
            break
        assert answer.status_code == 503, answer.text
        assert int(answer.headers["Retry-After"]) >= 1
        time.sleep(0.2)
    took = time.monotonic() - killed
    print(f"failover: first booking through the standby {took:.2f} s after kill -9")
    assert answer is not None and answer.status_code == 201, answer.text if answer else None
    assert took < 5, f"failover took {took:.1f} s"
    through_standby = answer.json()["booking_id"]
    booked.append(through_standby)
    _wait_log(standby, "serves")

    # the rider books the offer the killed leader made: the standby never knew it, and
    # books the same promise again (a window inside the one offered)
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"offer_id": held["offer_id"], "rider": {"name": "Held offer"}}
    late = httpx.post(f"{api_2.url}/v1/bookings", json=body, headers=headers, timeout=30)
    assert late.status_code == 201, late.text
    pickup, offered = late.json()["pickup"], held["pickup"]
    assert offered["window_start"] <= pickup["window_start"] <= pickup["window_end"]
    assert pickup["window_end"] <= offered["window_end"], (offered, pickup)
    assert late.json()["dropoff"]["latest_arrival"] <= held["dropoff"]["latest_arrival"]
    again = httpx.post(f"{api_2.url}/v1/bookings", json=body, headers=headers, timeout=30)
    assert again.json() == late.json()  # a retry with the key gets the same answer
    booked.append(late.json()["booking_id"])

    lost = [b for b in booked if _status(api_1.url, b) != "confirmed"]
    assert lost == [], f"bookings lost: {lost}"
    drivers.read(4)  # the sockets on worker 2 stayed up through the failover
    assert drivers.holding(through_standby), "no plan with the standby's booking reached the driver"
    drivers.close()
    by_shift: dict[str, list[int]] = {}
    for m in drivers.plans:
        by_shift.setdefault(m["shift_id"], []).append(m["version"])
    for shift, versions in by_shift.items():  # never a version twice, never backwards
        assert versions == sorted(set(versions)), (shift, versions)


def test_a_frozen_leader_is_replaced_and_stops_without_writing_when_it_wakes(
    shape: Shape,
) -> None:
    """``kill -STOP`` keeps the leader's database sessions (and so its lock) alive: the
    standby replaces it once its lease runs out; woken with ``kill -CONT``, it stops."""
    shape.env["DISPATCH_LEADER_LEASE_S"] = "2"
    leader = shape.engine("engine-a")
    _wait_log(leader, "serves")
    standby = shape.engine("engine-b")
    _wait_log(standby, "standby for")
    api = shape.api("api-1")
    first = _book(api.url, 9, 1)
    assert first.status_code == 201, first.text
    leader.process.send_signal(signal.SIGSTOP)
    frozen, key, answer = time.monotonic(), uuid.uuid4().hex, None
    try:
        while time.monotonic() - frozen < 30:
            answer = _book_at(api.url, _tomorrow(10), 2, key=key)
            if answer.status_code == 201:
                break
            assert answer.status_code == 503, answer.text
            time.sleep(0.2)
        took = time.monotonic() - frozen
        print(f"frozen leader: first booking through the standby {took:.2f} s after SIGSTOP")
        assert answer is not None and answer.status_code == 201, answer.text if answer else None
        assert "has not renewed its lease" in standby.text()
    finally:
        leader.process.send_signal(signal.SIGCONT)
    assert leader.process.wait(timeout=20) == 3  # LOST_LEADERSHIP: restarted as a standby
    for booking in (first.json()["booking_id"], answer.json()["booking_id"]):
        assert _status(api.url, booking) == "confirmed"
    assert _book(api.url, 11, 3).status_code == 201  # the new leader goes on


def test_redis_restart_workers_reconnect_and_commands_resume(
    shape: Shape, redis_server: RedisServer
) -> None:
    leader = shape.engine("engine-a")
    _wait_log(leader, "serves")
    api = shape.api("api-1")
    assert _book(api.url, 9, 1).status_code == 201
    redis_server.restart()
    deadline = time.monotonic() + 20
    while True:
        answer = _book(api.url, 10, 2)
        if answer.status_code == 201:
            break
        assert answer.status_code == 503, answer.text
        assert time.monotonic() < deadline, "commands did not resume after the Redis restart"
        time.sleep(0.3)
    wait_ready(api, 20)


def test_an_engine_that_is_behind_gets_503_with_retry_after_at_once(
    shape: Shape, redis_server: RedisServer
) -> None:
    leader = shape.engine("engine-a")
    _wait_log(leader, "serves")
    api = shape.api("api-1")
    assert _book(api.url, 9, 1).status_code == 201
    leader.process.send_signal(signal.SIGSTOP)  # the engine stops taking commands
    try:
        client = redis.Redis.from_url(redis_server.url)
        stream = f"rufbus:{shape.areas[0]}:commands"
        late = repr(time.time() - 1)  # already given up: dropped when the engine resumes
        for _ in range(200):
            client.xadd(stream, {"reply": "nobody", "deadline": late, "body": encode(None)})
        started = time.monotonic()
        stops = httpx.get(f"{api.url}/v1/stops", timeout=10).json()
        body = {
            "origin": {"stop_id": stops[0]["stop_id"]},
            "destination": {"stop_id": stops[-1]["stop_id"]},
            "depart_after": _tomorrow(9),
        }
        refused = httpx.post(f"{api.url}/v1/quotes", json=body, timeout=30)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "1"
        assert "behind" in refused.json()["detail"]
        assert time.monotonic() - started < 1.5  # at once, not after a deadline
        metrics = httpx.get(f"{api.url}/metrics", timeout=10).text
        depth = f'dispatch_engine_queue_depth{{area="{shape.areas[0]}"}} '
        line = next(x for x in metrics.splitlines() if x.startswith(depth))
        assert float(line.removeprefix(depth)) >= 200
    finally:
        leader.process.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 20
    while _book(api.url, 11, 3).status_code != 201:
        assert time.monotonic() < deadline, "the engine did not catch up"
        time.sleep(0.3)


def test_metrics_count_on_a_worker_and_accepted_stops_reach_the_others(shape: Shape) -> None:
    leader = shape.engine("engine-a")
    _wait_log(leader, "serves")
    api, other = shape.api("api-1", workers=2), shape.api("api-2")
    for k in range(3):
        assert _book(api.url, 9 + k, k).status_code == 201
    area = shape.areas[0]
    for _ in range(6):  # whichever of the two worker processes answers: the same totals
        text = httpx.get(f"{api.url}/metrics", timeout=10).text
        assert f'dispatch_booking_attempts_total{{area="{area}",result="confirmed"}} 3.0' in text
        assert f'dispatch_quote_seconds_count{{area="{area}",status="200"}} 3.0' in text
        assert f'dispatch_engine_leader{{area="{area}"}} 1.0' in text

    assert _book(other.url, 13, 7).status_code == 201
    single = httpx.get(f"{other.url}/metrics", timeout=10).text  # one worker process
    assert f'dispatch_engine_leader{{area="{area}"}} 1.0' in single
    assert f'dispatch_booking_attempts_total{{area="{area}",result="confirmed"}} 1.0' in single

    # the dispatcher view on a worker: the engine's published view and figures
    fleet = httpx.get(
        f"{other.url}/v1/ops/fleet", headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
    )
    assert fleet.status_code == 200, fleet.text
    assert len(fleet.json()["vehicles"]) == 3 and isinstance(fleet.json()["reoptimisations"], list)

    # a driver's position through a worker reaches the engine (the bus is planned from there)
    with connect(other.url.replace("http://", "ws://") + "/v1/vehicles/bus-2/stream") as ws:
        ws.send(json.dumps({"type": "hello", "token": "device-token-bus-2"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        ws.send(json.dumps({"type": "position", "id": "p-1", "lat": 50.0225, "lon": 11.531}))
        replies = [m for m in _messages(ws, time.monotonic() + 5) if m.get("type") != "plan"]
        assert replies and all(m.get("type") != "error" for m in replies), replies
        for _ in range(6):  # connected to worker 2; every process of worker 1 knows it
            seen = httpx.get(
                f"{api.url}/v1/ops/fleet", headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
            ).json()["vehicles"]
            bus_2 = next(v for v in seen if v["vehicle_id"].startswith("bus-2@"))
            assert bus_2["connected"], bus_2
    deadline = time.monotonic() + 10
    while True:
        shifts = httpx.get(
            f"{other.url}/v1/ops/fleet", headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
        ).json()["vehicles"]
        bus_2 = next(v for v in shifts if v["vehicle_id"].startswith("bus-2@"))
        if abs(bus_2["position"]["lat"] - 50.0225) < 0.01:
            break
        assert time.monotonic() < deadline, bus_2
        time.sleep(0.5)
    assert "Traceback" not in other.text()

    # a resident's stop, accepted through worker 1, is offered by worker 2 too
    proposed = httpx.post(
        f"{api.url}/v1/proposals", json={"lat": 50.0225, "lon": 11.531, "reason": "surgery"}
    )
    assert proposed.status_code == 201, proposed.text
    decided = httpx.post(
        f"{api.url}/v1/proposals/{proposed.json()['proposal_id']}/decision",
        json={"status": "accepted", "name": "Arztpraxis Waldau"},
        headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
    )
    assert decided.status_code == 200, decided.text
    deadline = time.monotonic() + 25
    while not any(
        s["name"] == "Arztpraxis Waldau" for s in httpx.get(f"{other.url}/v1/stops").json()
    ):
        assert time.monotonic() < deadline, "worker 2 never offered the accepted stop"
        time.sleep(0.5)
