"""Admin endpoints end to end: vehicles and shifts added at run time become bookable."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.service.conftest import ADMIN_TOKEN, AGENT_TOKEN, Server

pytestmark = pytest.mark.realdata

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DAY = (date.today() + timedelta(days=2)).isoformat()
DEPOT = {"lat": 50.0165, "lon": 11.4969}  # a road in Neudrossenfeld's part of the map


def _depot(server: Server) -> dict[str, float]:
    stop = httpx.get(f"{server.url}/v1/stops").json()[0]
    return {"lat": stop["lat"], "lon": stop["lon"]}


def _vehicle(server: Server, vehicle_id: str, **extra: Any) -> httpx.Response:
    depot = _depot(server)
    body = {"vehicle_id": vehicle_id, "seats": 6, "wheelchair_places": 1, "depot": depot, **extra}
    return httpx.post(f"{server.url}/v1/admin/vehicles", json=body, headers=ADMIN, timeout=30)


def test_admin_adds_a_vehicle_and_a_shift_that_takes_bookings(server: Server) -> None:
    created = _vehicle(server, "extra-1", name="Kleinbus Trebgast")
    assert created.status_code == 201, created.text
    token = created.json()["device_token"]
    assert len(token) >= 20
    listed = httpx.get(f"{server.url}/v1/admin/vehicles", headers=ADMIN).json()
    assert "extra-1" in {v["vehicle_id"] for v in listed}
    assert all("device_token" not in v for v in listed)  # shown once only
    assert _vehicle(server, "extra-1").status_code == 409
    # The new vehicle's driver app signs in with that token (and only with it).
    ws_url = server.url.replace("http://", "ws://") + "/v1/vehicles/extra-1/stream"
    with connect(ws_url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "token": token, "last_version": None}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
    with connect(ws_url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "token": "x" * 30, "last_version": None}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    vehicles_before = httpx.get(f"{server.url}/v1/health").json()["vehicles"]
    shift = {"vehicle_id": "extra-1", "start": f"{DAY}T06:00:00", "end": f"{DAY}T12:30:00"}
    added = httpx.post(f"{server.url}/v1/admin/shifts", json=shift, headers=ADMIN, timeout=60)
    assert added.status_code == 201, added.text
    assert added.json()["source"] == "admin"
    # Inside the prebooking horizon: the shift is an engine vehicle at once.
    assert httpx.get(f"{server.url}/v1/health").json()["vehicles"] == vehicles_before + 1
    again = httpx.post(f"{server.url}/v1/admin/shifts", json=shift, headers=ADMIN, timeout=60)
    assert again.status_code == 409
    shifts = httpx.get(
        f"{server.url}/v1/admin/shifts", params={"from": DAY, "days": 1}, headers=ADMIN
    ).json()
    mine = [s for s in shifts if s["vehicle_id"] == "extra-1"]
    assert [(s["source"], s["start"][11:16], s["end"][11:16]) for s in mine] == [
        ("admin", "06:00", "12:30")
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"vehicle_id": "x-1", "seats": 0, "depot": DEPOT}, 422),
        ({"vehicle_id": "x-4", "seats": 4, "depot": {"lat": 50.0744, "lon": 11.5868}}, 422),
        ({"vehicle_id": "x-2", "seats": 4, "depot": {"lat": 10.0, "lon": 10.0}}, 422),
        ({"vehicle_id": "bad id!", "seats": 4, "depot": DEPOT}, 422),
        ({"vehicle_id": "x-3", "seats": 4, "depot": DEPOT, "colour": "red"}, 422),
    ],
)
def test_bad_vehicles_are_refused(server: Server, body: dict[str, Any], status: int) -> None:
    response = httpx.post(f"{server.url}/v1/admin/vehicles", json=body, headers=ADMIN)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    listed = httpx.get(f"{server.url}/v1/admin/vehicles", headers=ADMIN).json()
    assert body["vehicle_id"] not in {v["vehicle_id"] for v in listed}


@pytest.mark.parametrize(
    ("shift", "status"),
    [
        ({"vehicle_id": "nope", "start": f"{DAY}T06:00:00", "end": f"{DAY}T08:00:00"}, 404),
        ({"vehicle_id": "extra-2", "start": f"{DAY}T08:00:00", "end": f"{DAY}T06:00:00"}, 422),
        ({"vehicle_id": "extra-2", "start": f"{DAY}T00:00:00", "end": f"{DAY}T23:00:00"}, 422),
        (
            {"vehicle_id": "extra-2", "start": "2001-01-01T06:00:00", "end": "2001-01-01T08:00:00"},
            422,
        ),
        (
            {
                "vehicle_id": "extra-2",
                "start": f"{DAY}T06:00:00",
                "end": f"{DAY}T08:00:00",
                "breaks": [],
            },
            422,
        ),
    ],
)
def test_bad_shifts_are_refused(server: Server, shift: dict[str, Any], status: int) -> None:
    if _vehicle(server, "extra-2").status_code not in (201, 409):
        pytest.fail("could not add the test vehicle")
    response = httpx.post(f"{server.url}/v1/admin/shifts", json=shift, headers=ADMIN)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_only_the_admin_manages_the_fleet(server: Server) -> None:
    body = {"vehicle_id": "x-9", "seats": 4, "depot": DEPOT}
    assert httpx.post(f"{server.url}/v1/admin/vehicles", json=body).status_code == 401
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    assert (
        httpx.post(f"{server.url}/v1/admin/vehicles", json=body, headers=agent).status_code == 403
    )
    assert httpx.get(f"{server.url}/v1/admin/shifts", headers=agent).status_code == 403
