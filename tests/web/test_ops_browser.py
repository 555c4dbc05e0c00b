"""The dispatcher view in Chromium: the demo fleet drives and a vehicle moves on the board."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import AGENT_TOKEN, Server, stop_server
from tests.serving import launch, stop
from tests.web.conftest import screenshot

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: Demo time runs this much faster than real time, so the buses get going within seconds.
SPEEDUP = 30
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


def signed_in(context: Any, path: str, ready: str) -> Any:
    """A page at ``path``, signed in with the agent token, once ``ready`` is shown."""
    page = context.new_page()
    page.goto(path)
    page.fill("#token", AGENT_TOKEN)
    page.press("#token", "Enter")
    page.wait_for_selector(ready)
    return page


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_demo(tmp_path_factory.mktemp("demo"))
    yield running
    stop_server(running)


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


def test_dispatcher_sees_a_vehicle_moving_when_the_demo_fleet_drives(
    browser: Any, demo: Server
) -> None:
    context = browser.new_context(base_url=demo.url, viewport={"width": 1280, "height": 900})
    try:
        page = signed_in(context, "/ops?lang=en", "#fleet tr[data-vehicle]")
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


BOXES_JS = """sel => [...document.querySelectorAll(sel)].map(e => {
    const r = e.getBoundingClientRect(); return {text: e.textContent, x: r.x, y: r.y, w: r.width, h: r.height}; })"""


def _hit(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(
        a["x"] < b["x"] + b["w"] - 0.5 and b["x"] < a["x"] + a["w"] - 0.5
        and a["y"] < b["y"] + b["h"] - 0.5 and b["y"] < a["y"] + a["h"] - 0.5
    )  # fmt: skip


def test_map_labels_name_places_and_never_overlap(browser: Any, demo: Server) -> None:
    """Village and bus names on the dispatcher's map, clear of each other, of the zoom
    buttons and of the scale bar, inside the map: measured by the browser, phone and desktop."""
    for name, size in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        context = browser.new_context(base_url=demo.url, viewport=size)
        try:
            page = signed_in(context, "/ops?lang=de", "#fleet tr[data-vehicle]")
            # Bus labels come with the fleet, place labels once the road map has loaded.
            page.wait_for_function(
                "document.querySelectorAll('#fleet-map .map-label.bus').length >= 1"
                " && document.querySelectorAll('#fleet-map .map-label:not(.bus)"
                ":not(.marker)').length >= 3"
            )
            labels = page.evaluate(BOXES_JS, "#fleet-map .map-label")
            texts = {label["text"] for label in labels}
            assert any(t.startswith("Rufbus") for t in texts), texts
            villages = {p["name"] for p in httpx.get(f"{demo.url}/v1/map/roads").json()["places"]}
            assert len(texts & villages) >= 3, texts
            clash = [
                (a["text"], b["text"])
                for i, a in enumerate(labels)
                for b in labels[i + 1 :]
                if _hit(a, b)
            ]
            assert clash == [], clash
            fixed = page.evaluate(BOXES_JS, "#fleet-map .map-buttons, #fleet-map .map-scale")
            assert [(a["text"], b["text"]) for a in labels for b in fixed if _hit(a, b)] == []
            frame = page.evaluate(BOXES_JS, "#fleet-map canvas")[0]
            for label in labels:
                assert (
                    frame["x"] <= label["x"]
                    and label["x"] + label["w"] <= frame["x"] + frame["w"] + 0.5
                )
            assert page.inner_text("#fleet-map .map-scale").strip().endswith(("km", "m"))
            screenshot(page, f"ops-map-de-{name}")
        finally:
            context.close()


def _expected(now_iso: str, minutes: int) -> datetime:
    return datetime.fromisoformat(now_iso) + timedelta(minutes=minutes)


def _filled(page: Any, date_field: str, time_field: str, zone: Any) -> datetime:
    day, clock = page.input_value(date_field), page.input_value(time_field)
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)


def test_every_page_runs_on_the_demo_clock(browser: Any, demo: Server) -> None:
    """The demo's clock, not the browser's: shown as demo time, used to pre-fill times, and the
    console's pre-filled time is accepted by the service (not refused as "in the past")."""
    clock = httpx.get(f"{demo.url}/v1/clock").json()
    assert clock["demo"] is True and clock["speedup"] == SPEEDUP
    zone = datetime.fromisoformat(clock["now"]).tzinfo
    home = next(
        s
        for s in httpx.get(f"{demo.url}/v1/stops").json()
        if s["name"].startswith("Neudrossenfeld")
    )
    rider = {"name": "Demo Caller", "phone": "0921 100200", "language": "de",
             "home": {"label": "Neudrossenfeld", "lat": home["lat"], "lon": home["lon"]}}  # fmt: skip
    headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    assert httpx.post(f"{demo.url}/v1/riders", json=rider, headers=headers).status_code == 201
    # The browser's clock is a day off: the pages must not care.
    context = browser.new_context(base_url=demo.url, viewport={"width": 1280, "height": 900})
    context.add_init_script("Date.now = (n => () => n() - 86400000)(Date.now.bind(Date));")
    try:
        page = signed_in(context, "/console?lang=en", "#service-clock:not([hidden])")
        assert page.inner_text("#service-clock").startswith("Demo time:")
        page.fill("#phone", "0921 100200")
        page.press("#phone", "Enter")
        page.wait_for_selector("#rider-name")
        now = httpx.get(f"{demo.url}/v1/clock").json()["now"]
        filled = _filled(page, "#book-date", "#book-time", zone)
        assert abs(filled - _expected(now, 60)) <= timedelta(minutes=5), (filled, now)
        page.fill("#book-to", "Harsdorf")
        page.wait_for_selector(
            "#book-to-list li[role=option]:not([aria-disabled]):has-text('Harsdorf')"
        )
        page.keyboard.press("Enter")
        page.click("#book-form button[type=submit]")
        page.wait_for_selector(
            "#agent-offers .aloud, #agent-offers .notice, #book-error:not(:empty)"
        )
        assert "past" not in page.inner_text("#book-error"), page.inner_text("#book-error")
        screenshot(page, "console-demo-clock-desktop")

        page.goto("/?lang=en")
        page.wait_for_selector("#service-clock:not([hidden])")
        page.check('input[name="when"][value="depart_after"]')
        now = httpx.get(f"{demo.url}/v1/clock").json()["now"]
        filled = _filled(page, "#date", "#time", zone)
        assert abs(filled - _expected(now, 30)) <= timedelta(minutes=5), (filled, now)

        page.goto("/ops?lang=en")
        page.wait_for_selector("#fleet tr[data-vehicle]")
        assert page.input_value("#day") == datetime.fromisoformat(now).date().isoformat()
    finally:
        context.close()


