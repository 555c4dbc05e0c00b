"""``/docs`` works in a browser without the internet and under its Content-Security-Policy."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import Server, screenshot


def test_api_docs_render_offline_without_csp_violations(page: Any, server: Server) -> None:
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(server.url) else None,
    )
    page.goto("/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    assert page.locator(".opblock-summary-path").count() >= 20
    assert page.get_by_text("/v1/bookings/{booking_id}/cancel").count() >= 1
    screenshot(page, "api-docs-desktop")
    assert outside == []
    assert not [p for p in problems if "Content Security Policy" in p], problems
