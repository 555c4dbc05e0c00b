"""CLI: ``dispatch devices token VEHICLE [--rotate]`` and ``dispatch devices list``.

Runs against the service's database (``DISPATCH_DATABASE_URL``), also while the service
runs: a token issued here works at the next sign-in of the driver's device.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dispatch.errors import InputError

if TYPE_CHECKING:  # the database modules load when a command runs, not when the CLI starts
    from dispatch.cli import Cli
    from dispatch.config import ServiceConfig
    from dispatch.settings import Settings
    from dispatch.store import Repository

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Service definition (TOML), as given to `dispatch serve`. "
        "Default: $DISPATCH_CONFIG_FILE, else the built-in service.",
    ),
]


AreaOption = Annotated[
    str | None,
    typer.Option(
        "--area",
        help="Production shape (`dispatch engine`): the service area whose vehicles these are; "
        "--config may then be the deployment file.",
    ),
]


def _open(
    config_path: Path | None, area: str | None = None
) -> tuple[Settings, ServiceConfig, Repository]:
    from dispatch.deployment import area_database_url, load_deployment
    from dispatch.service.device_tokens import store_fleet_tokens
    from dispatch.settings import load_settings
    from dispatch.store import Repository, open_database

    settings = load_settings()
    path = config_path or settings.config_file
    url = settings.database_url
    if area is not None:  # the production shape keeps each area in its own schema
        from dispatch.deployment import area_schema
        from dispatch.store.database import ensure_schema

        config = load_deployment(path, settings).area(area)
        ensure_schema(url, area_schema(config.area))  # also before its engine first ran
        url = area_database_url(url, config.area)
    else:
        config = _one_service(path, settings)
        url = _where_the_service_is(url, config.area)
    db = open_database(url)
    db.migrate()
    repo = Repository(db)
    store_fleet_tokens(repo, config, warn=False)
    return settings, config, repo


def _where_the_service_is(url: str, area: str) -> str:
    """Without --area: the database of ``dispatch serve`` — unless only the production
    shape (``dispatch engine``) ever ran on this PostgreSQL database, keeping the area in
    its own schema: then that schema (a token stored beside it would never be asked for)."""
    from sqlalchemy import create_engine, inspect

    from dispatch.deployment import area_database_url, area_schema
    from dispatch.store.database import normalise_url

    if not url.startswith(("postgresql", "postgres:")):
        return url
    engine = create_engine(normalise_url(url))
    try:
        seen = inspect(engine)
        schema = area_schema(area)
        in_area = schema in seen.get_schema_names() and seen.has_table(
            "alembic_version", schema=schema
        )
        in_default = seen.has_table("alembic_version")
    finally:
        engine.dispose()
    if not in_area:
        return url
    if in_default:
        typer.echo(
            f"note: this database holds `dispatch serve`'s service and the production shape's "
            f"area {area!r} (schema {schema}): this is for `dispatch serve`; "
            f"add --area {area} for the engine's",
            err=True,
        )
        return url
    typer.echo(f"production shape: area {area!r} (schema {schema})", err=True)
    return area_database_url(url, area)


def _one_service(path: Path | None, settings: Settings) -> ServiceConfig:
    """The service definition at ``path``; a deployment file asks for --area."""
    from dispatch.config import load_service_config
    from dispatch.deployment import load_deployment

    try:
        return load_service_config(path, osm_source=settings.osm_source)
    except InputError:
        try:
            areas = [a.area for a in load_deployment(path, settings).areas]
        except InputError:
            areas = []
        if areas:  # it read as a deployment, not as one service definition
            raise InputError(
                f"{path} is a deployment file: choose the area with --area "
                f"(one of: {', '.join(areas)})"
            ) from None
        raise


def token(
    vehicle: Annotated[str, typer.Argument(metavar="VEHICLE", help="The vehicle id, e.g. bus-1.")],
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate", help="Replace the vehicle's token (the old one stops working at once)."
        ),
    ] = False,
    config: ConfigOption = None,
    area: AreaOption = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="Where drivers open the service, e.g. https://rufbus.example.org (for the "
            "link shown). Default: http://DISPATCH_HOST:DISPATCH_PORT.",
        ),
    ] = None,
) -> None:
    """Issue a device token for a vehicle's driver app and show it, this once only.

    The token is stored only as a hash: it cannot be shown again, and it survives
    restarts. A vehicle that has a token gets a new one only with --rotate. Tokens set
    in the service definition (device_token) are changed there, not here.
    """
    from dispatch.service.device_tokens import issue_token

    if url is not None:
        url = _public_url(url)
    settings, service, repo = _open(config, area)
    issued = issue_token(repo, service, vehicle, rotate=rotate)
    if url is None:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        url = f"http://{host}:{settings.port}"
    typer.echo(f"device token for {vehicle} (shown once, keep it safe): {issued}")
    # The production shape answers for each area under /areas/NAME/ (dispatch api).
    page = f"{url.rstrip('/')}{f'/areas/{service.area}' if area else ''}/driver"
    typer.echo(f"driver page: {page}#vehicle={vehicle}&token={issued}")


def _public_url(url: str) -> str:
    """``url`` as the base of the driver link: http(s), a host, nothing after the path."""
    from urllib.parse import urlsplit

    problem = f"--url: {url!r} is not an address like https://rufbus.example.org"
    try:
        parts = urlsplit(url.strip())
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise InputError(problem) from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in url.strip())
        or parts.username is not None
        or parts.query
        or parts.fragment
        or not port_ok
    ):
        raise InputError(problem)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}".rstrip("/")


def list_devices(config: ConfigOption = None, area: AreaOption = None) -> None:
    """List the vehicles and whether each has a device token (tokens are never shown)."""
    _, service, repo = _open(config, area)
    configured = {v.id for v in service.fleet.vehicles if not v.device_token_generated}
    where = "".join(
        f" {flag} {value}" for flag, value in (("--config", config), ("--area", area)) if value
    )
    for v in repo.list_vehicles():
        if v.id in configured:
            state = "token set in the service definition"
        elif v.device_token_hash:
            state = "token issued"
        else:
            state = f"no token: dispatch devices token {v.id}{where}"
        typer.echo(f"{v.id}\t{v.name}\t{state}")


def register(cli: Cli) -> None:
    devices = typer.Typer(
        help="Driver devices: issue and rotate the vehicles' device tokens.",
        no_args_is_help=True,
        add_completion=False,
    )
    devices.command("token")(token)
    devices.command("list")(list_devices)
    cli.app.add_typer(devices, name="devices")
