"""Every bad input the service was known to answer with 500 now gets a 4xx, on SQLite and
on PostgreSQL: dates in year 1 or 9999, NUL and other control characters (PostgreSQL
cannot store NUL), oversized bodies, a too-short Idempotency-Key, a driver's position
dated year 1 (and the dispatcher view stays up afterwards)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.service.conftest import ADMIN_TOKEN, AGENT_TOKEN, Server, stop_server
from tests.service.launch import database, osm_source, service_toml, start_service

pytestmark = [pytest.mark.realdata]

AGENT = {"Authorization": f"Bearer {AGENT_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TOMORROW = (date.today() + timedelta(days=1)).isoformat()
TRIP = {
    "origin": {"lat": 50.0185111, "lon": 11.5017849},
    "destination": {"lat": 50.03, "lon": 11.55},
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"bad-{request.param}")
    config = tmp / "service.toml"
    config.write_text(service_toml(osm_source(), buses=1, period_s=3600))
    with database(request.param, tmp) as (url, _):
        running = start_service(tmp, url, config, tmp / "cache")
        yield running
        stop_server(running)


def offer(server: Server) -> str:
    body = {**TRIP, "depart_after": f"{TOMORROW}T09:00"}
    return str(httpx.post(f"{server.url}/v1/quotes", json=body).json()["offers"][0]["offer_id"])


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+01:00"]
)
@pytest.mark.parametrize("field", ["depart_after", "arrive_by"])
def test_quote_dates_far_away(server: Server, field: str, when: str) -> None:
    assert_problem(httpx.post(f"{server.url}/v1/quotes", json={**TRIP, field: when}), 422)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1990-01-01"])
def test_dispatcher_view_of_a_day_far_away(server: Server, day: str) -> None:
    assert_problem(httpx.get(f"{server.url}/v1/ops/fleet", params={"day": day}, headers=AGENT), 422)
    shifts = httpx.get(f"{server.url}/v1/admin/shifts", params={"from": day}, headers=ADMIN)
    assert_problem(shifts, 422)


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01T06:00", "0001-01-01T10:00"), ("9999-12-31T06:00", "9999-12-31T10:00")],
)
def test_admin_shift_dates_far_away(server: Server, start: str, end: str) -> None:
    body = {"vehicle_id": "bus-1", "start": start, "end": end}
    assert_problem(httpx.post(f"{server.url}/v1/admin/shifts", json=body, headers=ADMIN), 422)


@pytest.mark.parametrize("text", ["Er\x00na", "Erna\x07", "Er\u0085na"])
def test_control_characters_in_a_booking(server: Server, text: str) -> None:
    for body in (
        {"offer_id": offer(server), "rider": {"name": text}},
        {"offer_id": offer(server), "rider": {"name": "Erna"}, "notes": text},
    ):
        assert_problem(httpx.post(f"{server.url}/v1/bookings", json=body), 422)


def test_line_breaks_in_notes_are_fine(server: Server) -> None:
    body = {
        "offer_id": offer(server),
        "rider": {"name": "Erna"},
        "notes": "ring twice\nfirst floor",
    }
    assert httpx.post(f"{server.url}/v1/bookings", json=body).status_code == 201


@pytest.mark.parametrize(
    "path",
    [
        "/v1/bookings/b%00x",
        "/v1/bookings/b%00x/cancel",
        "/v1/bookings/b%01x/vehicle",
        "/v1/places?q=Neu%00drossenfeld",
        "/v1/riders?phone=0921%00555",
        "/v1/riders/r%00/bookings",
        "/v1/vehicles/bus%00/shift",
    ],
)
def test_control_characters_in_the_address(server: Server, path: str) -> None:
    method = "POST" if path.endswith("/cancel") else "GET"
    assert_problem(httpx.request(method, f"{server.url}{path}", headers=AGENT), 422)


def test_control_characters_when_registering_a_rider(server: Server) -> None:
    body = {"name": "Hans\x00", "phone": "0921 555 9999"}
    assert_problem(httpx.post(f"{server.url}/v1/riders", json=body, headers=AGENT), 422)


def test_bodies_larger_than_64_kb(server: Server) -> None:
    big = {**TRIP, "padding": "x" * 70_000}
    assert_problem(httpx.post(f"{server.url}/v1/quotes", json=big), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it is read
        yield b'{"origin": {"lat": 50.0185111, "lon": 11.5017849}, "x": "'
        for _ in range(80):
            yield b"y" * 1024
        yield b'"}'

    streamed = httpx.post(f"{server.url}/v1/quotes", content=chunks(),
                          headers={"content-type": "application/json"})  # fmt: skip
    assert_problem(streamed, 413)


@pytest.mark.parametrize("key", ["k", "1234567", "with space 123", "x" * 201])
def test_bad_idempotency_keys(server: Server, key: str) -> None:
    body = {"offer_id": offer(server), "rider": {"name": "Erna"}}
    assert_problem(
        httpx.post(f"{server.url}/v1/bookings", json=body, headers={"Idempotency-Key": key}), 422
    )


def test_a_driver_position_dated_year_1_is_refused_and_the_fleet_view_stays_up(
    server: Server,
) -> None:
    url = server.url.replace("http://", "ws://") + "/v1/vehicles/bus-1/stream"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "token": "device-token-bus-1"}))
        assert json.loads(ws.recv(timeout=15))["type"] == "welcome"
        for at in ("0001-01-01T00:00:00", "9999-12-31T00:00:00+00:00"):
            ws.send(
                json.dumps(
                    {"type": "position", "id": f"p-{at[:4]}", "lat": 50.02, "lon": 11.5, "at": at}
                )
            )
            reply = next_reply(ws, f"p-{at[:4]}")
            assert reply["type"] == "error" and reply["code"] == "invalid_message", reply
        stop = {
            "type": "stop_event",
            "id": "s-1",
            "stop_id": "depot",
            "event": "arrived",
            "at": "0001-01-01T00:00:00",
        }
        ws.send(json.dumps(stop))
        assert next_reply(ws, "s-1")["type"] == "error"
    assert httpx.get(f"{server.url}/v1/ops/fleet", headers=AGENT).status_code == 200


def next_reply(ws: Any, message_id: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=15))
        if message.get("id") == message_id:
            return message


@pytest.mark.parametrize(
    ("passengers", "wheelchairs", "says"),
    [(9, 0, "9 seats needed"), (2, 2, "2 wheelchair places needed")],
)
def test_a_group_larger_than_every_bus_is_told_so(
    server: Server, passengers: int, wheelchairs: int, says: str
) -> None:
    """Not "no bus at the requested time" with other times to try (as if another time
    could work): no offer, no alternatives, and a reason naming what the largest bus has.
    (A 200, not a 422: the request is unmet demand that planners should see.)"""
    body = {
        **TRIP,
        "depart_after": f"{TOMORROW}T09:00",
        "passengers": passengers,
        "wheelchairs": wheelchairs,
    }
    response = httpx.post(f"{server.url}/v1/quotes", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["offers"] == [] and not answer.get("alternatives")
    assert says in answer["reason"] and "hotline" in answer["reason"]
    fits = {**body, "passengers": 8, "wheelchairs": 1}
    assert httpx.post(f"{server.url}/v1/quotes", json=fits).json()["offers"]
