"""Monitoring of a real service process: /healthz, /readyz, /metrics and JSON logs.

The metrics are parsed with Prometheus' own text parser and checked against what the
test did (one quote, one booking, one repeated booking attempt, one connected device).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from dispatch.store.errors import StoreUnavailable
from rider_api.monitoring import readiness_checks
from tests.service.conftest import ADMIN_TOKEN, AGENT_TOKEN, Server, stop_server
from tests.service.launch import osm_source, service_toml
from tests.service.test_api import service_today
from tests.serving import free_port, launch

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not _redis_is_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    tmp = tmp_path_factory.mktemp("monitoring")
    config = tmp / "service.toml"
    config.write_text(service_toml(osm_source(), buses=2, period_s=3600))
    env = {
        **os.environ,
        "DISPATCH_DATABASE_URL": f"sqlite:///{tmp / 'dispatch.sqlite'}",
        "DISPATCH_OSM_CACHE": str(tmp / "cache"),
        "DISPATCH_AGENT_TOKENS": AGENT_TOKEN,
        "DISPATCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "DISPATCH_LOG_LEVEL": "INFO",
        "DISPATCH_LOG_FORMAT": "json",
        "DISPATCH_REDIS_URL": REDIS_URL,
    }
    launched = launch(tmp, ["--config", str(config)], env, timeout_s=120)
    running = Server(launched.url, launched.process, env, launched.log, launched.handle)
    yield running
    stop_server(running)


def _samples(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{server.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    key = (name, tuple(sorted({"area": "test-service", **labels}.items())))
    return samples[key]


def _quote_and_book(server: Server) -> tuple[httpx.Response, httpx.Response]:
    stops = httpx.get(f"{server.url}/v1/stops", timeout=10).json()
    body = {
        "origin": {"stop_id": stops[0]["stop_id"]},
        "destination": {"stop_id": stops[-1]["stop_id"]},
        "depart_after": f"{service_today() + timedelta(days=1)}T21:00:00",
    }
    quote = httpx.post(f"{server.url}/v1/quotes", json=body, timeout=30)
    assert quote.status_code == 200, quote.text
    offer = quote.json()["offers"][0]["offer_id"]
    headers = {"Idempotency-Key": "monitoring-test-0001"}
    booking = {"offer_id": offer, "rider": {"name": "Monitor"}}
    first = httpx.post(f"{server.url}/v1/bookings", json=booking, headers=headers, timeout=30)
    again = httpx.post(f"{server.url}/v1/bookings", json=booking, headers=headers, timeout=30)
    return first, again


def test_healthz_and_readyz_with_database_and_redis(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "alive"}
    ready = httpx.get(f"{server.url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"engine": "ok", "database": "ok", "redis": "ok"}


def test_metrics_count_what_happened(server: Server) -> None:
    before = _samples(server)
    first, again = _quote_and_book(server)
    assert first.status_code == 201, first.text
    assert again.status_code == 201  # the same answer once more
    url = server.url.replace("http://", "ws://") + "/v1/vehicles/bus-1/stream"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "token": "device-token-bus-1"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        during = _samples(server)
    after = _samples(server)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted({"area": "test-service", **labels}.items())))
        return _value(during, name, **labels) - before.get(key, 0.0)

    assert grew("dispatch_quote_seconds_count", status="200") == 1
    assert again.json()["booking_id"] == first.json()["booking_id"]
    assert grew("dispatch_booking_attempts_total", result="confirmed") == 2  # with the retry
    assert grew("dispatch_booking_attempts_total", result="conflict") == 0
    assert grew("dispatch_booking_seconds_count", result="confirmed") == 2
    assert _value(during, "dispatch_connected_devices") == 1
    assert _value(after, "dispatch_connected_devices") == 0
    assert _value(during, "dispatch_engine_leader") == 1
    assert _value(during, "dispatch_engine_queue_depth") >= 0
    for name in ("dispatch_solver_runs_total", "dispatch_plan_adoptions_total"):
        assert _value(during, name) >= 0


def test_logs_are_json_lines(server: Server) -> None:
    httpx.get(f"{server.url}/healthz")
    lines = [line for line in server.log.read_text().splitlines() if line.strip()]
    assert lines, "the service logged nothing"
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert any(r["logger"].startswith("uvicorn") for r in records)


class _Db:
    def __init__(self, fails: bool) -> None:
        self.fails = fails

    def ping(self) -> None:
        if self.fails:
            raise StoreUnavailable("connection refused")


def test_readiness_names_what_is_missing() -> None:
    closed = free_port()  # nothing listens there
    runtime: Any = SimpleNamespace(
        runner=SimpleNamespace(running=False),
        summary=lambda: None,
        repo=SimpleNamespace(db=_Db(fails=True)),
        settings=SimpleNamespace(redis_url=f"redis://127.0.0.1:{closed}/0"),
    )
    checks = readiness_checks(runtime)
    assert checks["engine"] == "no engine leads this area"
    assert checks["database"].startswith("unavailable")
    assert checks["redis"].startswith("unavailable")
    runtime.runner.running, runtime.repo.db.fails, runtime.settings.redis_url = True, False, None
    assert readiness_checks(runtime)["engine"] == "no engine leads this area"  # not heard yet
    runtime.summary = lambda: "the engine's figures"
    assert readiness_checks(runtime) == {"engine": "ok", "database": "ok"}


def test_a_bad_log_format_is_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "DISPATCH_LOG_FORMAT": "xml"}
    done = subprocess.run(
        [sys.executable, "-c", "from dispatch.cli import main; main()", "serve", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "error: DISPATCH_LOG_FORMAT: expected 'text' or 'json', not 'xml'"


def test_a_service_nobody_can_sign_in_to_says_so(tmp_path: Path) -> None:
    config = tmp_path / "service.toml"
    config.write_text(service_toml(osm_source(), buses=1, period_s=3600))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPATCH_AGENT_TOKENS", "DISPATCH_ADMIN_TOKEN", "DISPATCH_CONFIG_FILE")
    }
    env.update(
        DISPATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'dispatch.sqlite'}",
        DISPATCH_OSM_CACHE=str(tmp_path / "cache"),
        DISPATCH_LOG_LEVEL="WARNING",
    )
    launched = launch(tmp_path, ["--config", str(config)], env, timeout_s=120)
    running = Server(launched.url, launched.process, env, launched.log, launched.handle)
    try:
        text = running.log.read_text()
    finally:
        stop_server(running)
    assert "no agent or admin tokens: nobody can sign in to the hotline console" in text
    assert "DISPATCH_AGENT_TOKENS" in text
