"""At run time: no thread but the engine's touches the engine while the APIs are used.

The service is built in process with an engine whose attributes and state containers
raise (and are recorded) when any thread other than the engine thread touches them.
Then the rider, hotline, dispatcher and driver routes are exercised (quote, book, the
booking, the rider's bus, the fleet view, health, both maps, the driver's websocket
with a plan, a position and boarding/alighting), which also runs the plan publisher's
thread. Not one touch from another thread may be recorded.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

import dispatch.service.runtime as runtime_module
from dispatch.config import load_service_config
from dispatch.engine.adapters.worker import InlineSolver
from dispatch.engine.engine import Engine
from dispatch.service.runtime import Runtime, build_runtime
from dispatch.settings import Settings
from driver_api.app import install as install_driver_api
from rider_api.app import create_app
from rider_api.auth import StaffTokens
from tests.driver_api.conftest import DEPOT, SERVICE, TOKEN, ZONE

pytestmark = pytest.mark.realdata

ENGINE_THREAD = "dispatch-engine"
AGENT = "agent-secret-token-0001"
#: Touches of the engine from other threads: (thread, what).
touched_elsewhere: list[tuple[str, str]] = []
touched_by_engine_thread = [0]


class EngineTouchedError(RuntimeError):
    pass


def _check(what: str) -> None:
    thread = threading.current_thread().name
    if thread == ENGINE_THREAD:
        touched_by_engine_thread[0] += 1
        return
    touched_elsewhere.append((thread, what))
    raise EngineTouchedError(f"{what} touched from thread {thread!r}")


def _guarded(name: str) -> Callable[..., Any]:
    method = getattr(dict, name)

    def call(self: GuardedDict, *args: Any, **kwargs: Any) -> Any:
        _check(f"{self.label}.{name}")
        return method(self, *args, **kwargs)

    return call


class GuardedDict(dict):  # type: ignore[type-arg]
    """A state container that only the engine thread may use."""

    label = "state"


for _name in (
    "__getitem__",
    "__setitem__",
    "__delitem__",
    "__iter__",
    "__len__",
    "__contains__",
    "get",
    "items",
    "keys",
    "values",
    "pop",
    "setdefault",
    "update",
    "copy",
):
    setattr(GuardedDict, _name, _guarded(_name))


def _container(label: str) -> GuardedDict:
    d = GuardedDict()
    d.label = label
    return d


class ThreadBoundEngine(Engine):
    """The real engine; any attribute read from another thread raises (and is recorded)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # constructing it is no touch from another thread
        self.vehicles = _container("engine.vehicles")
        self.trips = _container("engine.trips")
        self.offers = _container("engine.offers")
        self.guard_armed = True

    def __getattribute__(self, name: str) -> Any:
        armed = object.__getattribute__(self, "__dict__").get("guard_armed", False)
        if armed and not name.startswith("__"):
            _check(f"engine.{name}")
        return super().__getattribute__(name)


@pytest.fixture
def guarded_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Runtime]]:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    config_file = tmp_path / "service.toml"
    config_file.write_text(SERVICE.format(osm=osm, token=TOKEN, breaks="", zone=ZONE, **DEPOT))
    config = load_service_config(config_file)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'guard.sqlite'}", osm_cache=tmp_path / "cache"
    )
    monkeypatch.setattr(runtime_module, "Engine", ThreadBoundEngine)
    touched_elsewhere.clear()
    touched_by_engine_thread[0] = 0
    runtime = build_runtime(settings, config, solver=InlineSolver())
    app = create_app(lambda: runtime, StaffTokens(agents=[AGENT]))
    install_driver_api(app)
    with TestClient(app) as client:
        yield client, runtime


