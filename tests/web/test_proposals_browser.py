"""Residents propose a stop in the browser, an agent accepts it in the planning view, and
the new stop is quotable at once (no restart); the pages pass axe in German and Arabic."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.conftest import AGENT_TOKEN, TOMORROW, Server
from tests.web.test_accessibility import _check

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def _propose(page: Any, reason: str) -> int:
    page.goto("/proposals?lang=en")
    page.fill("#where", "Harsdorf")
    page.wait_for_selector("#where-list li[role=option]:not([aria-disabled])")
    page.keyboard.press("Enter")
    page.fill("#reason", reason)
    page.click("#propose-form button[type=submit]")
    page.wait_for_selector("#propose-result:has-text('#')")
    item = page.locator("#proposal-list li", has_text=reason).first
    return int(item.get_attribute("data-proposal"))


def test_resident_proposes_agent_accepts_stop_is_quotable(page: Any, server: Server) -> None:
    proposal = _propose(page, "doctor's surgery in Harsdorf")
    page.locator(f"#proposal-list li[data-proposal='{proposal}'] button").click()
    page.wait_for_selector(f"#proposal-list li[data-proposal='{proposal}'] :text('1 supporters')")
    public = httpx.get(f"{server.url}/v1/proposals", timeout=10).json()
    mine = next(p for p in public if p["proposal_id"] == proposal)
    assert mine["status"] == "new" and mine["supports"] == 1 and "channel" not in mine

    page.goto("/planning?lang=en")
    page.fill("#token", AGENT_TOKEN)
    page.press("#token", "Enter")
    page.wait_for_selector(f"#proposals li[data-proposal='{proposal}'] form")
    page.select_option(f"#decision-{proposal}", "accepted")
    page.fill(f"#name-{proposal}", "Harsdorf, Arztpraxis")
    page.click(f"#proposals li[data-proposal='{proposal}'] button[type=submit]")
    page.wait_for_selector(
        f"#proposals li[data-proposal='{proposal}'] :text('now stop proposal-{proposal}')"
    )

    stops = httpx.get(f"{server.url}/v1/stops", timeout=10).json()
    assert any(s["stop_id"] == f"proposal-{proposal}" for s in stops)
    quote = httpx.post(f"{server.url}/v1/quotes", timeout=30, json={
        "origin": {"stop_id": f"proposal-{proposal}"}, "destination": {"lat": 50.0185, "lon": 11.5018},
        "depart_after": f"{TOMORROW.isoformat()}T10:00:00"})  # fmt: skip
    assert quote.status_code == 200, quote.text
    assert quote.json()["offers"], quote.json()
    planning = httpx.get(f"{server.url}/v1/planning/unmet", params={"month": TOMORROW.strftime("%Y-%m")},
                         headers={"Authorization": f"Bearer {AGENT_TOKEN}"}, timeout=10).json()  # fmt: skip
    accepted = next(p for p in planning["proposals"] if p["proposal_id"] == proposal)
    assert accepted["status"] == "accepted" and accepted["decided_by"].startswith("agent:")
    assert accepted["decided_at"] is not None


def test_declining_needs_a_reason_and_residents_cannot_decide(server: Server) -> None:
    made = httpx.post(
        f"{server.url}/v1/proposals",
        json={"lat": 50.03, "lon": 11.55, "reason": "school"},
        timeout=10,
    ).json()
    url = f"{server.url}/v1/proposals/{made['proposal_id']}/decision"
    assert httpx.post(url, json={"status": "declined"}, timeout=10).status_code == 401
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    no_reason = httpx.post(url, json={"status": "declined"}, headers=agent, timeout=10)
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    ok = httpx.post(
        url, json={"status": "declined", "reason": "a stop 80 m away"}, headers=agent, timeout=10
    )
    assert ok.json()["status"] == "declined"
    far = httpx.post(
        f"{server.url}/v1/proposals", json={"lat": 10.0, "lon": 10.0, "reason": "x"}, timeout=10
    )
    assert far.status_code == 422 and "service area" in far.json()["detail"]


def _planning(page: Any, lang: str) -> None:
    page.goto(f"/planning?lang={lang}")
    page.fill("#token", AGENT_TOKEN)
    page.press("#token", "Enter")
    page.wait_for_selector("#proposals li, #proposals p")


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_proposal_pages_pass_axe(page: Any, server: Server, lang: str) -> None:
    httpx.post(
        f"{server.url}/v1/proposals",
        json={"lat": 50.02, "lon": 11.52, "reason": "Kindergarten"},
        timeout=10,
    )
    page.goto(f"/proposals?lang={lang}")
    page.wait_for_selector("#proposal-list li")
    _check(page, "proposals", lang)
    _planning(page, lang)
    _check(page, "planning", lang)


def test_dispatcher_sees_fairness_by_group(server: Server) -> None:
    body = {"origin": {"lat": 50.03, "lon": 11.55}, "destination": {"lat": 50.0185, "lon": 11.5018},
            "depart_after": f"{TOMORROW.isoformat()}T09:00:00", "passengers": 1, "wheelchairs": 1}  # fmt: skip
    offer = httpx.post(f"{server.url}/v1/quotes", json=body, timeout=30).json()["offers"][0]
    httpx.post(f"{server.url}/v1/bookings", json={"offer_id": offer["offer_id"], "rider": {"name": "F"}},
               headers={"Idempotency-Key": f"fair-{offer['offer_id']}"}, timeout=30)  # fmt: skip
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    assert httpx.get(f"{server.url}/v1/ops/fairness", timeout=10).status_code == 401
    day = httpx.get(f"{server.url}/v1/ops/fairness", params={"day": TOMORROW.isoformat()},
                    headers=agent, timeout=10).json()  # fmt: skip
    wheelchair = [
        g for g in day["groups"] if g["group_kind"] == "wheelchair" and g["group"] == "wheelchair"
    ]
    assert wheelchair and wheelchair[0]["requests"] >= 1 and wheelchair[0]["served"] >= 1
