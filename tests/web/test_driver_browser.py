"""The driver page in Chromium: five languages, Arabic right to left with no axe violations,
a status that says what the bus is doing, a Navigate link for the tablet's map app, HEAD."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from driver_api import web as driver_web
from tests.driver_api.conftest import TOKEN, book, start_server
from tests.driver_api.conftest import Server as DriverServer
from tests.web.conftest import DESKTOP, PHONE, screenshot
from tests.web.test_accessibility import _axe_violations

PLACEHOLDER = re.compile(r"\{(\w+)\}")
JS_WORD = re.compile(r"\bt\(\s*\"([a-z_]+)\"")


@pytest.fixture(scope="module")
def bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DriverServer]:
    running = start_server(tmp_path_factory.mktemp("driver-page"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def booking_id(bus: DriverServer) -> str:
    """One ride for the bus (the one-bus service has room for few more at once)."""
    return book(bus, minutes_ahead=20, name="Layla")


def _words(lang: str) -> dict[str, str]:
    path = Path(driver_web.WEB_DIR) / "i18n" / f"{lang}.json"
    return dict(json.loads(path.read_text("utf-8")))


@pytest.mark.parametrize("lang", driver_web.LANGUAGES)
def test_every_language_has_every_driver_word(lang: str) -> None:
    german, words = _words("de"), _words(lang)
    assert words.keys() == german.keys()
    for key, text in words.items():
        assert text.strip(), (lang, key)
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(german[key])), (lang, key)
    script = (Path(driver_web.WEB_DIR) / "driver.js").read_text("utf-8")
    used = set(JS_WORD.findall(script))
    assert used and used <= german.keys(), used - german.keys()


def test_page_comes_in_its_language_and_direction() -> None:
    arabic = driver_web.render_page("ar")
    assert '<html lang="ar" dir="rtl">' in arabic and "{{" not in arabic
    assert "تسجيل الدخول" in arabic
    assert '<html lang="uk" dir="ltr">' in driver_web.render_page("uk")


@pytest.mark.realdata
def test_head_and_get_of_the_driver_page(bus: DriverServer) -> None:
    head = httpx.head(f"{bus.url}/driver")
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/html")
    assert head.content == b""
    page = httpx.get(f"{bus.url}/driver", headers={"Accept-Language": "tr-TR,tr;q=0.9"})
    assert '<html lang="tr"' in page.text and page.headers["content-language"] == "tr"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def _open(browser: Any, bus: DriverServer, lang: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(base_url=bus.url, viewport=viewport, locale="en-GB")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"/driver?lang={lang}#vehicle=bus-1&token={TOKEN}")
    page.wait_for_selector("#next-body .name")
    page.wait_for_function("document.querySelector('#status').textContent.length > 0")
    return page


@pytest.mark.realdata
@pytest.mark.slow
def test_driver_page_in_arabic_without_axe_violations(
    browser: Any, bus: DriverServer, booking_id: str
) -> None:
    page = _open(browser, bus, "ar", PHONE)
    try:
        assert page.get_attribute("html", "dir") == "rtl"
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        page.wait_for_function("document.querySelector('#status').textContent.includes('متجه إلى')")
        assert "Layla" in page.inner_text("#next-body")
        assert "صعود" in page.inner_text("#next-body"), "the stop's kind in Arabic"
        for word in ("Pickup", "Arrived", "Boarded", "passenger"):
            assert word not in page.inner_text("#app"), f"English left on the Arabic page: {word}"

        plan = _plan(bus)
        pickup = next(s for s in plan["stops"] if s["stop_id"] == f"{booking_id}/pickup")
        href = page.get_attribute("#navigate", "href")
        assert href is not None and href.startswith(
            f"geo:{pickup['lat']:.6f},{pickup['lon']:.6f}?q="
        )

        problems = []
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.wait_for_timeout(300)
            screenshot(page, f"driver-ar-{size_name}")
            problems += [f"{size_name}: {p}" for p in _axe_violations(page)]
        assert problems == [], "\n".join(problems)

        page.click("button[data-event=arrived]")
        page.wait_for_function(
            "document.querySelector('#status').textContent.includes('في المحطة')"
        )
    finally:
        page.context.close()


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize(
    ("lang", "driving", "navigate"),
    [
        ("de", "Fahrt zu:", "Navigation starten"),
        ("en", "Driving to:", "Navigate"),
        ("tr", "Gidilen yer:", "Yol tarifi"),
        ("uk", "Прямую до:", "Навігація"),
    ],
)
def test_driver_page_in_every_language(
    browser: Any, bus: DriverServer, booking_id: str, lang: str, driving: str, navigate: str
) -> None:
    page = _open(browser, bus, lang, DESKTOP)
    try:
        assert page.get_attribute("html", "lang") == lang
        page.wait_for_function(
            "w => document.querySelector('#status').textContent.includes(w)", arg=driving
        )
        assert page.inner_text("#navigate") == navigate
        assert _axe_violations(page) == []
        screenshot(page, f"driver-{lang}-desktop")
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(200)
        screenshot(page, f"driver-{lang}-phone")
    finally:
        page.context.close()


@pytest.mark.realdata
def test_the_status_and_the_next_stop_give_the_same_arrival_time(
    browser: Any, bus: DriverServer, booking_id: str
) -> None:
    """A bus early for a pickup window shows one arrival, and until when it waits there
    (the time the stop list shows), in the status line and on the next stop's card."""
    page = _open(browser, bus, "en", DESKTOP)
    try:
        page.wait_for_function(
            "document.querySelector('#status').textContent.includes('Driving to:')"
        )
        status = page.inner_text("#status .when")
        card = page.inner_text("#next-body .times")
        assert card.split(" · ")[0] == status, (status, card)
        plan = _plan(bus)["stops"]
        first = next(s for s in plan if s["booking_id"])
        eta, start = (datetime.fromisoformat(first[k]) for k in ("eta", "service_start"))
        expected = f"Arrival {first['eta'][11:16]}"
        if start - eta >= timedelta(minutes=2):
            expected += f", then wait until {first['service_start'][11:16]}"
        assert status == expected, (status, first)
        listed = page.inner_text("#stops li .time") if page.query_selector("#stops li") else ""
        assert listed in ("", plan[0]["service_start"][11:16]), (listed, plan[0])
    finally:
        page.context.close()


def _plan(bus: DriverServer) -> dict[str, Any]:
    from tests.driver_api.conftest import hello, until

    with hello(bus) as ws:
        plan, _ = until(ws, "plan")
    return plan
