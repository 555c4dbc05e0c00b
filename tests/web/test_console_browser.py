"""The hotline console in Chromium: find a caller by phone, book for them, warnings, register."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.conftest import (
    AGENT_TOKEN,
    TOMORROW,
    Server,
    agent_headers,
    screenshot,
    stop_named,
    tab_to,
    type_date_and_time,
)

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _register(server: Server, phone: str, language: str = "tr") -> dict[str, Any]:
    home = stop_named(server, "Neudrossenfeld")
    body = {
        "name": "Hilde Meier",
        "phone": phone,
        "language": language,
        "needs": {"wheelchair": False, "walker": True, "extra_boarding_s": 120},
        "home": {"label": "Neudrossenfeld, Kirchplatz 1", "lat": home["lat"], "lon": home["lon"]},
    }
    created = httpx.post(f"{server.url}/v1/riders", json=body, headers=agent_headers())
    assert created.status_code == 201, created.text
    return dict(created.json())


def _sign_in(page: Any) -> None:
    page.goto("/console?lang=de")
    tab_to(page, "#token")
    page.keyboard.type(AGENT_TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_selector("#desk:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "phone"


def _destination(page: Any, field: str, text: str) -> None:
    """Type, wait for the suggestions of the whole text (not of a part typed earlier), choose."""
    tab_to(page, field)
    page.keyboard.type(text, delay=20)
    page.wait_for_selector(f"{field}-list li[role=option]:not([aria-disabled]):has-text('{text}')")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "f => document.querySelector(f).getAttribute('aria-expanded') === 'false'", arg=field
    )


def test_agent_finds_a_caller_by_phone_and_books_for_them(page: Any, server: Server) -> None:
    rider = _register(server, "+49 921 555123")
    _sign_in(page)
    page.keyboard.type("0921 555123")
    page.keyboard.press("Enter")
    page.wait_for_selector("#rider-name")
    assert page.inner_text("#rider-name") == "Hilde Meier"
    assert "Rollator" in page.inner_text("#rider-facts")
    assert page.input_value("#book-from") == "Neudrossenfeld, Kirchplatz 1"
    assert page.evaluate("document.activeElement.id") == "book-from"

    _destination(page, "#book-to", "Harsdorf")
    type_date_and_time(page, "#book-date", "#book-time", TOMORROW, "09:30")
    page.keyboard.press("Enter")
    page.wait_for_selector("#agent-offers .aloud")
    aloud = page.locator("#agent-offers .aloud").first
    assert aloud.get_attribute("lang") == "tr"
    assert "Otobüs sizi" in aloud.inner_text(), "read aloud in the caller's language"
    screenshot(page, "console-offer-desktop")
    tab_to(page, "#agent-offers button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#booked-message")
    page.wait_for_selector("#rider-bookings .status.confirmed")

    listed = httpx.get(
        f"{server.url}/v1/riders/{rider['rider_id']}/bookings", headers=agent_headers()
    ).json()
    assert [b["status"] for b in listed] == ["confirmed"]

    # the same ride again, ten minutes later: likely a duplicate
    page.fill("#book-time", "09:40")
    page.click("#book-form button[type=submit]")
    page.wait_for_selector("#warnings .notice.warn")
    assert "schon eine Fahrt" in page.inner_text("#warnings")
    assert "aus der Nähe von Neudrossenfeld nach Harsdorf" in page.inner_text("#warnings")
    # the warnings come at once, the offers when the service answered
    page.wait_for_selector("#agent-offers button:has-text('Trotz Warnung')")

    # 3 o'clock at night is probably 15:00
    page.fill("#book-time", "03:00")
    page.click("#book-form button[type=submit]")
    page.wait_for_selector("#warnings button")
    page.click("#warnings button")
    assert page.input_value("#book-time") == "15:00"


def test_cancel_from_the_callers_bookings(page: Any, server: Server) -> None:
    rider = _register(server, "0921 777001", language="de")
    _sign_in(page)
    page.keyboard.type("0921 777001")
    page.keyboard.press("Enter")
    page.wait_for_selector("#rider-name")
    _destination(page, "#book-to", "Harsdorf")
    page.fill("#book-date", TOMORROW.isoformat())
    page.fill("#book-time", "13:00")
    page.click("#book-form button[type=submit]")
    assert "Der Bus holt Sie am" in page.locator("#agent-offers .aloud").first.inner_text()
    page.click("#agent-offers button")
    page.wait_for_selector("#rider-bookings .status.confirmed")
    page.click("#rider-bookings button.danger")
    question = page.locator("#rider-bookings .confirm-question")
    assert "wirklich stornieren" in question.inner_text(), "one click asks first"
    assert page.evaluate("document.activeElement.className") == "confirm-question"
    screenshot(page, "console-cancel-question-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "console-cancel-question-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#rider-bookings button.confirm-no")
    assert page.locator("#rider-bookings .status.confirmed").count() == 1, "No keeps the ride"
    page.focus("#rider-bookings button.danger")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # a doubled Enter only reaches the question
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Yes, cancel"
    page.wait_for_selector("#rider-bookings .status.cancelled")
    listed = httpx.get(
        f"{server.url}/v1/riders/{rider['rider_id']}/bookings", headers=agent_headers()
    ).json()
    assert [b["status"] for b in listed] == ["cancelled"]


def test_unknown_caller_is_registered_with_needs_and_home(page: Any, server: Server) -> None:
    _sign_in(page)
    page.keyboard.type("0921 999888")
    page.keyboard.press("Enter")
    page.wait_for_selector("#create-form:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "new-name"
    assert page.input_value("#new-phone") == "0921 999888"
    page.keyboard.type("Karl Weber")
    page.select_option("#new-language", "uk")
    page.check("#new-wheelchair")
    _destination(page, "#new-home", "Harsdorf")
    page.click("#create-form button[type=submit]")
    page.wait_for_selector("#rider-name")
    assert page.inner_text("#rider-name") == "Karl Weber"
    assert "Українська" in page.inner_text("#rider-facts")
    assert page.is_checked("#book-wheelchair"), "the caller's needs are the booking's defaults"
    found = httpx.get(
        f"{server.url}/v1/riders", params={"phone": "0921999888"}, headers=agent_headers()
    ).json()
    assert found["name"] == "Karl Weber" and found["needs"]["wheelchair"] is True
    assert found["home"]["label"].startswith("Harsdorf")


def test_standing_orders_or_a_clear_message(page: Any, server: Server) -> None:
    rider = _register(server, "0921 424242", language="de")
    _sign_in(page)
    page.keyboard.type("0921 424242")
    page.keyboard.press("Enter")
    page.wait_for_selector("#rider-name")
    path = f"{server.url}/v1/riders/{rider['rider_id']}/standing-orders"
    available = httpx.get(path, headers=agent_headers()).status_code != 404
    if not available:
        page.wait_for_selector("#so-notice.warn")
        assert "noch nicht verfügbar" in page.inner_text("#so-notice")
        return
    _destination(page, "#so-to", "Harsdorf")
    page.fill("#so-time", "08:00")
    page.fill("#so-start", TOMORROW.isoformat())
    page.fill("#so-end", TOMORROW.isoformat())
    page.click("#so-form button[type=submit]")
    page.wait_for_selector("#so-list li")
    assert "Dauerauftrag angelegt" in page.inner_text("#so-notice")
    orders = httpx.get(path, headers=agent_headers()).json()
    assert len(orders) == 1 and orders[0]["start_date"] == TOMORROW.isoformat()
