"""Headers on every answer, ``/docs`` served by the service itself, the OpenAPI document's
error responses."""

from __future__ import annotations

import httpx
import pytest

from tests.service.conftest import Server

pytestmark = pytest.mark.realdata

PATHS = [
    "/", "/console", "/ops", "/driver", "/docs", "/openapi.json", "/v1/health", "/v1/stops",
    "/static/rider.js", "/static/style.css", "/driver/static/driver.js",
    "/driver/static/driver.css", "/docs/static/swagger-ui-bundle.js", "/docs/static/init.js",
    "/manifest.webmanifest", "/sw.js", "/v1/bookings/nope", "/no/such/page",
]  # fmt: skip


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_has_the_security_headers(server: Server, path: str) -> None:
    response = httpx.get(f"{server.url}{path}")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp


def test_docs_load_nothing_from_elsewhere(server: Server) -> None:
    page = httpx.get(f"{server.url}/docs").text
    assert "http" not in page.replace("http-equiv", "")
    for asset in ("/docs/static/swagger-ui-bundle.js", "/docs/static/swagger-ui.css"):
        assert httpx.get(f"{server.url}{asset}").status_code == 200
    assert httpx.get(f"{server.url}/redoc").status_code == 404


def test_openapi_lists_problem_json_errors_for_every_operation(server: Server) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            errors = {k: v for k, v in operation["responses"].items() if k[0] in "45"}
            assert {"422", "503"} <= set(errors), (method, path)
            for response in errors.values():
                assert list(response["content"]) == ["application/problem+json"], (method, path)
    booking = document["paths"]["/v1/bookings"]["post"]["responses"]
    assert {"400", "401", "404", "409", "413", "422", "503"} <= set(booking)
