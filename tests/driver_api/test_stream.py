"""The driver stream end to end: a real server process, real websocket and HTTP clients."""

from __future__ import annotations

import sqlite3
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.driver_api.conftest import (
    TOKEN,
    Server,
    answer,
    book,
    booking_status,
    hello,
    receive,
    until,
)

pytestmark = pytest.mark.realdata


def _plan_with(ws: object, stop_id: str) -> dict[str, object]:
    while True:
        plan, _ = until(ws, "plan")  # type: ignore[arg-type]
        if any(s["stop_id"] == stop_id for s in plan["stops"]):  # type: ignore[union-attr]
            return plan


def test_wrong_token_is_refused_with_1008(server: Server) -> None:
    with (
        hello(server, token="not-the-token-of-bus-1") as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_booked_ride_reaches_the_vehicle_and_boarding_then_alighting_complete_it(
    server: Server,
) -> None:
    with hello(server) as ws:
        welcome = receive(ws)
        assert welcome["type"] == "welcome" and welcome["vehicle_id"] == "bus-1"
        assert welcome["shift_id"].startswith("bus-1@")
        booking_id = book(server, minutes_ahead=5, name="Erna", notes="walks with a rollator")
        plan = _plan_with(ws, f"{booking_id}/pickup")
        pickup = next(s for s in plan["stops"] if s["stop_id"] == f"{booking_id}/pickup")
        assert pickup["kind"] == "pickup" and pickup["passengers"] == 1
        assert pickup["rider"] == {"first_name": "Erna", "notes": "walks with a rollator"}
        assert pickup["window_start"] < pickup["window_end"] and pickup["route_to"]
        assert pickup["name"]
        assert plan["stops"][-1]["kind"] == "depot"

        board = {
            "type": "stop_event",
            "id": "m-board",
            "stop_id": pickup["stop_id"],
            "event": "boarded",
        }
        reply, _ = answer(ws, board)
        assert reply["type"] == "ok" and not reply["duplicate"], reply
        assert booking_status(server, booking_id) == "on_board"

        alight = {
            **board,
            "id": "m-alight",
            "stop_id": f"{booking_id}/dropoff",
            "event": "alighted",
        }
        reply, _ = answer(ws, alight)
        assert reply["type"] == "ok", reply
        assert booking_status(server, booking_id) == "completed"


def test_a_resent_stop_event_takes_effect_once(server: Server) -> None:
    with hello(server) as ws:
        booking_id = book(server, minutes_ahead=5)
        event = {
            "type": "stop_event",
            "id": "dup-1",
            "stop_id": f"{booking_id}/pickup",
            "event": "boarded",
        }
        first, _ = answer(ws, event)
        assert first["type"] == "ok" and not first["duplicate"]
    # a reconnect, and the same message again (as a client does with its unanswered outbox)
    with hello(server) as ws:
        again, _ = answer(ws, event)
    assert again["type"] == "ok" and again["duplicate"], again
    assert booking_status(server, booking_id) == "on_board"
    with sqlite3.connect(server.database) as db:
        rows = db.execute(
            "select count(*) from stop_events where booking_id = ? and event = 'boarded'",
            (booking_id,),
        ).fetchone()
    assert rows == (1,)


def test_reconnect_with_last_version_gets_exactly_the_current_plan_once(server: Server) -> None:
    with hello(server) as ws:
        book(server, minutes_ahead=20)
        held = receive_latest_plan(ws)
    book(server, minutes_ahead=25)  # the plan changes while the client is away
    current = httpx.get(f"{server.url}/v1/vehicles/bus-1/shift", headers=_auth()).json()
    assert current["plan_version"] > held["version"]
    with hello(server, last_version=held["version"]) as ws:
        welcome = receive(ws)
        assert welcome["version"] == current["plan_version"]
        plan = receive(ws)
        assert plan["type"] == "plan" and plan["version"] == current["plan_version"]
        _, others = answer(ws, {"type": "ack", "id": "probe-1", "version": plan["version"]})
        assert [m for m in others if m["type"] == "plan"] == []
    with hello(server, last_version=current["plan_version"]) as ws:
        assert receive(ws)["type"] == "welcome"
        _, others = answer(ws, {"type": "ack", "id": "probe-2", "version": plan["version"]})
        assert [m for m in others if m["type"] == "plan"] == []


def receive_latest_plan(ws: object) -> dict[str, object]:
    """Read plans until none follows within a moment; the last one is what the client holds."""
    plan, _ = until(ws, "plan")  # type: ignore[arg-type]
    while True:
        try:
            nxt = receive(ws, timeout=1.0)  # type: ignore[arg-type]
        except TimeoutError:
            return plan
        if nxt["type"] == "plan":
            plan = nxt


def test_no_show_before_the_pickup_window_is_refused(server: Server) -> None:
    with hello(server) as ws:
        booking_id = book(server, minutes_ahead=40)
        event = {
            "type": "stop_event",
            "id": "ns-1",
            "stop_id": f"{booking_id}/pickup",
            "event": "no_show",
        }
        reply, _ = answer(ws, event)
    assert reply["type"] == "error" and reply["code"] == "refused", reply
    assert "no-show only after the pickup window started" in reply["detail"]
    assert booking_status(server, booking_id) == "confirmed"


def test_invalid_messages_get_an_error_and_the_connection_stays_usable(server: Server) -> None:
    with hello(server) as ws:
        receive(ws)
        ws.send("this is not json")
        assert until(ws, "error")[0]["code"] == "invalid_message"
        bad = {"type": "position", "id": "p-bad", "lat": 123.0, "lon": 11.5}
        reply, _ = answer(ws, bad)
        assert reply["type"] == "error" and "lat" in reply["detail"]
        unknown = {"type": "teleport", "id": "t-1"}
        reply, _ = answer(ws, unknown)
        assert reply["type"] == "error" and reply["id"] == "t-1"
        reply, _ = answer(ws, {"type": "position", "id": "p-ok", "lat": 50.02, "lon": 11.5})
        assert reply == {"type": "ok", "id": "p-ok", "duplicate": False, "detail": ""}


def test_unknown_stop_is_refused(server: Server) -> None:
    with hello(server) as ws:
        event = {
            "type": "stop_event",
            "id": "u-1",
            "stop_id": "b_nothing/pickup",
            "event": "arrived",
        }
        reply, _ = answer(ws, event)
    assert reply["type"] == "error" and reply["code"] == "unknown_stop"


def test_positions_reach_the_database(server: Server) -> None:
    with hello(server) as ws:
        at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        answer(ws, {"type": "position", "id": "pos-db", "lat": 50.021, "lon": 11.51, "at": at})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sqlite3.connect(server.database) as db:
            row = db.execute(
                "select last_lat, last_lon from vehicles where id = 'bus-1'"
            ).fetchone()
        if row == (50.021, 11.51):
            return
        time.sleep(0.2)
    raise AssertionError(f"position not stored: {row}")


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_shift_and_break_rest(server: Server) -> None:
    url = f"{server.url}/v1/vehicles/bus-1"
    assert httpx.post(f"{url}/shift/start").status_code == 401
    assert httpx.post(f"{url}/break/start", headers=_auth()).status_code in (200, 409)
    started = httpx.post(f"{url}/shift/start", headers=_auth())
    assert started.status_code == 200 and started.json()["status"] == "active", started.text
    on_break = httpx.post(f"{url}/break/start", headers=_auth())
    if on_break.status_code == 409:  # riders of an earlier test are on board
        assert "on board" in on_break.json()["detail"]
    else:
        assert on_break.json()["on_break_since"] is not None
        ended = httpx.post(f"{url}/break/end", headers=_auth()).json()
        assert ended["on_break_since"] is None and len(ended["breaks"]) == 1
    book(server, minutes_ahead=50)
    refused = httpx.post(f"{url}/shift/end", headers=_auth())
    assert refused.status_code == 409 and "still to be served" in refused.json()["detail"]
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_driver_page_and_offline_map_are_served(server: Server) -> None:
    page = httpx.get(f"{server.url}/driver")
    assert page.status_code == 200 and "driver.js" in page.text
    script = httpx.get(f"{server.url}/driver/static/driver.js")
    assert script.status_code == 200 and "WebSocket" in script.text
    roads = httpx.get(f"{server.url}/v1/driver/map").json()
    assert len(roads["roads"]) > 100 and roads["places"]
    south, west, north, east = roads["bounds"]
    assert south < 50.02 < north and west < 11.5 < east


def test_hello_must_come_first(server: Server) -> None:
    with hello(server) as ws:
        receive(ws)
        reply, _ = answer(ws, {"type": "hello", "id": "h2", "token": TOKEN})
    assert reply["type"] == "error" and "already" in reply["detail"]
