"""The ``dispatch`` command: the single entry point for operators and planners.

Each subsystem registers its commands from its own module (``register(cli)``), so
this file only wires them together and turns every ``DispatchError`` into a one-line
message and a non-zero exit.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import import_module

import typer

from dispatch.errors import DispatchError
from dispatch.logs import configure_logging

HELP = """\
On-demand rural bus dispatch (Rufbus).

Build a service region from OpenStreetMap, run the booking and dispatch service,
and replay demand to size the fleet. Every command has its own --help.
"""

#: Modules that add commands; each defines ``register(cli: Cli) -> None``.
COMMAND_MODULES: tuple[str, ...] = (
    "dispatch.roads.commands",
    "dispatch.solver.commands",
    "dispatch.service.serve",
    "dispatch.cluster.commands",
    "dispatch.service.devices_cli",
    "dispatch.sim.commands",
    "dispatch.publish.commands",
    "dispatch.opendata.commands",
    "dispatch.whatif.commands",
)


@dataclass(frozen=True)
class Cli:
    """The command tree handed to each module's ``register``."""

    app: typer.Typer
    region: typer.Typer
    bench: typer.Typer
    demand: typer.Typer


def build_cli() -> Cli:
    # Plain click help: flags without a "<bool>" placeholder, paragraphs wrapped to the
    # terminal (the rich panels of typer 0.29 showed both wrongly).
    common = {
        "no_args_is_help": True,
        "pretty_exceptions_enable": False,
        "add_completion": False,
        "rich_markup_mode": None,
    }
    app = typer.Typer(help=HELP, **common)  # type: ignore[arg-type]
    region = typer.Typer(help="Build and inspect a service region's road network.", **common)  # type: ignore[arg-type]
    bench = typer.Typer(help="Measure performance on real data (prints numbers).", **common)  # type: ignore[arg-type]
    demand = typer.Typer(
        help="Ride-request files for replays: a synthetic day, or the real booking history.",
        **common,  # type: ignore[arg-type]
    )
    app.add_typer(region, name="region")
    app.add_typer(bench, name="bench")
    app.add_typer(demand, name="demand")
    cli = Cli(app, region, bench, demand)
    for name in COMMAND_MODULES:
        import_module(name).register(cli)
    return cli


def main() -> None:
    try:
        configure_logging()
    except DispatchError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    cli = build_cli()
    try:
        cli.app()
    except DispatchError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
