"""The FastAPI application of the service (rider and hotline API; OpenAPI docs at /docs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from dispatch.service.runtime import Runtime
from rider_api import errors, routes


def create_app(build: Callable[[], Runtime]) -> FastAPI:
    """``build`` creates the runtime at start-up (in a worker thread: it loads the map)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = await run_in_threadpool(build)
        try:
            yield
        finally:
            await run_in_threadpool(app.state.runtime.stop)

    app = FastAPI(
        title="Rufbus dispatch",
        version="0.1.0",
        lifespan=lifespan,
        description="Book on-demand rural bus rides: quotes, bookings, cancellations.",
    )
    errors.install(app)
    app.include_router(routes.router)
    return app
