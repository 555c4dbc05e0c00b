"""An address under /areas/ that names no area of this server: a 404 that says which exist."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from rider_api.app import create_app


def _client(areas: dict[str, Any]) -> TestClient:
    # No lifespan (no ``with``): routing only, no runtime is built.
    return TestClient(create_app(lambda: None, None, areas), raise_server_exceptions=False)  # type: ignore[arg-type,return-value]


def test_an_unknown_area_is_named_with_the_ones_there_are() -> None:
    client = _client({"north": lambda: None, "krems": lambda: None})
    for method in ("GET", "POST"):
        response = client.request(method, "/areas/nope/v1/stops")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        detail = response.json()["detail"]
        assert "no service area 'nope'" in detail and "north, krems" in detail
    # a known area is served by its own app, never by this answer
    known = client.get("/areas/north/v1/stops")
    assert "no service area" not in known.text


def test_a_server_of_one_area_says_it_has_no_others() -> None:
    response = _client({}).get("/areas/krems/v1/stops")
    assert response.status_code == 404
    assert "runs one area" in response.json()["detail"]
