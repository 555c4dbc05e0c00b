"""Browser tests: Debian's Chromium driven by Playwright against a real service process.

Screenshots go to ``$DISPATCH_TEST_ARTIFACTS`` (default ``tests/artifacts/``, git-ignored).
Without /usr/bin/chromium the browser tests are skipped, except in CI (``CI`` set),
where ``.ci/run`` installs Chromium and a missing browser is an error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.driver_api.conftest import midday_zone
from tests.service.conftest import AGENT_TOKEN, Server, start_server, stop_server

ARTIFACTS = Path(
    os.environ.get("DISPATCH_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts")
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ZONE = midday_zone()
TOMORROW = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=1)

__all__ = ["AGENT_TOKEN", "ARTIFACTS", "DESKTOP", "PHONE", "TOMORROW", "Server"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The built-in service, in a time zone where it is about noon (see ``midday_zone``):
    its buses are on shift and rides booked for later today are inside the hours."""
    tmp = tmp_path_factory.mktemp("web")
    config = tmp / "service.toml"
    config.write_text(service_toml(ZONE), encoding="utf-8")
    running = start_server(tmp, tmp / "dispatch.sqlite", tmp / "cache", ["--config", str(config)])
    yield running
    stop_server(running)


def service_toml(zone: str) -> str:
    """The built-in service definition as TOML, in ``zone``."""
    from dispatch.config_default import DEFAULT_SERVICE

    lines = [f"name = {json.dumps(DEFAULT_SERVICE['name'])}", f'time_zone = "{zone}"']
    lines += ["[hours]", 'daily = ["06:00", "22:00"]']
    for v in DEFAULT_SERVICE["fleet"]["vehicles"]:
        lines += [
            "[[fleet.vehicles]]",
            f'id = "{v["id"]}"',
            f"name = {json.dumps(v['name'])}",
            f"seats = {v['seats']}",
            f"wheelchair_places = {v['wheelchair_places']}",
            f"depot = {{ lat = {v['depot']['lat']}, lon = {v['depot']['lon']} }}",
        ]
    for shift in DEFAULT_SERVICE["fleet"]["shifts"]:
        lines += [
            "[[fleet.shifts]]",
            f'vehicle = "{shift["vehicle"]}"',
            'weekdays = "daily"',
            f'start = "{shift["start"]}"',
            f'end = "{shift["end"]}"',
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def context(browser: Any, server: Server) -> Iterator[Any]:
    made = browser.new_context(
        base_url=server.url, viewport=DESKTOP, locale="en-GB", timezone_id=ZONE
    )
    made.set_default_timeout(20_000)
    yield made
    made.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def agent_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {AGENT_TOKEN}"}


def stop_named(server: Server, prefix: str) -> dict[str, Any]:
    stops = httpx.get(f"{server.url}/v1/stops", timeout=10).json()
    return next(s for s in stops if s["name"].startswith(prefix))


def book_via_api(server: Server, hour: int = 9, name: str = "Erna") -> dict[str, Any]:
    """A booking for tomorrow made over the API (what the pages then show)."""
    body = {
        "origin": {"stop_id": stop_named(server, "Neudrossenfeld")["stop_id"]},
        "destination": {"lat": 50.03, "lon": 11.55},
        "depart_after": f"{TOMORROW.isoformat()}T{hour:02d}:00:00",
    }
    quote = httpx.post(f"{server.url}/v1/quotes", json=body, timeout=30).json()
    offer = quote["offers"][0]["offer_id"]
    booked = httpx.post(
        f"{server.url}/v1/bookings",
        json={"offer_id": offer, "rider": {"name": name}},
        headers={"Idempotency-Key": f"web-test-{offer}"},
        timeout=30,
    )
    assert booked.status_code == 201, booked.text
    return dict(booked.json())


def type_date_and_time(page: Any, date_field: str, time_field: str, day: date, clock: str) -> None:
    """Type into native date and time fields by keyboard, in whatever order the browser shows.

    Chromium's field order follows its own locale, not the page's: probe it on the field
    (typing 01/02/2003 and reading which is the month), then type the real values.
    """
    tab_to(page, date_field)
    page.keyboard.type("01022003")
    month_first = page.input_value(date_field) == "2003-01-02"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    order = "%m%d%Y" if month_first else "%d%m%Y"
    page.keyboard.type(day.strftime(order))
    tab_to(page, time_field)
    page.keyboard.type(clock.replace(":", ""))
    if page.input_value(time_field) != clock:  # a 12-hour field waits for AM/PM
        hour = int(clock[:2])
        page.keyboard.press("P" if hour >= 12 else "A")
    assert page.input_value(date_field) == day.isoformat()
    assert page.input_value(time_field) == clock


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until ``selector`` has the focus: proves it is reachable by keyboard."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")