def _receive(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message["type"] == kind:
            return message


def _plan_with(ws: WebSocketTestSession, stop_id: str) -> dict[str, Any]:
    for _ in range(20):
        plan = _receive(ws, "plan")
        if any(s["stop_id"] == stop_id for s in plan["stops"]):
            return plan
    raise AssertionError(f"no plan with {stop_id}")


def _book(client: TestClient) -> dict[str, Any]:
    depart = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 300))
    body = {"origin": DEPOT, "destination": {"lat": 50.03, "lon": 11.55}, "depart_after": depart}
    quote = client.post("/v1/quotes", json=body)
    assert quote.status_code == 200 and quote.json()["offers"], quote.text
    offer = quote.json()["offers"][0]["offer_id"]
    booked = client.post("/v1/bookings", json={"offer_id": offer, "rider": {"name": "Erna E"}})
    assert booked.status_code == 201, booked.text
    answer: dict[str, Any] = booked.json()
    return answer


def _send(ws: WebSocketTestSession, message: dict[str, Any]) -> dict[str, Any]:
    ws.send_text(json.dumps(message))
    while True:
        reply: dict[str, Any] = ws.receive_json()
        if reply["type"] in ("ok", "error") and reply.get("id") == message["id"]:
            return reply


def test_only_the_engine_thread_touches_the_engine(
    guarded_service: tuple[TestClient, Runtime],
) -> None:
    client, runtime = guarded_service
    staff = {"Authorization": f"Bearer {AGENT}"}
    with client.websocket_connect("/v1/vehicles/bus-1/stream") as ws:
        ws.send_text(json.dumps({"type": "hello", "token": TOKEN}))
        assert _receive(ws, "welcome")["vehicle_id"] == "bus-1"
        booked = _book(client)
        booking_id, mine = (
            booked["booking_id"],
            {"Authorization": f"Bearer {booked['access_token']}"},
        )
        plan = _plan_with(ws, f"{booking_id}/pickup")  # built by the plan publisher's thread
        pickup = next(s for s in plan["stops"] if s["stop_id"] == f"{booking_id}/pickup")
        assert pickup["passengers"] == 1 and pickup["window_start"] and pickup["route_to"]
        assert (
            _send(ws, {"type": "position", "id": "p1", "lat": 50.0186, "lon": 11.5018})["type"]
            == "ok"
        )
        fleet = client.get("/v1/ops/fleet", headers=staff)
        assert fleet.status_code == 200, fleet.text
        shown = [s for v in fleet.json()["vehicles"] for s in v["next_stops"]]
        assert any(s["booking_id"] == booking_id for s in shown)
        assert client.get(f"/v1/bookings/{booking_id}/vehicle", headers=mine).status_code == 200
        assert client.get(f"/v1/bookings/{booking_id}", headers=mine).status_code == 200
        event = {"type": "stop_event", "id": "m1", "stop_id": pickup["stop_id"], "event": "boarded"}
        assert _send(ws, event)["type"] == "ok"
        on_board = client.get(f"/v1/bookings/{booking_id}/vehicle", headers=mine).json()
        assert on_board["vehicle"] is not None  # the rider's bus, from the published view
        alight = {**event, "id": "m2", "stop_id": f"{booking_id}/dropoff", "event": "alighted"}
        assert _send(ws, alight)["type"] == "ok"
    health = client.get("/v1/health").json()
    assert health["vehicles"] >= 1 and health["unplaced"] == 0
    assert client.get("/v1/map/roads").status_code == 200
    assert client.get("/v1/driver/map").status_code == 200
    runtime.sink.close()  # every queued plan version has been built and published
    assert touched_elsewhere == []
    assert touched_by_engine_thread[0] > 0  # the guard was armed and saw the engine work


def test_the_guard_catches_a_reader_in_another_thread(
    guarded_service: tuple[TestClient, Runtime],
) -> None:
    _, runtime = guarded_service
    with pytest.raises(EngineTouchedError):
        len(runtime.runner.engine.vehicles)
    assert touched_elsewhere == [("MainThread", "engine.vehicles")]
