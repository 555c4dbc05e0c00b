"""The dispatcher view in Chromium: the demo fleet drives and a vehicle moves on the board."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import AGENT_TOKEN, Server, stop_server
from tests.serving import launch
from tests.web.conftest import screenshot

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: Demo time runs this much faster than real time, so the buses get going within seconds.
SPEEDUP = 10
POSITIONS_JS = """() => Object.fromEntries([...document.querySelectorAll('#fleet tr[data-vehicle]')]
    .map(r => [r.dataset.vehicle, r.querySelector('.position').textContent.replace(/^[^(]*/, '')]))"""


def start_demo(tmp: Path) -> Server:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    env = {
        **os.environ,
        "DISPATCH_OSM_SOURCE": osm,
        "DISPATCH_OSM_CACHE": str(tmp / "cache"),
        "DISPATCH_AGENT_TOKENS": AGENT_TOKEN,
        "DISPATCH_LOG_LEVEL": "WARNING",
    }
    launched = launch(tmp, ["--demo", "--speedup", str(SPEEDUP)], env)
    return Server(launched.url, launched.process, env, launched.log, launched.handle)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_demo(tmp_path_factory.mktemp("demo"))
    yield running
    stop_server(running)


def test_dispatcher_sees_a_vehicle_moving_when_the_demo_fleet_drives(
    browser: Any, demo: Server
) -> None:
    context = browser.new_context(base_url=demo.url, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto("/ops?lang=en")
        page.fill("#token", AGENT_TOKEN)
        page.press("#token", "Enter")
        page.wait_for_selector("#fleet tr[data-vehicle]")
        first = page.evaluate(POSITIONS_JS)
        assert len(first) >= 2, first
        page.wait_for_function(
            f"first => Object.entries(({POSITIONS_JS})()).some(([v, p]) => first[v] && first[v] !== p)",
            arg=first,
            timeout=120_000,
        )
        moved = page.evaluate(POSITIONS_JS)
        assert any(moved[v] != first[v] for v in first)
        assert "vehicles" in (page.get_attribute("#fleet-map canvas", "aria-label") or "")
        screenshot(page, "ops-demo-desktop")
    finally:
        context.close()


def test_rider_sees_the_bus_on_the_map_once_it_is_on_its_way(browser: Any, demo: Server) -> None:
    stop = next(
        s
        for s in httpx.get(f"{demo.url}/v1/stops").json()
        if s["name"].startswith("Neudrossenfeld")
    )
    body = {"origin": {"stop_id": stop["stop_id"]}, "destination": {"lat": 50.03, "lon": 11.55}}
    offer = httpx.post(f"{demo.url}/v1/quotes", json=body, timeout=30).json()["offers"][0]
    booked = httpx.post(
        f"{demo.url}/v1/bookings",
        json={"offer_id": offer["offer_id"], "rider": {"name": "Erna"}},
        timeout=30,
    ).json()
    auth = {"Authorization": f"Bearer {booked['access_token']}"}
    where = f"{demo.url}/v1/bookings/{booked['booking_id']}/vehicle"
    assert httpx.get(where).status_code == 401
    deadline = time.monotonic() + 120
    while (bus := httpx.get(where, headers=auth).json()["vehicle"]) is None:
        assert time.monotonic() < deadline, "the bus never set off to the rider"
        time.sleep(1)
    assert {"lat", "lon", "at"} <= bus.keys()

    context = browser.new_context(base_url=demo.url, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto("/?lang=en")
        page.evaluate("b => localStorage.setItem('rufbus_bookings', JSON.stringify([b]))", booked)
        page.goto(f"/?lang=en#booking/{booked['booking_id']}")
        page.wait_for_selector("#booking-details dl")
        assert "on its way" in page.inner_text("#booking-details")
        assert "on its way" in (page.get_attribute("#booking-map canvas", "aria-label") or "")
        screenshot(page, "rider-bus-on-its-way-phone")
    finally:
        context.close()
