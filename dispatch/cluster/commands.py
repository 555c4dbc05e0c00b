"""``dispatch engine`` and ``dispatch api``: the production shape's two kinds of process."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from dispatch.errors import InputError
from dispatch.service.metrics import MULTIPROCESS_ENV
from dispatch.settings import Settings, load_settings

log = logging.getLogger(__name__)
#: The app of one API worker (uvicorn builds it in each worker process).
APP_FACTORY = "dispatch.cluster.api_app:create"

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="A service definition (one area) or a deployment file listing several "
        "([[areas]] config = FILE). Default: DISPATCH_CONFIG_FILE, else the built-in service.",
    ),
]


def engine(
    config: ConfigOption = None,
    area: Annotated[
        str | None,
        typer.Option(help="The service area to run (needed when the deployment has several)."),
    ] = None,
) -> None:
    """Run the engine of one service area: the single writer of its bookings and plans.

    Needs PostgreSQL (DISPATCH_DATABASE_URL) and Redis (DISPATCH_REDIS_URL). A second
    engine for the same area waits as a hot standby and takes over within seconds when
    the leader stops or dies, and after DISPATCH_LEADER_LEASE_S (default 10) seconds
    when the leader hangs; a replaced leader exits with code 3 without writing. Stop
    with Ctrl-C or SIGTERM.
    """
    from dispatch.cluster.bus import RedisBus
    from dispatch.cluster.engine_process import run_engine
    from dispatch.deployment import area_database_url, area_schema, load_deployment
    from dispatch.store.database import ensure_schema

    settings = _production_settings()
    service = load_deployment(config or settings.config_file, settings).area(area)
    assert settings.redis_url is not None
    ensure_schema(settings.database_url, area_schema(service.area))
    url = area_database_url(settings.database_url, service.area)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    bus = RedisBus(settings.redis_url)
    try:
        run_engine(settings.model_copy(update={"database_url": url}), service, bus, stop)
    finally:
        bus.close()
    log.info("engine for %s stopped", service.area)


def api(
    config: ConfigOption = None,
    workers: Annotated[
        int, typer.Option(help="HTTP worker processes behind the one port.", min=1, max=64)
    ] = 2,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default 8000).", min=1, max=65535)
    ] = None,
) -> None:
    """Run the rider, agent and driver APIs as N stateless worker processes.

    Each worker sends quotes, bookings and drivers' reports to the area's engine
    (`dispatch engine`) over Redis and reads the database directly. Every area's API
    answers under /areas/NAME/; the first area also at the root. Needs PostgreSQL
    (DISPATCH_DATABASE_URL) and Redis (DISPATCH_REDIS_URL).
    """
    import uvicorn

    from dispatch.deployment import area_schema, load_deployment
    from dispatch.service.runtime import load_area_map
    from dispatch.service.serve import _check_free
    from dispatch.store.database import ensure_schema

    settings = _production_settings()
    path = config or settings.config_file
    # Everything a worker needs is checked here first, so that a bad file, a missing map
    # or an unreachable database ends in one line, not in every worker's traceback.
    for area in load_deployment(path, settings).areas:
        ensure_schema(settings.database_url, area_schema(area.area))
        load_area_map(settings, area)  # also compiles each map once for all workers
    bind_host, bind_port = host or settings.host, port or settings.port
    _check_free(bind_host, bind_port)
    if path is not None:  # the workers read the deployment from the environment
        os.environ["DISPATCH_CONFIG_FILE"] = str(path.resolve())
    log.info("API on http://%s:%d with %d workers", bind_host, bind_port, workers)
    if workers == 1:  # one process: its metrics are all there is
        _run_workers(uvicorn, settings, bind_host, bind_port, workers)
        return
    # Each worker process counts in files here; every worker's /metrics adds them all up.
    # (Set before uvicorn starts the workers: each reads it when it imports the client.)
    shared = tempfile.mkdtemp(prefix="rufbus-metrics-")
    os.environ[MULTIPROCESS_ENV] = shared
    try:
        _run_workers(uvicorn, settings, bind_host, bind_port, workers)
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def _run_workers(uvicorn: Any, settings: Settings, host: str, port: int, workers: int) -> None:
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": settings.log_level.lower(),
        "access_log": settings.access_log,
        "log_config": None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
    }
    if workers == 1:
        uvicorn.run(APP_FACTORY, **options)
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(APP_FACTORY, **options)
    Multiprocess(config, sockets=[as_tcp(config.bind_socket())]).run()


def as_tcp(sock: socket.socket) -> socket.socket:
    """``sock`` (a bound listening socket) re-wrapped with protocol TCP (same descriptor).

    With several workers uvicorn binds the socket itself and leaves its protocol at 0; the
    connections it accepts inherit that, and asyncio then never turns Nagle's algorithm
    off (uvicorn issue 3149): every answer on a kept-alive connection would wait ~40 ms
    for the client's delayed ACK. Said to be TCP, asyncio sets TCP_NODELAY on each
    connection, as it does with one worker.
    """
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto == socket.IPPROTO_TCP:
        return sock
    tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    tcp.set_inheritable(True)
    return tcp


def _production_settings() -> Settings:
    settings = load_settings()
    if not settings.redis_url:
        raise InputError(
            "the production shape needs Redis: set DISPATCH_REDIS_URL (e.g. "
            "redis://127.0.0.1:6379/0); for one process without Redis use `dispatch serve`"
        )
    if not settings.database_url.startswith(("postgresql", "postgres:")):
        raise InputError(
            "the production shape needs PostgreSQL: set DISPATCH_DATABASE_URL="
            "postgresql://USER@HOST/DB; for SQLite use `dispatch serve`"
        )
    from dispatch.cluster.bus import redis_check

    answer = redis_check(settings.redis_url)
    if answer != "ok":
        raise InputError(f"Redis at {settings.redis_url}: {answer}")
    return settings


def register(cli: Any) -> None:
    cli.app.command("engine")(engine)
    cli.app.command("api")(api)
