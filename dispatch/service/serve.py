"""``dispatch serve``: the composition root that starts the whole service."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import SecretStr

from dispatch.config import ServiceConfig, load_service_config
from dispatch.errors import InputError
from dispatch.logs import quiet_connection_lines
from dispatch.settings import Settings, load_settings

if TYPE_CHECKING:
    from rider_api.auth import StaffTokens

log = logging.getLogger(__name__)


def serve(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Service definition (TOML). Default: the built-in north-bayreuth service.",
        ),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default 8000).", min=1, max=65535)
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Also run simulated buses (real driver-API clients) and riders who book "
            "trips, on a fresh demo database (data/demo.sqlite).",
        ),
    ] = False,
    speedup: Annotated[
        float,
        typer.Option(help="With --demo: let time pass N times faster than real time.", min=0.1),
    ] = 1.0,
) -> None:
    """Run the booking and dispatch service: rider/hotline API, engine and re-optimisation.

    Uses SQLite in data/dispatch.sqlite unless DISPATCH_DATABASE_URL is set, and the map
    from the service definition (or DISPATCH_OSM_SOURCE). API docs: http://HOST:PORT/docs
    """
    from dispatch.engine.adapters.heap import settle
    from dispatch.service.runtime import build_runtime
    from driver_api.app import install as install_driver_api
    from rider_api.app import create_app

    if speedup != 1.0 and not demo:
        raise InputError("--speedup works only with --demo (the live service runs on real time)")
    settings = load_settings()
    service = load_service_config(config or settings.config_file, osm_source=settings.osm_source)
    # Built before the server starts, so a bad map or database ends with a one-line error.
    staff = _staff_tokens(settings, service)
    bind_host, bind_port = host or settings.host, port or settings.port
    _check_free(bind_host, bind_port)
    clock: Any = None
    demo_key: str | None = None
    if demo:
        settings, service, clock, demo_key = _prepare_demo(settings, service, speedup)
        staff = _staff_tokens(settings, service)
    if not demo:
        _warn_without_staff(staff)
    runtime = build_runtime(settings, service, **({"clock": clock} if clock else {}))
    settle(f"service area {service.area}", keep_survivors=True, process="the service")
    app = create_app(lambda: runtime, staff)
    install_driver_api(app)
    base_url = f"http://{_client_host(bind_host)}:{bind_port}"
    if demo:
        _launch_demo(service, base_url, clock, demo_key)
    log.info("serving %s on http://%s:%d (docs at /docs)", service.name, bind_host, bind_port)
    _run(app, bind_host, bind_port, settings)


def _warn_without_staff(staff: Any) -> None:
    if not len(staff):
        log.warning(
            "no agent or admin tokens: nobody can sign in to the hotline console (/console), the "
            "dispatcher view (/ops) or the planning view (/planning); set "
            "DISPATCH_AGENT_TOKENS (comma-separated, each at least 16 characters)"
        )


def _run(app: Any, host: str, port: int, settings: Settings) -> None:
    """Serve ``app`` with uvicorn until stopped (logging as the settings ask)."""
    import uvicorn

    quiet_connection_lines(settings.access_log)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=settings.access_log,
        # JSON logs: uvicorn's own lines go through the same JSON formatter (the root logger).
        log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
    )


def _check_free(host: str, port: int) -> None:
    """A port another program holds ends here, in one line, before anything starts."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}: {exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host}:{port} ({exc.strerror}); another program uses the "
                "port: choose another with --port or DISPATCH_PORT"
            ) from None


def _client_host(bind_host: str) -> str:
    return "127.0.0.1" if bind_host in ("0.0.0.0", "::", "") else bind_host


def _demo_setup(settings: Any, service: Any, speedup: float) -> tuple[Any, Any]:
    """A fresh demo database and the demo clock (during operating hours, maybe faster)."""
    import time
    from datetime import datetime

    from dispatch.demo.clock import DemoClock, demo_start

    database = Path.cwd() / "data" / "demo.sqlite"
    database.parent.mkdir(parents=True, exist_ok=True)
    for stale in database.parent.glob("demo.sqlite*"):
        stale.unlink()
    clock = DemoClock(demo_start(service, int(time.time())), speedup)
    started = datetime.fromtimestamp(clock(), service.zone)
    log.info(
        "demo: database %s, demo time starts %s, %g× real time",
        database,
        f"{started:%a %H:%M}",
        speedup,
    )
    return settings.model_copy(update={"database_url": f"sqlite:///{database}"}), clock


def _prepare_demo(
    settings: Settings, service: ServiceConfig, speedup: float
) -> tuple[Settings, ServiceConfig, Any, str | None]:
    """The demo's database, clock and device tokens; an access key for /console and /ops
    when no agent's token is configured (else the README's demo has no way into them)."""
    settings, clock = _demo_setup(settings, service, speedup)
    service = _demo_tokens(service)
    if settings.agent_tokens or service.tokens.agents:
        return settings, service, clock, None
    key = secrets.token_urlsafe(18)
    settings = settings.model_copy(update={"agent_tokens": (SecretStr(key),)})
    return settings, service, clock, key


def _launch_demo(service: ServiceConfig, base_url: str, clock: Any, key: str | None) -> None:
    """Say how to sign in, then start the simulated buses and riders."""
    if key is not None:
        typer.echo(
            f"hotline console {base_url}/console and dispatcher view {base_url}/ops: "
            f"sign in with the demo's access key {key}"
        )
    _announce_demo_devices(service, base_url)
    _start_demo(service, base_url, clock)


def _demo_tokens(service: ServiceConfig) -> ServiceConfig:
    """The demo's made-up device tokens count as configured (its database is new each time)."""
    vehicles = tuple(
        v.model_copy(update={"device_token_generated": False}) for v in service.fleet.vehicles
    )
    return service.model_copy(
        update={"fleet": service.fleet.model_copy(update={"vehicles": vehicles})}
    )


def _announce_demo_devices(service: Any, base_url: str) -> None:
    """The demo's buses: a ready link to the driver page for each (a throw-away demo token)."""
    for v in service.fleet.vehicles:
        token = v.device_token.get_secret_value()
        typer.echo(f"driver page for {v.id}: {base_url}/driver#vehicle={v.id}&token={token}")


def _start_demo(service: Any, base_url: str, clock: Any) -> None:
    from dispatch.demo.run import Demo

    devices = [(v.id, v.device_token.get_secret_value()) for v in service.fleet.vehicles]
    Demo(base_url, devices, clock, no_show_wait_s=service.booking.no_show_wait_s).start()


def _staff_tokens(settings: Any, *services: ServiceConfig) -> StaffTokens:
    """Agents' and admin's tokens from the settings and the service definitions."""
    from rider_api.auth import StaffTokens

    def plain(values: Any) -> list[str]:
        return [
            v.get_secret_value() if hasattr(v, "get_secret_value") else str(v) for v in values if v
        ]

    admin = plain([settings.admin_token, *(s.tokens.admin for s in services)])
    agents = plain([*settings.agent_tokens, *(a for s in services for a in s.tokens.agents)])
    try:
        return StaffTokens(admin=admin, agents=agents)
    except ValueError as exc:
        raise InputError(f"staff tokens: {exc}") from None


def register(cli: Any) -> None:
    cli.app.command("serve")(serve)
