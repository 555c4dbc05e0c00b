"""``dispatch serve``: the composition root that starts the whole service."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from dispatch.config import load_service_config
from dispatch.errors import InputError
from dispatch.settings import load_settings

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
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8000).")] = None,
) -> None:
    """Run the booking and dispatch service: rider/hotline API, engine and re-optimisation.

    Uses SQLite in data/dispatch.sqlite unless DISPATCH_DATABASE_URL is set, and the map
    from the service definition (or DISPATCH_OSM_SOURCE). API docs: http://HOST:PORT/docs
    """
    import uvicorn

    from dispatch.service.runtime import build_runtime
    from rider_api.app import create_app

    settings = load_settings()
    service = load_service_config(config or settings.config_file, osm_source=settings.osm_source)
    # Built before the server starts, so a bad map or database ends with a one-line error.
    staff = _staff_tokens(settings, service)
    runtime = build_runtime(settings, service)
    app = create_app(lambda: runtime, staff)
    bind_host, bind_port = host or settings.host, port or settings.port
    log.info("serving %s on http://%s:%d (docs at /docs)", service.name, bind_host, bind_port)
    uvicorn.run(app, host=bind_host, port=bind_port, log_level=settings.log_level.lower())


def _staff_tokens(settings: Any, service: Any) -> Any:
    """Agents' and admin's tokens from the settings and the service definition."""
    from rider_api.auth import StaffTokens

    def plain(values: Any) -> list[str]:
        return [
            v.get_secret_value() if hasattr(v, "get_secret_value") else str(v) for v in values if v
        ]

    admin = plain([settings.admin_token, service.tokens.admin])
    agents = plain([*settings.agent_tokens, *service.tokens.agents])
    try:
        return StaffTokens(admin=admin, agents=agents)
    except ValueError as exc:
        raise InputError(f"staff tokens: {exc}") from None


def register(cli: Any) -> None:
    cli.app.command("serve")(serve)
