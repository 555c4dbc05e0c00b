"""The API workers' application (built by each worker process of ``dispatch api``).

A composition root, like ``dispatch serve``: it puts the rider and driver APIs on
runtimes whose engines run in ``dispatch engine`` processes.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from dispatch.cluster.bus import RedisBus
from dispatch.cluster.worker import WorkerRuntime, build_worker_runtime
from dispatch.config import ServiceConfig
from dispatch.deployment import area_database_url, area_schema, load_deployment
from dispatch.engine.adapters.heap import settle
from dispatch.logs import log_through_root, quiet_connection_lines
from dispatch.service.runtime import Runtime, load_area_map
from dispatch.service.serve import _staff_tokens
from dispatch.settings import Settings, load_settings
from dispatch.store import open_database
from dispatch.store.database import ensure_schema
from driver_api.app import install as install_driver_api
from rider_api.app import create_app


def create() -> FastAPI:
    """The app of one worker process (uvicorn calls this in each worker)."""
    settings = load_settings()
    log_through_root(settings.log_level, settings.access_log)
    quiet_connection_lines(settings.access_log)
    assert settings.redis_url, "dispatch api checks DISPATCH_REDIS_URL before it starts workers"
    deployment = load_deployment(settings.config_file, settings)
    bus = RedisBus(settings.redis_url)
    built: dict[str, WorkerRuntime] = {}

    def builder(config: ServiceConfig) -> Callable[[], Runtime]:
        def build() -> Runtime:
            if config.area not in built:
                built[config.area] = _area_runtime(settings, config, bus)
                settle(f"service area {config.area}", keep_survivors=True, process="an API worker")
            return built[config.area]

        return build

    first = deployment.areas[0]
    return create_app(
        builder(first),
        _staff_tokens(settings, *deployment.areas),
        {a.area: builder(a) for a in deployment.areas},
        extend=[install_driver_api],
    )


def _area_runtime(settings: Settings, config: ServiceConfig, bus: RedisBus) -> WorkerRuntime:
    ensure_schema(settings.database_url, area_schema(config.area))
    area_settings = settings.model_copy(
        update={"database_url": area_database_url(settings.database_url, config.area)}
    )
    open_database(area_settings.database_url).migrate()  # a no-op once the engine has run
    return build_worker_runtime(area_settings, config, load_area_map(area_settings, config), bus)
