"""Every route of the running service answers what its OpenAPI document says.

One real ``dispatch serve`` (rider, hotline, dispatcher, admin and driver API on a real
SQLite file), and then the production shape (``dispatch engine`` and ``dispatch api``
on PostgreSQL and Redis), is driven through a day's work with real data: quotes, bookings (and their
idempotent retry), a registered rider with a standing order, vehicles and shifts added
by the admin, the dispatcher's views, stop proposals, open data, a driver's shift with
a break. Each answer's body is validated by ``jsonschema`` against the schema the
service's own ``/openapi.json`` gives for that route and status (errors included), and
every operation of the document must have been answered with a 2xx at least once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from jsonschema import ValidationError

from tests.contract.openapi import NOT_JSON, operations, response_schema, validator
from tests.production import SHAPES, production_service
from tests.service.conftest import ADMIN_TOKEN, AGENT_TOKEN, Server, stop_server
from tests.service.launch import osm_source, service_toml, start_service

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

DEVICE_TOKEN = "device-token-bus-1"  # service_toml's token of bus-1


class Contract:
    """An HTTP client that checks each answer against the service's OpenAPI document."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        self.document: dict[str, Any] = self.http.get("/openapi.json").json()
        self.answered: set[tuple[str, str, int]] = set()

    def call(
        self,
        method: str,
        route: str,
        expect: int,
        token: str | None = None,
        path: dict[str, str] | None = None,
        **request: Any,
    ) -> httpx.Response:
        headers = dict(request.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        url = route.format(**(path or {}))
        response = self.http.request(method, url, headers=headers, **request)
        assert response.status_code == expect, f"{method} {url}: {response.text[:2000]}"
        self._validate(method, route, response)
        self.answered.add((method, route, response.status_code))
        return response

    def json(self, method: str, route: str, expect: int = 200, **request: Any) -> Any:
        return self.call(method, route, expect, **request).json()

    def _validate(self, method: str, route: str, response: httpx.Response) -> None:
        content_type = response.headers.get("content-type", "")
        schema = response_schema(self.document, method, route, response.status_code, content_type)
        if schema is None:
            assert not response.content, f"{method} {route}: a body the document does not list"
            return
        if content_type.startswith(NOT_JSON):
            return  # a file (zip): its type is documented, its content is not JSON
        try:
            validator(self.document, schema).validate(response.json())
        except ValidationError as exc:
            raise AssertionError(
                f"{method} {route} {response.status_code} does not match its schema: "
                f"{exc.message} at {'/'.join(map(str, exc.absolute_path))}"
            ) from None

    def unanswered(self) -> list[str]:
        """Operations of the document that never answered with a 2xx."""
        ok = {(m, r) for m, r, status in self.answered if 200 <= status < 300}
        return [f"{m} {p}" for m, p, _ in operations(self.document) if (m, p) not in ok]


@pytest.fixture(scope="module", params=SHAPES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """``dispatch serve`` on SQLite, and the production shape (engine and API workers
    apart, PostgreSQL and Redis): the same day's work, the same document, both shapes."""
    tmp = tmp_path_factory.mktemp(f"contract-{request.param}")
    config = tmp / "service.toml"
    config.write_text(service_toml(osm_source(), buses=2, period_s=3600))
    if request.param == "production":
        with production_service(tmp, config) as api:
            yield api
        return
    running = start_service(tmp, f"sqlite:///{tmp / 'contract.sqlite'}", config, tmp / "cache")
    yield running
    stop_server(running)


@pytest.fixture
def api(server: Server) -> Iterator[Contract]:
    contract = Contract(server.url)
    yield contract
    contract.http.close()


def test_every_route_answers_what_its_schema_describes(api: Contract) -> None:
    clock = api.json("GET", "/v1/clock")
    today = datetime.fromisoformat(clock["now"]).astimezone(ZoneInfo(clock["time_zone"])).date()
    tomorrow = today + timedelta(days=1)
    api.json("GET", "/v1/health")
    api.json("GET", "/healthz")
    assert api.json("GET", "/v1/areas")
    assert api.json("GET", "/readyz")["status"] == "ready"
    assert b"dispatch_" in api.call("GET", "/metrics", 200).content
    stops = api.json("GET", "/v1/stops")
    stop = next(s for s in stops if s["name"].startswith("Neudrossenfeld"))
    assert api.json("GET", "/v1/places", params={"q": "Neudrossenfeld"})
    booking, offer_id = _rider_books(api, stop, tomorrow)
    rider_id = _agent_books_for_a_caller(api, stop, tomorrow)
    _admin_adds_a_bus(api, stop, tomorrow)
    _dispatcher_looks(api, today, tomorrow)
    _residents_propose_a_stop(api, stop)
    _open_data(api, today)
    _driver_works_a_shift(api)
    # A second booking of the same offer conflicts: a problem answer, validated too.
    api.call("POST", "/v1/bookings", 409, json={"offer_id": offer_id, "rider": {"name": "Olga"}})
    cancelled = api.json(
        "POST",
        "/v1/bookings/{booking_id}/cancel",
        token=booking["access_token"],
        path={"booking_id": booking["booking_id"]},
    )
    assert cancelled["status"] == "cancelled"
    api.call("GET", "/v1/riders/{rider_id}/bookings", 401, path={"rider_id": rider_id})
    assert api.unanswered() == []


def _quote(stop: dict[str, Any], day: date, hour: int, **extra: Any) -> dict[str, Any]:
    return {
        "origin": {"stop_id": stop["stop_id"]},
        "destination": {"lat": 50.03, "lon": 11.55},
        "depart_after": f"{day.isoformat()}T{hour:02d}:00:00",
        **extra,
    }


def _rider_books(api: Contract, stop: dict[str, Any], day: date) -> tuple[dict[str, Any], str]:
    # No bus has two wheelchair places: no offer, a reason (and the request is kept as
    # unmet demand, which the planning view below shows).
    none = api.json("POST", "/v1/quotes", json=_quote(stop, day, 8, passengers=2, wheelchairs=2))
    assert none["offers"] == [] and none["reason"]
    quote = api.json("POST", "/v1/quotes", json=_quote(stop, day, 8))
    offer_id = quote["offers"][0]["offer_id"]
    body = {"offer_id": offer_id, "rider": {"name": "Erna Example"}, "notes": "ring twice"}
    key = {"Idempotency-Key": "contract-booking-0001"}
    booked = api.json("POST", "/v1/bookings", 201, json=body, headers=key)
    # The retry gets the stored answer, validated like the first one.
    assert api.json("POST", "/v1/bookings", 201, json=body, headers=key) == booked
    booking_id = {"booking_id": booked["booking_id"]}
    token = booked["access_token"]
    shown = api.json("GET", "/v1/bookings/{booking_id}", token=token, path=booking_id)
    assert shown["status"] == "confirmed"
    api.call("GET", "/v1/bookings/{booking_id}", 401, path=booking_id)
    api.json("GET", "/v1/bookings/{booking_id}/vehicle", token=token, path=booking_id)
    return booked, offer_id


def _agent_books_for_a_caller(api: Contract, stop: dict[str, Any], day: date) -> str:
    caller = {"name": "Hans Beispiel", "phone": "+49 921 555 0101", "needs": {"walker": True}}
    rider = api.json("POST", "/v1/riders", 201, token=AGENT_TOKEN, json=caller)
    rider_id = rider["rider_id"]
    api.json("GET", "/v1/riders", token=AGENT_TOKEN, params={"phone": caller["phone"]})
    quote = api.json(
        "POST", "/v1/quotes", token=AGENT_TOKEN, json=_quote(stop, day, 9, rider_id=rider_id)
    )
    body = {"offer_id": quote["offers"][0]["offer_id"], "rider": {"name": "Hans"}}
    api.json("POST", "/v1/bookings", 201, token=AGENT_TOKEN, json={**body, "rider_id": rider_id})
    path = {"rider_id": rider_id}
    assert api.json("GET", "/v1/riders/{rider_id}/bookings", token=AGENT_TOKEN, path=path)
    order = {
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "time": "10:00",
        "origin": {"stop_id": stop["stop_id"]},
        "destination": {"lat": 50.03, "lon": 11.55},
        "start_date": day.isoformat(),
        "end_date": (day + timedelta(days=6)).isoformat(),
    }
    orders = "/v1/riders/{rider_id}/standing-orders"
    made = api.json("POST", orders, 201, token=AGENT_TOKEN, path=path, json=order)
    assert made["dates"]
    api.json("GET", orders, token=AGENT_TOKEN, path=path)
    one = {**path, "order_id": made["standing_order_id"]}
    api.json("GET", orders + "/{order_id}", token=AGENT_TOKEN, path=one)
    api.json("DELETE", orders + "/{order_id}", token=AGENT_TOKEN, path=one)
    return str(rider_id)


def _admin_adds_a_bus(api: Contract, stop: dict[str, Any], day: date) -> None:
    depot = {"lat": stop["lat"], "lon": stop["lon"]}
    vehicle = {"vehicle_id": "extra-1", "seats": 6, "depot": depot}
    api.json("POST", "/v1/admin/vehicles", 201, token=ADMIN_TOKEN, json=vehicle)
    api.json("GET", "/v1/admin/vehicles", token=ADMIN_TOKEN)
    rotate = "/v1/admin/vehicles/{vehicle_id}/device-token"
    api.json("POST", rotate, 201, token=ADMIN_TOKEN, path={"vehicle_id": "extra-1"})
    shift = {"vehicle_id": "extra-1", "start": f"{day}T06:00:00", "end": f"{day}T12:00:00"}
    api.json("POST", "/v1/admin/shifts", 201, token=ADMIN_TOKEN, json=shift)
    assert api.json("GET", "/v1/admin/shifts", token=ADMIN_TOKEN)
    api.call("GET", "/v1/admin/shifts", 403, token=AGENT_TOKEN)


def _dispatcher_looks(api: Contract, today: date, tomorrow: date) -> None:
    api.json("GET", "/v1/ops/fleet", token=AGENT_TOKEN)
    # An API worker of the production shape shows the view its engine sent last (about
    # every second, see the README): the bookings just made show within seconds.
    deadline = time.monotonic() + 10
    while True:
        day = {"day": str(tomorrow)}
        fleet = api.json("GET", "/v1/ops/fleet", token=AGENT_TOKEN, params=day)
        planned = any(v["next_stops"] for v in fleet["vehicles"])
        if (planned and len(fleet["bookings"]) >= 2) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert planned, "the booked rides are planned"
    assert len(fleet["bookings"]) >= 2
    api.json("GET", "/v1/ops/fairness", token=AGENT_TOKEN, params={"day": str(tomorrow)})
    roads = api.call("GET", "/v1/map/roads", 200)
    assert roads.json()["roads"]
    etag = {"If-None-Match": roads.headers["ETag"]}
    api.call("GET", "/v1/map/roads", 304, headers=etag)
    month = tomorrow.strftime("%Y-%m")
    unmet = api.json("GET", "/v1/planning/unmet", token=AGENT_TOKEN, params={"month": month})
    assert any(cell["rejected"] for cell in unmet["cells"])


def _residents_propose_a_stop(api: Contract, stop: dict[str, Any]) -> None:
    body = {"lat": stop["lat"] + 0.002, "lon": stop["lon"], "reason": "doctor's surgery"}
    proposed = api.json("POST", "/v1/proposals", 201, json=body)
    path = {"proposal_id": str(proposed["proposal_id"])}
    assert api.json("GET", "/v1/proposals")
    api.json("POST", "/v1/proposals/{proposal_id}/support", path=path)
    decision = {"status": "accepted", "name": "Arztpraxis"}
    decided = api.json(
        "POST", "/v1/proposals/{proposal_id}/decision", token=AGENT_TOKEN, path=path, json=decision
    )
    assert decided["stop_id"]


def _open_data(api: Contract, today: date) -> None:
    figures = api.json("GET", "/v1/open/{month}", path={"month": "current"})
    month = figures["month"]
    api.call("GET", "/v1/open/{month}/datapackage.zip", 200, path={"month": month})
    api.call("GET", "/v1/gtfs-flex.zip", 200)
    api.call("GET", "/v1/open/{month}", 422, path={"month": "2026-13"})


def _driver_works_a_shift(api: Contract) -> None:
    assert api.json("GET", "/v1/driver/map")["roads"]
    bus = {"vehicle_id": "bus-1"}
    shift = "/v1/vehicles/{vehicle_id}"
    api.call("GET", shift + "/shift", 401, path=bus, token="not-the-device-token")
    assert api.json("GET", shift + "/shift", token=DEVICE_TOKEN, path=bus)["status"] == "planned"
    started = api.json("POST", shift + "/shift/start", token=DEVICE_TOKEN, path=bus)
    assert started["status"] == "active"
    api.json("POST", shift + "/break/start", token=DEVICE_TOKEN, path=bus)
    api.json("POST", shift + "/break/end", token=DEVICE_TOKEN, path=bus)
    api.call("POST", shift + "/break/end", 409, token=DEVICE_TOKEN, path=bus)
    ended = api.json("POST", shift + "/shift/end", token=DEVICE_TOKEN, path=bus)
    assert ended["status"] == "ended" and len(ended["breaks"]) == 1