def test_the_demo_drivers_start_their_shifts_as_drivers_do(demo: Server) -> None:
    """The driver page says "Shift running", not "not started", while the demo bus drives."""
    import re

    deadline = time.monotonic() + 60
    status = None
    while time.monotonic() < deadline:
        links = re.findall(
            r"driver page for (\S+): \S+#vehicle=\S+&token=(\S+)", demo.log.read_text()
        )
        if links:
            vehicle, token = links[0]
            answer = httpx.get(
                f"{demo.url}/v1/vehicles/{vehicle}/shift",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
            status = answer.json()["status"]
            if status == "active":
                return
        time.sleep(1)
    raise AssertionError(f"the demo bus's shift is {status!r}, not active")


def test_a_demo_without_agent_tokens_prints_an_access_key_that_opens_the_views(
    tmp_path: Path,
) -> None:
    """The README's demo command alone gives a way into the console and dispatcher view."""
    import re

    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    env = {k: v for k, v in os.environ.items() if k != "DISPATCH_AGENT_TOKENS"}
    env |= {"DISPATCH_OSM_SOURCE": osm, "DISPATCH_OSM_CACHE": str(tmp_path / "cache")}
    launched = launch(tmp_path, ["--demo"], env)
    try:
        found = re.search(r"demo's access key (\S+)", launched.log.read_text())
        assert found, launched.log.read_text()[-2000:]
        headers = {"Authorization": f"Bearer {found.group(1)}"}
        assert httpx.get(f"{launched.url}/v1/ops/fleet", headers=headers).status_code == 200
        wrong = {"Authorization": "Bearer not-the-demo-key-000000"}
        assert httpx.get(f"{launched.url}/v1/ops/fleet", headers=wrong).status_code == 401
    finally:
        stop(launched.process)
        launched.handle.close()


def test_the_fleet_table_stays_readable_on_a_phone(browser: Any, demo: Server) -> None:
    """Four columns do not fit 390 px: the table scrolls sideways in its box instead of
    squeezing the next stops into a sliver (a bus's row was once 1,800 px tall)."""
    context = browser.new_context(base_url=demo.url, viewport={"width": 390, "height": 844})
    try:
        page = signed_in(context, "/ops?lang=en", "#fleet tr[data-vehicle]")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#fleet tr[data-vehicle] li')].length > 0",
            timeout=60_000,
        )
        heights = page.evaluate(
            "() => [...document.querySelectorAll('#fleet tr[data-vehicle]')]"
            ".map(r => r.getBoundingClientRect().height)"
        )
        assert heights and max(heights) < 700, heights  # squeezed: 1,100–2,500 px
        box = page.evaluate(
            "() => { const b = document.querySelector('#fleet');"
            " return {scroll: b.scrollWidth, client: b.clientWidth, page: document.documentElement.scrollWidth}; }"
        )
        assert box["scroll"] > box["client"], "the table scrolls inside its box"
        assert box["page"] <= 390, "the page itself does not scroll sideways"
        screenshot(page, "ops-phone")
    finally:
        context.close()
