"""The rider API end to end: real server process, real SQLite file, real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.production import SHAPES, production_service
from tests.service.conftest import AGENT_TOKEN, Server, start_server, stop_server

SERVICE_ZONE = ZoneInfo("Europe/Berlin")  # the built-in north-bayreuth service's zone


def service_today() -> date:
    """The service's date (not the machine's: they differ around midnight)."""
    return datetime.now(SERVICE_ZONE).date()


pytestmark = pytest.mark.realdata

TOMORROW = (service_today() + timedelta(days=1)).isoformat()


@pytest.fixture(scope="module", params=SHAPES)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The built-in service, as ``dispatch serve`` on SQLite and as the production shape
    (engine and API workers apart, PostgreSQL and Redis): every test here runs on both."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "production":
        with production_service(tmp) as api:
            yield api
        return
    running = start_server(tmp, tmp / "dispatch.sqlite", tmp / "cache")
    yield running
    stop_server(running)


def _first_stop(server: Server) -> str:
    stops = httpx.get(f"{server.url}/v1/stops").json()
    return next(s["stop_id"] for s in stops if s["name"].startswith("Neudrossenfeld"))


def _quote(server: Server, hour: int = 8, **extra: Any) -> dict[str, Any]:
    body = {
        "origin": {"stop_id": _first_stop(server)},
        "destination": {"lat": 50.03, "lon": 11.55},
        "depart_after": f"{TOMORROW}T{hour:02d}:00:00",
        **extra,
    }
    response = httpx.post(f"{server.url}/v1/quotes", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _book(
    server: Server, offer_id: str, key: str | None = None, name: str = "Erna"
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    body = {"offer_id": offer_id, "rider": {"name": name}}
    return httpx.post(f"{server.url}/v1/bookings", json=body, headers=headers, timeout=30)


def test_quote_book_follow_cancel(server: Server) -> None:
    quote = _quote(server)
    offer = quote["offers"][0]
    assert (
        offer["pickup"]["window_start"] <= offer["pickup"]["eta"] <= offer["pickup"]["window_end"]
    )
    booked = _book(server, offer["offer_id"])
    assert booked.status_code == 201, booked.text
    body = booked.json()
    assert body["status"] == "confirmed" and body["access_token"]
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    status = httpx.get(f"{server.url}/v1/bookings/{body['booking_id']}", headers=auth).json()
    assert (
        status["pickup"]["window_start"] <= status["pickup_eta"] <= status["pickup"]["window_end"]
    )
    assert httpx.get(f"{server.url}/v1/bookings/{body['booking_id']}").status_code == 401
    assert (
        httpx.get(
            f"{server.url}/v1/bookings/{body['booking_id']}", headers={"Authorization": "Bearer x"}
        ).status_code
        == 401
    )
    cancelled = httpx.post(f"{server.url}/v1/bookings/{body['booking_id']}/cancel", headers=auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = httpx.post(f"{server.url}/v1/bookings/{body['booking_id']}/cancel", headers=auth)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"


def test_agent_token_reads_any_booking(server: Server) -> None:
    booked = _book(server, _quote(server, hour=9)["offers"][0]["offer_id"]).json()
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    assert (
        httpx.get(f"{server.url}/v1/bookings/{booked['booking_id']}", headers=agent).status_code
        == 200
    )


def test_idempotent_retries_give_one_booking(server: Server) -> None:
    offer = _quote(server, hour=10)["offers"][0]["offer_id"]
    first, second = _book(server, offer, key="retry-key-1"), _book(server, offer, key="retry-key-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert _book(server, offer, key="retry-key-1", name="Somebody else").status_code == 422
    assert _book(server, offer, key="other-key").status_code == 409


def test_concurrent_retries_give_one_booking(server: Server) -> None:
    offer = _quote(server, hour=11)["offers"][0]["offer_id"]
    results: list[httpx.Response] = []
    threads = [
        threading.Thread(target=lambda: results.append(_book(server, offer, key="burst-key-1")))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if r.status_code == 201]
    assert ok and all(r.status_code == 201 for r in results), [r.text for r in results]
    assert len({r.json()["booking_id"] for r in ok}) == 1


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (
            {"origin": {"stop_id": "nope"}, "destination": {"lat": 50.03, "lon": 11.55}},
            422,
            "unknown stop",
        ),
        (
            {"origin": {"lat": 10, "lon": 10}, "destination": {"lat": 50.03, "lon": 11.55}},
            422,
            "outside the service area",
        ),
        (
            {"origin": {"lat": 50.03}, "destination": {"lat": 50.03, "lon": 11.55}},
            422,
            "either stop_id or both",
        ),
        (
            {
                "origin": {"lat": 50.02, "lon": 11.5},
                "destination": {"lat": 50.03, "lon": 11.55},
                "passengers": 0,
            },
            422,
            "passengers",
        ),
        (
            {
                "origin": {"lat": 50.02, "lon": 11.5},
                "destination": {"lat": 50.03, "lon": 11.55},
                "passengers": 500,
            },
            422,
            "passengers",
        ),
        (
            {
                "origin": {"lat": 50.02, "lon": 11.5},
                "destination": {"lat": 50.03, "lon": 11.55},
                "depart_after": "2099-01-01T08:00",
            },
            422,
            "days ahead",
        ),
        (
            {
                "origin": {"lat": 50.02, "lon": 11.5},
                "destination": {"lat": 50.03, "lon": 11.55},
                "depart_after": f"{TOMORROW}T03:00",
            },
            422,
            "runs from",
        ),
        (
            {"origin": {"lat": 50.02, "lon": 11.5}, "destination": {"lat": 50.02, "lon": 11.5}},
            422,
            "same place",
        ),
    ],
)
def test_bad_quotes_get_clear_problems(
    server: Server, body: dict[str, Any], status: int, words: str
) -> None:
    response = httpx.post(f"{server.url}/v1/quotes", json=body)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"]


def test_malformed_json_and_unknown_offer(server: Server) -> None:
    bad = httpx.post(
        f"{server.url}/v1/quotes", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["detail"]
    assert _book(server, "no-such-offer").status_code == 409


def test_place_search_tolerates_typos(server: Server) -> None:
    def first(query: str) -> dict[str, Any]:
        hits = httpx.get(f"{server.url}/v1/places", params={"q": query}).json()
        assert hits, query
        return hits[0]  # type: ignore[no-any-return]

    assert first("Neudrossenfeld")["name"].startswith("Neudrossenfeld")
    assert first("neudrosenfeld")["name"].startswith("Neudrossenfeld")
    assert "Neudrossenfeld" in first("Neudrossenfeld Kirche")["name"]
    church = first("Harsdorf Kirche")
    assert (church["name"], church["context"]) == ("An der Kirche", "Harsdorf")
    assert first("altenplos")["name"] == "Altenplos"
    assert httpx.get(f"{server.url}/v1/places", params={"q": ""}).status_code == 422


def test_bookings_survive_kill_minus_9(tmp_path: Path) -> None:
    database, cache = tmp_path / "crash.sqlite", tmp_path / "cache"
    server = start_server(tmp_path, database, cache)
    booked = []
    try:
        for hour in (7, 8, 9, 10, 11):
            offer = _quote(server, hour=hour)["offers"][0]["offer_id"]
            response = _book(server, offer)
            assert response.status_code == 201
            booked.append(response.json())
    finally:
        server.kill_hard()
    restarted = start_server(tmp_path, database, cache)
    try:
        for before in booked:
            auth = {"Authorization": f"Bearer {before['access_token']}"}
            after = httpx.get(
                f"{restarted.url}/v1/bookings/{before['booking_id']}", headers=auth
            ).json()
            assert after["status"] == "confirmed"
            assert after["pickup"] == before["pickup"] and after["dropoff"] == before["dropoff"]
            assert (
                after["pickup"]["window_start"]
                <= after["pickup_eta"]
                <= after["pickup"]["window_end"]
            )
        assert _quote(restarted, hour=12)["offers"]
    finally:
        stop_server(restarted)


def test_serve_with_a_missing_map_fails_with_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DISPATCH_OSM_SOURCE": str(tmp_path / "missing.osm.gz"),
        "DISPATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from dispatch.cli import main; main()", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: OSM file not found: {tmp_path / 'missing.osm.gz'}"]
    assert "Traceback" not in result.stderr


def test_hotline_finds_or_registers_a_caller_and_books_for_them(server: Server) -> None:
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    phone = "0921 555 1234"
    assert (
        httpx.get(f"{server.url}/v1/riders", params={"phone": phone}, headers=agent).status_code
        == 404
    )
    assert httpx.get(f"{server.url}/v1/riders", params={"phone": phone}).status_code == 401
    body = {"name": "Erna Meier", "phone": phone, "language": "de", "needs": {"walker": True}}
    assert httpx.post(f"{server.url}/v1/riders", json=body).status_code == 401
    created = httpx.post(f"{server.url}/v1/riders", json=body, headers=agent)
    assert created.status_code == 201, created.text
    rider = created.json()
    assert httpx.post(f"{server.url}/v1/riders", json=body, headers=agent).status_code == 409
    found = httpx.get(
        f"{server.url}/v1/riders", params={"phone": "+499215551234"}, headers=agent
    ).json()
    assert found["rider_id"] == rider["rider_id"] and found["needs"]["walker"] is True
    offer = _quote(server, hour=13)["offers"][0]["offer_id"]
    on_behalf = {"offer_id": offer, "rider": {"name": "Erna Meier"}, "rider_id": rider["rider_id"]}
    assert httpx.post(f"{server.url}/v1/bookings", json=on_behalf).status_code == 401
    booked = httpx.post(f"{server.url}/v1/bookings", json=on_behalf, headers=agent)
    assert booked.status_code == 201, booked.text
    listed = httpx.get(f"{server.url}/v1/riders/{rider['rider_id']}/bookings", headers=agent).json()
    assert [b["booking_id"] for b in listed] == [booked.json()["booking_id"]]
    assert httpx.get(f"{server.url}/v1/riders/nobody/bookings", headers=agent).status_code == 404


def test_standing_order_books_every_date_in_the_horizon_and_cancels(server: Server) -> None:
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    rider = httpx.post(
        f"{server.url}/v1/riders",
        json={"name": "Hans Dialyse", "phone": "09228 777 42"},
        headers=agent,
    ).json()
    url = f"{server.url}/v1/riders/{rider['rider_id']}/standing-orders"
    today = service_today()
    skip = today + timedelta(days=2)
    body = {
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "time": "10:00",
        "origin": {"stop_id": _first_stop(server)},
        "destination": {"lat": 50.03, "lon": 11.55},
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=60)).isoformat(),
        "exceptions": [skip.isoformat()],
    }
    assert httpx.post(url, json=body).status_code == 401
    created = httpx.post(url, json=body, headers=agent, timeout=120)
    assert created.status_code == 201, created.text
    order = created.json()
    days = [date.fromisoformat(d["date"]) for d in order["dates"]]
    assert skip not in days
    assert days and max(days) <= today + timedelta(days=7)  # the prebooking horizon
    assert all(d["status"] in ("booked", "not_served") for d in order["dates"])
    booked = {d["booking_id"] for d in order["dates"] if d["status"] == "booked"}
    assert booked, order
    assert all(d["reason"] for d in order["dates"] if d["status"] == "not_served")
    mine = httpx.get(f"{server.url}/v1/riders/{rider['rider_id']}/bookings", headers=agent).json()
    assert {b["booking_id"] for b in mine} == booked
    listed = httpx.get(url, headers=agent).json()
    assert [o["standing_order_id"] for o in listed] == [order["standing_order_id"]]
    one = f"{url}/{order['standing_order_id']}"
    assert httpx.get(one, headers=agent).json()["dates"][0]["status"] == "confirmed"
    other = httpx.post(
        f"{server.url}/v1/riders", json={"name": "Other", "phone": "0921 444 5566"}, headers=agent
    ).json()
    elsewhere = (
        f"{server.url}/v1/riders/{other['rider_id']}/standing-orders/{order['standing_order_id']}"
    )
    assert httpx.get(elsewhere, headers=agent).status_code == 404
    stopped = httpx.delete(one, headers=agent, timeout=60)
    assert stopped.status_code == 200, stopped.text
    assert set(stopped.json()["cancelled_bookings"]) == booked
    mine = httpx.get(f"{server.url}/v1/riders/{rider['rider_id']}/bookings", headers=agent).json()
    assert {b["status"] for b in mine} == {"cancelled"}
    assert httpx.get(url, headers=agent).json() == []


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"end_date": "2000-01-01"}, 422),
        ({"weekdays": []}, 422),
        ({"weekdays": ["mon", "mon"]}, 422),
        ({"time": "25:00"}, 422),
        ({"origin": {"stop_id": "no-such-stop"}}, 422),
        ({"passengers": 0}, 422),
        ({"rider_id": "someone-else"}, 422),
    ],
)
def test_bad_standing_orders_get_clear_problems(
    server: Server, change: dict[str, Any], status: int
) -> None:
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    phone = f"0921 {abs(hash(str(change))) % 10**6}"
    rider = httpx.post(
        f"{server.url}/v1/riders", json={"name": "Bad", "phone": phone}, headers=agent
    ).json()
    today = service_today()
    body = {
        "weekdays": ["mon"],
        "time": "10:00",
        "origin": {"stop_id": _first_stop(server)},
        "destination": {"lat": 50.03, "lon": 11.55},
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=30)).isoformat(),
        **change,
    }
    url = f"{server.url}/v1/riders/{rider['rider_id']}/standing-orders"
    response = httpx.post(url, json=body, headers=agent)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(url, headers=agent).json() == []  # nothing half-written


def test_standing_order_for_an_unknown_rider_is_404(server: Server) -> None:
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    body = {
        "weekdays": ["mon"],
        "time": "10:00",
        "origin": {"stop_id": _first_stop(server)},
        "destination": {"lat": 50.03, "lon": 11.55},
        "start_date": service_today().isoformat(),
        "end_date": (service_today() + timedelta(days=30)).isoformat(),
    }
    missing = f"{server.url}/v1/riders/nobody/standing-orders"
    assert httpx.post(missing, json=body, headers=agent).status_code == 404
    assert httpx.get(missing, headers=agent).status_code == 404
    assert httpx.get(f"{missing}/abc", headers=agent).status_code == 404


def _stop_span_s(offer: dict[str, Any]) -> float:
    """Seconds from the bus reaching the pickup to it reaching the drop-off."""
    pickup = datetime.fromisoformat(offer["pickup"]["eta"])
    dropoff = datetime.fromisoformat(offer["dropoff"]["eta"])
    return (dropoff - pickup).total_seconds()


def test_a_walker_riders_quote_takes_longer_at_the_stop(server: Server) -> None:
    """``[service_times] walker_extra_s`` (120 s) reaches the plan: from the quote's own
    ``walker`` flag and from the needs the hotline recorded for a registered rider."""
    plain = _stop_span_s(_quote(server, hour=15)["offers"][0])
    walker = _stop_span_s(_quote(server, hour=15, walker=True)["offers"][0])
    assert walker >= plain + 120
    extra = _stop_span_s(_quote(server, hour=15, extra_boarding_s=300)["offers"][0])
    assert extra >= plain + 300
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    body = {"name": "Kurt Walker", "phone": "0921 555 7788", "needs": {"walker": True}}
    rider = httpx.post(f"{server.url}/v1/riders", json=body, headers=agent).json()["rider_id"]
    stop = {"stop_id": _first_stop(server)}
    ask = {"origin": stop, "destination": {"lat": 50.03, "lon": 11.55},
           "depart_after": f"{TOMORROW}T15:00:00", "rider_id": rider}  # fmt: skip
    assert httpx.post(f"{server.url}/v1/quotes", json=ask, timeout=30).status_code == 401
    answer = httpx.post(f"{server.url}/v1/quotes", json=ask, headers=agent, timeout=30)
    assert answer.status_code == 200, answer.text
    assert _stop_span_s(answer.json()["offers"][0]) >= plain + 120
    ask["rider_id"] = "nobody"
    assert httpx.post(f"{server.url}/v1/quotes", json=ask, headers=agent).status_code == 404


def test_the_area_of_a_trip_is_found_by_where_it_starts(server: Server) -> None:
    (area,) = httpx.get(f"{server.url}/v1/areas").json()
    found = httpx.get(f"{server.url}/v1/areas", params={"lat": 50.0185, "lon": 11.5018})
    assert found.status_code == 200 and found.json() == [area]
    far = httpx.get(f"{server.url}/v1/areas", params={"lat": 52.52, "lon": 13.40})  # Berlin
    assert far.status_code == 200 and far.json() == []
    half = httpx.get(f"{server.url}/v1/areas", params={"lat": 50.0})
    assert half.status_code == 422 and "both lat and lon" in half.json()["detail"]
