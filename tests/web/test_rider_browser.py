"""The rider app in Chromium: booking and cancelling by keyboard, languages, offline banner."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.conftest import (
    TOMORROW,
    Server,
    agent_headers,
    screenshot,
    tab_to,
    type_date_and_time,
)

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _choose_place(page: Any, field: str, text: str) -> None:
    """Type into a place field, wait for the suggestions, take the first with the arrow key."""
    tab_to(page, field)
    page.keyboard.type(text, delay=20)
    page.wait_for_selector(f"{field}-list li[role=option]:not([aria-disabled])")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.get_attribute(field, "aria-expanded") == "false"


def test_rider_books_and_cancels_a_trip_by_keyboard_only(page: Any, server: Server) -> None:
    page.goto("/?lang=en")
    _choose_place(page, "#from", "Neudrossenfeld")
    _choose_place(page, "#to", "Harsdorf")
    tab_to(page, 'input[name="when"][value="now"]')
    page.keyboard.press("ArrowRight")  # radio group: "leave after"
    assert page.is_checked('input[name="when"][value="depart_after"]')
    type_date_and_time(page, "#date", "#time", TOMORROW, "10:00")
    tab_to(page, "#search")
    page.keyboard.press("Enter")
    page.wait_for_selector("#offers li button")
    sentence = page.inner_text("#offers li .sentence")
    assert "pickup between" in sentence and "arrive by" in sentence
    screenshot(page, "rider-offers-desktop")

    tab_to(page, "#rider-name")
    page.keyboard.type("Erna Keyboard")
    tab_to(page, "#offers li button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#view-booking:not([hidden]) .status.confirmed")
    booking_id = page.evaluate("location.hash").split("/")[1]
    stored = page.evaluate("JSON.parse(localStorage.getItem('rufbus_bookings'))")
    assert stored[0]["booking_id"] == booking_id and stored[0]["access_token"]

    tab_to(page, "#cancel")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "cancel-yes"
    page.keyboard.press("Enter")
    page.wait_for_selector("#view-booking .status.cancelled")
    assert "cancelled" in page.inner_text("#booking-notice").lower()

    status = httpx.get(f"{server.url}/v1/bookings/{booking_id}", headers=agent_headers())
    assert status.json()["status"] == "cancelled"


def test_my_trips_are_remembered_on_this_device(page: Any, server: Server) -> None:
    page.goto("/?lang=en#bookings")
    assert "No rides are saved" in page.inner_text("#booking-list")
    page.goto("/?lang=en")
    _choose_place(page, "#from", "Neudrossenfeld")
    _choose_place(page, "#to", "Harsdorf")
    page.check('input[name="when"][value="arrive_by"]')
    page.fill("#date", TOMORROW.isoformat())
    page.fill("#time", "11:30")
    page.click("#search")
    page.fill("#rider-name", "Erna")
    page.click("#offers li button")
    page.wait_for_selector("#view-booking .status.confirmed")
    page.reload()
    page.goto("/#bookings")
    page.wait_for_selector("#booking-list li .status.confirmed")
    assert len(page.query_selector_all("#booking-list li")) == 1


def test_arabic_page_is_right_to_left(page: Any) -> None:
    page.goto("/?lang=ar")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    title = page.locator("header h1").bounding_box()
    language = page.locator("#language").bounding_box()
    assert title is not None and language is not None
    assert title["x"] > language["x"], "in right-to-left the title stands on the right"
    assert "خطط لرحلة" in page.inner_text("#trip-title")
    screenshot(page, "rider-ar-desktop")


def test_language_is_remembered(page: Any) -> None:
    page.goto("/")
    assert page.get_attribute("html", "lang") == "en", "the browser asks for en-GB"
    page.select_option("#language", "tr")
    page.wait_for_function("document.documentElement.lang === 'tr'")
    page.goto("/")
    assert page.get_attribute("html", "lang") == "tr"
    assert page.evaluate("localStorage.getItem('rufbus_lang')") == "tr"


def test_banner_and_retry_when_the_server_is_briefly_unreachable(page: Any) -> None:
    page.goto("/?lang=en")
    _choose_place(page, "#from", "Neudrossenfeld")
    _choose_place(page, "#to", "Harsdorf")
    page.check('input[name="when"][value="depart_after"]')
    page.fill("#date", TOMORROW.isoformat())
    page.fill("#time", "12:00")
    failures = {"left": 2}

    def flaky(route: Any) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            route.abort("connectionrefused")
        else:
            route.continue_()

    page.route("**/v1/quotes", flaky)
    page.click("#search")
    page.wait_for_selector("#banner:not([hidden])")
    assert "No connection" in page.inner_text("#banner")
    page.wait_for_selector("#offers li button")
    page.wait_for_selector("#banner", state="hidden")
    assert failures["left"] == 0


def test_friendly_error_in_the_users_language(page: Any) -> None:
    page.goto("/?lang=de")
    _choose_place(page, "#from", "Neudrossenfeld")
    _choose_place(page, "#to", "Harsdorf")
    page.check('input[name="when"][value="depart_after"]')
    page.fill("#date", TOMORROW.isoformat())
    page.fill("#time", "23:30")
    page.click("#search")
    page.wait_for_selector("#trip-error:not(:empty)")
    assert "Der Rufbus fährt von" in page.inner_text("#trip-error")
