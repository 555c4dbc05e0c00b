"""Monitoring: Prometheus metrics at ``/metrics``, liveness at ``/healthz``, readiness at ``/readyz``.

- ``GET /healthz`` answers 200 as long as the process serves HTTP (for a supervisor
  that restarts a hung process).
- ``GET /readyz`` answers 200 only when the process can take bookings: the area's
  engine runs here (its leader is known), the database answers ``SELECT 1`` and, when
  ``DISPATCH_REDIS_URL`` is set, Redis answers ``PING``; otherwise 503 with the reasons
  and ``Retry-After`` (for a load balancer that sends traffic only to ready processes).
- ``GET /metrics``: the Prometheus text format (see ``dispatch.service.metrics``).

The checks run in a worker thread: a database that hangs does not stop the event loop.
"""

from __future__ import annotations

import time
from typing import ClassVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch.cluster.bus import redis_check
from dispatch.service.metrics import CONTENT_TYPE, ServiceMetrics
from dispatch.service.runtime import Runtime
from dispatch.store.errors import StoreUnavailable

router = APIRouter(tags=["monitoring"])

#: Seconds a load balancer should wait before asking a process that is not ready again.
NOT_READY_RETRY_S = 2


class Alive(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str = "alive"


class Readiness(BaseModel):
    """``ready`` when every check passed; ``checks`` names each check and its result."""

    model_config = ConfigDict(extra="forbid")

    status: str
    area: str
    checks: dict[str, str]


def _runtime(request: Request) -> Runtime | None:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    return runtime


@router.get("/healthz", response_model=Alive)
async def healthz() -> Alive:
    """The process is alive and serving HTTP."""
    return Alive()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready; see the checks."}},
)
async def readyz(request: Request) -> JSONResponse:
    """Ready to take bookings: engine leader known, database and (if configured) Redis answer."""
    runtime = _runtime(request)
    if runtime is None:
        body = Readiness(status="starting", area="", checks={"engine": "starting"})
        return _answer(body)
    checks = await run_in_threadpool(readiness_checks, runtime)
    ready = all(v == "ok" for v in checks.values())
    body = Readiness(
        status="ready" if ready else "not ready", area=runtime.config.area, checks=checks
    )
    return _answer(body)


def _answer(body: Readiness) -> JSONResponse:
    if body.status == "ready":
        return JSONResponse(body.model_dump())
    headers = {"Retry-After": str(NOT_READY_RETRY_S)}
    return JSONResponse(body.model_dump(), status_code=503, headers=headers)


def readiness_checks(runtime: Runtime) -> dict[str, str]:
    """Each check's result: ``ok`` or a short reason (blocking: runs in a worker thread)."""
    running = runtime.runner.running and runtime.summary() is not None
    checks = {"engine": "ok" if running else "no engine leads this area"}
    try:
        runtime.repo.db.ping()
        checks["database"] = "ok"
    except StoreUnavailable as exc:
        checks["database"] = f"unavailable: {exc}"
    if runtime.settings.redis_url:
        checks["redis"] = redis_check(runtime.settings.redis_url)
    return checks


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
)
async def metrics(request: Request) -> Response:
    """Counters, gauges and latency histograms in the Prometheus text format."""
    runtime = _runtime(request)
    body = runtime.metrics.exposition() if runtime and runtime.metrics else b""
    return Response(body, media_type=CONTENT_TYPE)


class LatencyMiddleware:
    """Times quote requests and booking attempts into the service's metrics."""

    TIMED: ClassVar[dict[tuple[str, str], str]] = {
        ("POST", "/v1/quotes"): "quote",
        ("POST", "/v1/bookings"): "booking",
    }

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):  # an area's API under /areas/NAME/
            path = path[len(root) :]
        kind = self.TIMED.get((scope.get("method", ""), path))
        if scope["type"] != "http" or kind is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            _observe(scope, kind, time.perf_counter() - started, status)


def _observe(scope: Scope, kind: str, seconds: float, status: int) -> None:
    runtime: Runtime | None = getattr(scope["app"].state, "runtime", None)
    metrics: ServiceMetrics | None = runtime.metrics if runtime else None
    if metrics is None:
        return
    if kind == "quote":
        metrics.observe_quote(seconds, status)
    else:
        metrics.observe_booking(seconds, status)


def install(app: FastAPI) -> None:
    app.add_middleware(LatencyMiddleware)
    app.include_router(router)
