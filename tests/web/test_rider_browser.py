"""The rider app in Chromium: booking and cancelling by keyboard, languages, offline banner."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.web.conftest import (
    TOMORROW,
    Server,
    agent_headers,
    book_via_api,
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


def _trip_tomorrow(page: Any, when: str, clock: str) -> None:
    """Neudrossenfeld to Harsdorf tomorrow, leaving after or arriving by ``clock``."""
    _choose_place(page, "#from", "Neudrossenfeld")
    _choose_place(page, "#to", "Harsdorf")
    page.check(f'input[name="when"][value="{when}"]')
    page.fill("#date", TOMORROW.isoformat())
    page.fill("#time", clock)


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
    _trip_tomorrow(page, "arrive_by", "11:30")
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
    _trip_tomorrow(page, "depart_after", "12:00")
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


def test_a_trip_from_another_area_links_to_that_areas_app(page: Any) -> None:
    """In a deployment of several areas, a quote that starts in another one is refused
    with the area's path: the rider gets a link there (answer as the service sends it)."""
    page.goto("/?lang=en")
    _trip_tomorrow(page, "depart_after", "12:00")
    detail = "this trip starts in service area 'krems', not in this one: book it at /areas/krems/"
    page.route(
        "**/v1/quotes",
        lambda route: route.fulfill(
            status=422, content_type="application/json", body=json.dumps({"detail": detail})
        ),
    )
    page.click("#search")
    page.wait_for_selector("#trip-error a")
    assert "another service area (krems)" in page.inner_text("#trip-error")
    href = page.get_attribute("#trip-error a", "href")
    assert href is not None and href.endswith("/areas/krems/"), href
    assert page.inner_text("#trip-error a") == href


def test_friendly_error_in_the_users_language(page: Any) -> None:
    page.goto("/?lang=de")
    _trip_tomorrow(page, "depart_after", "23:30")
    page.click("#search")
    page.wait_for_selector("#trip-error:not(:empty)")
    assert "Der Rufbus fährt von" in page.inner_text("#trip-error")


def _open_booking(page: Any, server: Server, lang: str) -> dict[str, Any]:
    booked = book_via_api(server, hour=15, name="Refresh")
    page.goto(f"/?lang={lang}")
    page.evaluate("b => localStorage.setItem('rufbus_bookings', JSON.stringify([b]))", booked)
    page.goto(f"/?lang={lang}#booking/{booked['booking_id']}")
    page.wait_for_selector("#booking-details dl")
    return booked


def test_cancel_question_survives_the_refresh_and_no_null_after_cancelling(
    page: Any, server: Server
) -> None:
    booked = _open_booking(page, server, "en")
    path = f"/v1/bookings/{booked['booking_id']}"
    page.click("#cancel")
    assert page.is_visible("#cancel-question")
    with page.expect_response(lambda r: r.url.endswith(path), timeout=30_000):
        pass  # the 15-second refresh of the booking
    page.wait_for_timeout(500)
    assert page.is_visible("#cancel-question") and page.is_visible("#cancel-yes")
    assert page.evaluate("document.activeElement.id") == "cancel-yes"
    screenshot(page, "rider-cancel-question-desktop")
    page.click("#cancel-yes")
    page.wait_for_selector("#view-booking .status.cancelled")
    text = page.inner_text("#view-booking")
    assert "null" not in text and "undefined" not in text
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "rider-cancelled-phone")


@pytest.mark.parametrize(
    ("lang", "stop_word", "pickup", "dropoff"),
    [
        ("de", "Haltestelle", "an der Haltestelle Altenplos", "in Harsdorf"),
        ("en", "Stop", "at the stop Altenplos", "in Harsdorf"),
        ("tr", "Durak", "Altenplos durağından", "Harsdorf merkezine"),
        ("uk", "Зупинка", "на зупинці Altenplos", "до Harsdorf"),
        ("ar", "محطة", "عند محطة Altenplos", "إلى Harsdorf"),
    ],
)
def test_place_phrases_are_grammatical_in_every_language(
    page: Any, lang: str, stop_word: str, pickup: str, dropoff: str
) -> None:
    page.goto(f"/?lang={lang}")
    page.fill("#from", "Altenplos")
    page.click(f"#from-list li[role=option]:has-text('{stop_word}')")
    page.fill("#to", "Harsdorf")
    page.wait_for_selector("#to-list li[role=option]:not([aria-disabled]):has-text('Harsdorf')")
    page.keyboard.press("Enter")
    page.check('input[name="when"][value="depart_after"]')
    page.fill("#date", TOMORROW.isoformat())
    page.fill("#time", "10:00")
    page.click("#search")
    page.wait_for_selector("#offers li .sentence")
    sentence = page.inner_text("#offers li .sentence")
    assert pickup in sentence and dropoff in sentence, sentence
    for broken in ("near ", "bei bei", "an bei", "in bei", "{"):
        assert broken not in sentence, sentence
    screenshot(page, f"rider-offer-{lang}-desktop")


def test_an_address_and_a_point_near_a_village(page: Any, server: Server) -> None:
    """A booking made by coordinates is "bei Neudrossenfeld", never "an bei …" or "near"."""
    booked = book_via_api(server, hour=16, name="Punkt")
    page.goto("/?lang=de")
    page.evaluate("b => localStorage.setItem('rufbus_bookings', JSON.stringify([b]))", booked)
    page.goto("/?lang=de#bookings")
    page.wait_for_selector("#booking-list li .sentence")
    text = page.inner_text("#booking-list")
    assert "bei " in text and "near" not in text, text
