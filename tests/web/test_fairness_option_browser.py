"""The dispatcher view of a service with the fairness option shows the bound and where the
day stands against it, next to the figures by group (centre and periphery too); axe finds
nothing in German and Arabic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.service.conftest import AGENT_TOKEN, Server, start_server, stop_server
from tests.web.conftest import DESKTOP, TOMORROW, ZONE, screenshot, service_toml
from tests.web.test_accessibility import _check

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def fair_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("fair-web")
    config = tmp / "service.toml"
    text = service_toml(ZONE) + "[booking]\nfairness_max_gap = 0.05\n"
    config.write_text(text, encoding="utf-8")
    running = start_server(tmp, tmp / "dispatch.sqlite", tmp / "cache", ["--config", str(config)])
    yield running
    stop_server(running)


def _book(server: Server, wheelchairs: int) -> None:
    body = {"origin": {"lat": 50.03, "lon": 11.55}, "destination": {"lat": 50.0185, "lon": 11.5018},
            "depart_after": f"{TOMORROW.isoformat()}T09:00:00", "wheelchairs": wheelchairs}  # fmt: skip
    offer = httpx.post(f"{server.url}/v1/quotes", json=body, timeout=30).json()["offers"][0]
    done = httpx.post(f"{server.url}/v1/bookings", json={"offer_id": offer["offer_id"], "rider": {"name": "F"}},
                      headers={"Idempotency-Key": f"fair-{offer['offer_id']}"}, timeout=30)  # fmt: skip
    assert done.status_code == 201, done.text


@pytest.mark.parametrize("lang", ["en", "de", "ar"])
def test_the_view_shows_the_bound_and_the_gap(browser: Any, fair_server: Server, lang: str) -> None:
    if lang == "en":
        _book(fair_server, 0)
        _book(fair_server, 1)
        view = httpx.get(f"{fair_server.url}/v1/ops/fairness", params={"day": TOMORROW.isoformat()},
                         headers={"Authorization": f"Bearer {AGENT_TOKEN}"}, timeout=10).json()  # fmt: skip
        assert view["fairness_option"]["max_gap"] == 0.05
        assert view["fairness_option"]["trailing_by"] == 0.0
        assert view["fairness_option"]["asks_again"] is False
        assert {g["group"] for g in view["groups"] if g["group_kind"] == "area"} <= {
            "centre", "periphery",
        }  # fmt: skip
    context = browser.new_context(base_url=fair_server.url, viewport=DESKTOP, timezone_id=ZONE)
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        page.goto(f"/ops?lang={lang}")
        page.fill("#token", AGENT_TOKEN)
        page.press("#token", "Enter")
        page.wait_for_selector("#fleet table")
        page.fill("#day", TOMORROW.isoformat())
        page.dispatch_event("#day", "change")
        page.wait_for_selector("#fairness table")  # today has no bookings, tomorrow has
        text = page.inner_text("#fairness-option")
        if lang == "en":
            assert "bound 5.0 points" in text and "trail the others by 0.0 points" in text
            assert "within the bound" in text
            assert "Area: periphery" in page.inner_text("#fairness table")
            screenshot(page, "ops-fairness-option")
        else:
            assert ("5,0" if lang == "de" else "5.0") in text  # each language's decimals
            _check(page, "ops-fairness", lang)
    finally:
        context.close()
