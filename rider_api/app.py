"""The FastAPI application of the service (rider and hotline API; OpenAPI docs at /docs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Query
from fastapi.concurrency import run_in_threadpool

from dispatch.errors import InputError, NotFoundError, SnapError
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
from rider_api.schemas import Problem
from rider_api.schemas.common import PublicModel


def create_app(
    build: Callable[[], Runtime],
    staff: StaffTokens | None = None,
    areas: Mapping[str, Callable[[], Runtime]] | None = None,
    extend: Sequence[Callable[[FastAPI], None]] = (),
) -> FastAPI:
    """``build`` creates the runtime at start-up (in a worker thread: it loads the map);
    ``staff`` holds the agents' and the admin's tokens.

    ``areas`` (production shape, several service areas): each area's API also answers
    under ``/areas/NAME/`` with the runtime its builder makes; ``extend`` adds more
    routes (the driver API) to the app and to every area's app."""
    area_apps = {name: _app(None) for name in areas or {}}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtimes = [await run_in_threadpool(build)]
        attach(app, runtimes[0], staff)
        for name, build_area in (areas or {}).items():
            runtime = await run_in_threadpool(build_area)
            attach(area_apps[name], runtime, staff)
            runtimes.append(runtime)
        served = {name: a.state.runtime for name, a in area_apps.items()}
        for runtime in runtimes:  # a trip that starts in another area: say which
            runtime.booking.elsewhere = _elsewhere(runtime, served)
        try:
            yield
        finally:
            for runtime in {id(r): r for r in runtimes}.values():
                await run_in_threadpool(runtime.stop)

    app = _app(lifespan)

    _list_areas(app, area_apps)

    for name, area_app in area_apps.items():
        _list_areas(area_app, area_apps)  # also asked from a page under /areas/NAME/
        for add in extend:
            add(area_app)
        app.mount(f"/areas/{name}", area_app)
    for add in extend:
        add(app)
    _answer_unknown_areas(app, list(area_apps))
    return app


def _list_areas(app: FastAPI, area_apps: Mapping[str, FastAPI]) -> None:
    """``GET /v1/areas``: the areas this server answers for, or those reaching a point."""

    @app.get(
        "/v1/areas",
        tags=["areas"],
        response_model=list[AreaPublic],
        responses={
            422: {"model": Problem, "description": "Only one of lat and lon, or out of range"}
        },
    )
    def list_areas(
        lat: Annotated[
            float | None, Query(ge=-90, le=90, description="where the trip starts")
        ] = None,
        lon: Annotated[
            float | None, Query(ge=-180, le=180, description="where the trip starts")
        ] = None,
    ) -> list[AreaPublic]:
        """The service areas this server answers for: the default one at the root, each
        also under ``/areas/NAME/`` (a deployment of several areas). With ``lat`` and
        ``lon``, only the areas whose roads reach that point: where a trip starting there
        is booked."""
        if (lat is None) != (lon is None):
            raise InputError("give both lat and lon (where the trip starts), or neither")
        own: list[tuple[AreaPublic, Runtime | None]] = []
        runtime: Runtime | None = getattr(app.state, "runtime", None)
        if runtime is not None and not area_apps:
            own.append(
                (AreaPublic(area=runtime.config.area, name=runtime.config.name, url="/"), runtime)
            )
        for name, area_app in area_apps.items():
            area_runtime: Runtime | None = getattr(area_app.state, "runtime", None)
            title = area_runtime.config.name if area_runtime else name
            own.append((AreaPublic(area=name, name=title, url=f"/areas/{name}/"), area_runtime))
        if lat is None or lon is None:
            return [area for area, _ in own]
        return [area for area, rt in own if rt is not None and _reaches(rt, lat, lon)]


def _answer_unknown_areas(app: FastAPI, known: list[str]) -> None:
    """``/areas/NAME/…`` for an area not mounted: a 404 naming the areas there are (the
    mounts are matched first, so this route is reached only for other names)."""
    names = ", ".join(known) or "none: this server runs one area, at /"

    @app.api_route(
        "/areas/{name}/{rest:path}",
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def unknown_area(name: str, rest: str) -> None:
        raise NotFoundError(f"no service area {name!r} here (areas: {names}; see GET /v1/areas)")


def _reaches(runtime: Runtime, lat: float, lon: float) -> bool:
    """The area's roads reach the point (a trip may start there)."""
    try:
        runtime.network.snap(lat, lon)
    except SnapError:
        return False
    return True


def _elsewhere(
    runtime: Runtime, served: Mapping[str, Runtime]
) -> Callable[[float, float], str | None]:
    """For ``runtime``'s quotes: the other area of this server whose roads reach a place."""

    def area(lat: float, lon: float) -> str | None:
        for name, other in served.items():
            if other is not runtime and _reaches(other, lat, lon):
                return name
        return None

    return area


class AreaPublic(PublicModel):
    """A service area: its short name, its title, and where its API and pages are."""

    area: str
    name: str
    url: str


def attach(app: FastAPI, runtime: Runtime, staff: StaffTokens | None) -> None:
    """Let ``app`` serve ``runtime`` (its routes read it from the app's state)."""
    app.state.staff_tokens = staff or StaffTokens()
    app.state.runtime = runtime
    app.state.search_index = runtime.search
    app.state.stops = runtime.stops.stops
    app.state.time_zone = runtime.config.zone


def _app(lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None) -> FastAPI:
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
