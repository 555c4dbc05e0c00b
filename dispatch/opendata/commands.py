"""CLI: ``dispatch open-data export --month YYYY-MM -o DIR``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dispatch.publish.commands import ConfigOption, load_service

if TYPE_CHECKING:
    from dispatch.cli import Cli
    from dispatch.config import ServiceConfig
    from dispatch.roads.network import RoadNetwork
    from dispatch.store import Repository

MonthOption = Annotated[str, typer.Option("--month", help="The month, e.g. 2026-11.")]


def open_history(config: ServiceConfig) -> tuple[Repository, RoadNetwork]:
    """The service's database (DISPATCH_DATABASE_URL or the default file) and its road map."""
    from dispatch.roads.network import load_road_network
    from dispatch.settings import load_settings
    from dispatch.store import Repository, open_database

    settings = load_settings()
    db = open_database(settings.database_url)
    db.migrate()
    network = load_road_network(config.region.source(), cache_dir=settings.osm_cache)
    return Repository(db), network


def export(
    month: MonthOption,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the data package.")],
    config: ConfigOption = None,
) -> None:
    """Publish a month of the service as open data, with privacy (k-anonymity).

    Writes a Frictionless data package (datapackage.json with field types and units;
    licence from publish.licence, default CC-BY-4.0): days.csv (requests, served
    share, wait and ride median/p90, late share, phone share, vehicle-km, occupancy),
    day_villages.csv (the same per village of the pickup), hours.csv, flows.csv (between
    villages), fairness.csv (by rider group: wheelchair, phone/app, standing order,
    village), suppression.csv and villages.geojson. No names, phone numbers, addresses
    or coordinates of riders; times to the hour; every published cell has at least k
    requests (publish.k_anonymity, default 5): smaller ones are merged into
    '(other)' or suppressed, and suppression.csv says how many.
    """
    from dispatch.opendata.export import export_files, month_data, parse_month
    from dispatch.opendata.package import write_package

    parse_month(month, "--month")
    service = load_service(config)
    repo, network = open_history(service)
    with typer.progressbar(length=1, label="road distances", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        data = month_data(repo, network, service, month, progress)
    write_package(output, export_files(data, service))
    requests = sum(1 for _ in data.trips)
    typer.echo(f"open data of {month}: {requests} requests, written to {output}")


def register(cli: Cli) -> None:
    group = typer.Typer(
        help="Open data: the service's figures, with privacy.",
        no_args_is_help=True,
        add_completion=False,
    )
    group.command("export")(export)
    cli.app.add_typer(group, name="open-data")
