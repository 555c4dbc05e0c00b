"""axe-core finds no violations on any page, in German and in right-to-left Arabic, at phone
and desktop size, and no page scrolls sideways at 320 px (text zoomed to 400 %); a screenshot
of each is kept as a test artefact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.web.conftest import (
    AGENT_TOKEN,
    DESKTOP,
    PHONE,
    TOMORROW,
    Server,
    book_via_api,
    screenshot,
)

#: WCAG 2.1 reflow (1.4.10): usable at 320 CSS pixels wide without scrolling sideways.
REFLOW = {"width": 320, "height": 640}

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]


def _check(page: Any, name: str, lang: str) -> None:
    problems = []
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.wait_for_timeout(300)  # let the map redraw at the new size
        screenshot(page, f"{name}-{lang}-{size_name}")
        problems += [f"{size_name}: {p}" for p in _axe_violations(page)]
    page.set_viewport_size(REFLOW)
    page.wait_for_timeout(300)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        problems.append(f"reflow: {overflow}px sideways scrolling at 320 px (= 1280 px at 400 %)")
    assert problems == [], "\n".join(problems)


def _sign_in(page: Any) -> None:
    page.fill("#token", AGENT_TOKEN)
    page.press("#token", "Enter")


def _rider_trip(page: Any, server: Server, lang: str) -> None:
    page.goto(f"/?lang={lang}")
    page.fill("#from", "Neudrossenfeld")
    page.wait_for_selector("#from-list li[role=option]:not([aria-disabled])")
    page.keyboard.press("ArrowDown")  # suggestions open, one chosen by arrow key


def _rider_offers(page: Any, server: Server, lang: str) -> None:
    page.goto(f"/?lang={lang}")
    for field, text in (("#from", "Neudrossenfeld"), ("#to", "Harsdorf")):
        page.fill(field, text)
        page.wait_for_selector(f"{field}-list li[role=option]:not([aria-disabled])")
        page.keyboard.press("Enter")
    page.check('input[name="when"][value="depart_after"]')
    page.fill("#date", TOMORROW.isoformat())
    page.fill("#time", "10:30")
    page.click("#search")
    page.wait_for_selector("#offers li button")


def _rider_booking(page: Any, server: Server, lang: str) -> None:
    booked = book_via_api(server, hour=11)
    page.goto(f"/?lang={lang}")
    page.evaluate("b => localStorage.setItem('rufbus_bookings', JSON.stringify([b]))", booked)
    page.goto(f"/?lang={lang}#booking/{booked['booking_id']}")
    page.wait_for_selector("#booking-details dl")


def _rider_list(page: Any, server: Server, lang: str) -> None:
    _rider_booking(page, server, lang)
    page.goto(f"/?lang={lang}#bookings")
    page.wait_for_selector("#booking-list li")


def _console(page: Any, server: Server, lang: str) -> None:
    page.goto(f"/console?lang={lang}")


def _console_offers(page: Any, server: Server, lang: str) -> None:
    page.goto(f"/console?lang={lang}")
    _sign_in(page)
    page.fill("#phone", f"0921 4711 {ord(lang[0])}")
    page.press("#phone", "Enter")
    page.wait_for_selector("#create-form:not([hidden])")
    page.fill("#new-name", "Axe Tester")
    page.click("#create-form button[type=submit]")
    page.wait_for_selector("#rider-name")
    for field, text in (("#book-from", "Neudrossenfeld"), ("#book-to", "Harsdorf")):
        page.fill(field, text)
        page.wait_for_selector(f"{field}-list li[role=option]:not([aria-disabled])")
        page.keyboard.press("Enter")
    page.fill("#book-date", TOMORROW.isoformat())
    page.fill("#book-time", "03:00")
    page.click("#book-form button[type=submit]")
    page.wait_for_selector("#warnings .notice")
    page.wait_for_selector("#book-error:not(:empty)")  # 03:00 is outside the service hours


def _ops(page: Any, server: Server, lang: str) -> None:
    page.goto(f"/ops?lang={lang}")
    _sign_in(page)
    page.wait_for_selector("#fleet table")


PAGES: dict[str, Callable[[Any, Server, str], None]] = {
    "rider-trip": _rider_trip,
    "rider-offers": _rider_offers,
    "rider-booking": _rider_booking,
    "rider-bookings": _rider_list,
    "console-sign-in": _console,
    "console-booking": _console_offers,
    "ops": _ops,
}


@pytest.mark.parametrize("lang", ["de", "ar"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_accessibility_violations(page: Any, server: Server, name: str, lang: str) -> None:
    PAGES[name](page, server, lang)
    _check(page, name, lang)
