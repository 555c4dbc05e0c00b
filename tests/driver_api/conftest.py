"""A real ``dispatch serve`` process with a one-bus service definition and known tokens."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.serving import launch, stop

TOKEN = "test-device-token-bus-1"
AGENT_TOKEN = "agent-secret-token-0001"
DEPOT = {"lat": 50.0185111, "lon": 11.5017849}  # Neudrossenfeld


def midday_zone() -> str:
    """A fixed-offset time zone in which it is about noon now, so that rides booked a
    few hours ahead stay inside today's shift whenever the tests run."""
    shift = 12 - datetime.now(UTC).hour  # local = UTC + shift
    if shift > 14:
        shift -= 24
    if shift < -12:
        shift += 24
    return "UTC" if shift == 0 else f"Etc/GMT{'-' if shift > 0 else '+'}{abs(shift)}"


#: Chosen once per test session.
ZONE = midday_zone()

SERVICE = """\
name = "Driver test service"
time_zone = "{zone}"
[region]
file = "{osm}"
[hours]
daily = ["00:00", "23:59"]
[reoptimisation]
debounce_s = 3600
period_s = 3600
time_limit_s = 1.0
[[fleet.vehicles]]
id = "bus-1"
seats = 8
wheelchair_places = 1
depot = {{ lat = {lat}, lon = {lon} }}
device_token = "{token}"
[[fleet.shifts]]
vehicle = "bus-1"
weekdays = "daily"
start = "00:00"
end = "23:59"
{breaks}"""


@dataclass
class Server:
    url: str
    database: Path
    process: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/v1/vehicles/bus-1/stream"

    def stop(self) -> None:
        stop(self.process)
        self.handle.close()


def start_server(tmp: Path, breaks: str = "") -> Server:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    config = tmp / "service.toml"
    config.write_text(SERVICE.format(osm=osm, token=TOKEN, breaks=breaks, zone=ZONE, **DEPOT))
    database = tmp / "dispatch.sqlite"
    env = {
        **os.environ,
        "DISPATCH_DATABASE_URL": f"sqlite:///{database}",
        "DISPATCH_OSM_CACHE": str(tmp / "cache"),
        "DISPATCH_AGENT_TOKENS": AGENT_TOKEN,
        "DISPATCH_LOG_LEVEL": "WARNING",
    }
    launched = launch(tmp, ["--config", str(config)], env)
    return Server(launched.url, database, launched.process, launched.log, launched.handle)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("driver"))
    yield running
    running.stop()


# ---- helpers shared by the tests ---------------------------------------------------------


def book(server: Server, minutes_ahead: int, name: str = "Erna", notes: str = "") -> str:
    """Book a ride from the depot's village to a point 3 km away; returns the booking id."""
    wait_quiet(server)
    depart = time.time() + minutes_ahead * 60
    body = {
        "origin": DEPOT,
        "destination": {"lat": 50.03, "lon": 11.55},
        "depart_after": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(depart)),
    }
    quote = httpx.post(f"{server.url}/v1/quotes", json=body, timeout=30)
    assert quote.status_code == 200 and quote.json()["offers"], quote.text
    offer_id = quote.json()["offers"][0]["offer_id"]
    rider: dict[str, Any] = {"offer_id": offer_id, "rider": {"name": f"{name} Example"}}
    if notes:
        rider["notes"] = notes
    booked = httpx.post(f"{server.url}/v1/bookings", json=rider, timeout=30)
    assert booked.status_code == 201, booked.text
    booking_id: str = booked.json()["booking_id"]
    wait_quiet(server)
    return booking_id


def booking_status(server: Server, booking_id: str) -> str:
    headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    response = httpx.get(f"{server.url}/v1/bookings/{booking_id}", headers=headers)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def wait_quiet(server: Server) -> None:
    """Until no re-optimisation runs (one may start after the first booking and adopt a plan)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        health = httpx.get(f"{server.url}/v1/health").json()
        if not health["solving"]:
            time.sleep(0.3)
            if not httpx.get(f"{server.url}/v1/health").json()["solving"]:
                return
        time.sleep(0.1)
    raise AssertionError("the service keeps re-optimising")


@contextlib.contextmanager
def hello(
    server: Server, last_version: int | None = None, token: str = TOKEN
) -> Iterator[ClientConnection]:
    """A connection of bus-1's device that has sent its ``hello``."""
    with connect(server.ws_url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "token": token, "last_version": last_version}))
        yield ws


def receive(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return message


def until(
    ws: ClientConnection, kind: str, timeout: float = 10.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first message of type ``kind`` and every message before it (pings left out)."""
    before = []
    deadline = time.monotonic() + timeout
    while True:
        message = receive(ws, max(0.1, deadline - time.monotonic()))
        if message["type"] == kind:
            return message, before
        if message["type"] != "ping":
            before.append(message)


def answer(
    ws: ClientConnection, message: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Send a client message and read up to its reply (ok/error with its id)."""
    ws.send(json.dumps(message))
    others = []
    while True:
        reply = receive(ws)
        if reply["type"] in ("ok", "error") and reply.get("id") == message.get("id"):
            return reply, others
        if reply["type"] != "ping":
            others.append(reply)
