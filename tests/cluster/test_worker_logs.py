"""The API workers of ``dispatch api`` log like every other process: the service's format
(JSON when asked), its level, and one line per request when the access log is on."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.production import production_service

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_workers_write_json_lines_with_the_access_log(tmp_path: Path) -> None:
    settings = {
        "DISPATCH_LOG_FORMAT": "json",
        "DISPATCH_ACCESS_LOG": "true",
        "DISPATCH_LOG_LEVEL": "INFO",
    }
    with production_service(tmp_path, env=settings) as api:
        for _ in range(4):  # two workers: each answers some
            assert httpx.get(f"{api.url}/v1/health", timeout=10).status_code == 200
        missing = httpx.get(f"{api.url}/v1/bookings/nope", timeout=10)
        assert missing.status_code == 401
        deadline = time.monotonic() + 10
        while "/v1/bookings/nope" not in api.text() and time.monotonic() < deadline:
            time.sleep(0.2)
        lines = [line for line in api.text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    messages = [r["message"] for r in records]
    assert any("GET /v1/health" in m for m in messages), messages[-20:]
    assert any("/v1/bookings/nope" in m and "401" in m for m in messages), messages[-20:]
    assert {r["level"] for r in records} <= {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
