"""The FastAPI application of the service (rider and hotline API; OpenAPI docs at /docs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from dispatch.service.runtime import Runtime
from rider_api import (
    admin,
    clock,
    docs,
    edges,
    errors,
    monitoring,
    open_data,
    openapi,
    ops,
    ops_fairness,
    pages,
    places,
    proposals,
    publish,
    riders,
    routes,
)
from rider_api.auth import StaffTokens


def create_app(build: Callable[[], Runtime], staff: StaffTokens | None = None) -> FastAPI:
    """``build`` creates the runtime at start-up (in a worker thread: it loads the map);
    ``staff`` holds the agents' and the admin's tokens."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.staff_tokens = staff or StaffTokens()
        runtime = await run_in_threadpool(build)
        app.state.runtime = runtime
        app.state.search_index = runtime.search
        app.state.stops = runtime.stops.stops
        app.state.time_zone = runtime.config.zone
        try:
            yield
        finally:
            await run_in_threadpool(app.state.runtime.stop)

    app = FastAPI(
        title="Rufbus dispatch",
        version="0.1.0",
        lifespan=lifespan,
        description="Book on-demand rural bus rides: quotes, bookings, cancellations. "
        "Errors come as application/problem+json; a 503 carries Retry-After.",
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    app.add_middleware(edges.EdgeMiddleware)  # outermost: every answer gets its headers
    openapi.install(app)
    monitoring.install(app)
    docs.install(app)
    app.include_router(places.router)
    app.include_router(routes.router)
    app.include_router(riders.router)
    app.include_router(admin.router)
    app.include_router(ops.router)
    app.include_router(ops_fairness.router)
    app.include_router(clock.router)
    app.include_router(publish.router)
    app.include_router(open_data.router)
    app.include_router(proposals.router)
    app.include_router(pages.router)
    return app
