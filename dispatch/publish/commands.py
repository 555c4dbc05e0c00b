"""CLI: ``dispatch publish gtfs-flex -o feed.zip``."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dispatch.errors import InputError

if TYPE_CHECKING:
    from dispatch.cli import Cli
    from dispatch.config import ServiceConfig

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Service definition (TOML), as given to `dispatch serve`. "
        "Default: $DISPATCH_CONFIG_FILE, else the built-in service.",
    ),
]


def load_service(config_path: Path | None) -> ServiceConfig:
    from dispatch.config import load_service_config
    from dispatch.settings import load_settings

    settings = load_settings()
    return load_service_config(config_path or settings.config_file, osm_source=settings.osm_source)


def feed_bytes(config: ServiceConfig, today: date | None = None) -> bytes:
    """Load the map and the stops (with accepted proposals) and build the feed."""
    from dispatch.publish.gtfs_flex import FeedInput, build_feed
    from dispatch.publish.zones import service_zones
    from dispatch.roads.network import load_road_network
    from dispatch.settings import load_settings
    from dispatch.stops import build_stops

    network = load_road_network(config.region.source(), cache_dir=load_settings().osm_cache)
    stops = build_stops(network, config)
    start = today or datetime.now(config.zone).date()
    return build_feed(FeedInput(config, service_zones(config, network), stops.stops, start))


def write_bytes(path: Path, data: bytes) -> None:
    """Through a temporary file, so that an interrupted run never leaves half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from None


def gtfs_flex(
    output: Annotated[Path, typer.Option("-o", "--output", help="The feed (a .zip file).")],
    config: ConfigOption = None,
) -> None:
    """Write the service as a GTFS feed with the GTFS-Flex extension, for trip planners.

    The feed holds the agency, one demand-responsive route, the service area as zones
    (locations.geojson; publish.zones in the definition, else the area the road
    network spans), the virtual stops as a location group, booking rules (hotline phone,
    prior notice, booking URL, message: the publish section), pickup/drop-off windows from the
    operating hours, and calendars from the shifts, for the next 365 days. A stop outside
    every zone is reported and nothing is written. The running service serves the same
    feed at GET /v1/gtfs-flex.zip.
    """
    service = load_service(config)
    data = feed_bytes(service)
    write_bytes(output, data)
    typer.echo(f"GTFS-Flex feed of {service.name} written to {output} ({len(data)} bytes)")


def register(cli: Cli) -> None:
    publish = typer.Typer(
        help="Publish the service to trip planners (GTFS-Flex).",
        no_args_is_help=True,
        add_completion=False,
    )
    publish.command("gtfs-flex")(gtfs_flex)
    cli.app.add_typer(publish, name="publish")
