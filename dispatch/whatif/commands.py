"""CLI: ``dispatch demand export`` and ``dispatch scenario compare``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dispatch.errors import InputError
from dispatch.publish.commands import ConfigOption, load_service

if TYPE_CHECKING:
    from dispatch.cli import Cli


def demand_export(
    month: Annotated[str, typer.Option("--month", help="The month, e.g. 2026-11.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The demand CSV to write.")],
    config: ConfigOption = None,
) -> None:
    """Write the service's real booking history of a month as a demand file for replays.

    Reads the service's database (DISPATCH_DATABASE_URL). Every request of the month:
    bookings (not those the rider cancelled) and requests that got no offer. Anonymised:
    no names, phone numbers or booking ids; virtual stops by id, other addresses rounded
    to about 100 m. The columns channel (app/phone) and standing_order (yes/no) keep the
    rider groups for the fairness figures. Replay it with `dispatch replay` or compare
    service definitions with `dispatch scenario compare`.
    """
    from dispatch.opendata.commands import open_history
    from dispatch.opendata.export import month_bounds, parse_month
    from dispatch.sim.demand import format_demand
    from dispatch.sim.output import write_atomically
    from dispatch.stops import build_stops
    from dispatch.whatif.history_demand import history_demand

    first = parse_month(month, "--month")
    service = load_service(config)
    repo, network = open_history(service)
    start, end = month_bounds(first, service)
    stops = {s.id for s in build_stops(network, service).stops}
    requests = history_demand(repo.trips_between(start, end), repo.unmet_between(start, end), stops)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(output, format_demand(requests, service.zone))
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror}") from None
    typer.echo(f"{len(requests)} requests of {month} written to {output}")


def scenario_compare(
    definitions: Annotated[
        list[Path],
        typer.Argument(
            metavar="DEFINITION",
            help="BASE.toml first, then one or more variants (service definitions).",
        ),
    ],
    demand: Annotated[
        Path, typer.Option("--demand", help="Demand CSV, e.g. from `dispatch demand export`.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the report.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the re-optimisation.")] = 0,
) -> None:
    """Replay the same demand under each service definition and compare them side by side.

    Variants are service definitions: more buses, longer hours, an accepted stop (a CSV
    stop), a wider pickup window, another ride-time rule, other costs. For each, the
    production dispatcher replays the demand with a simulated clock (checked by the
    trajectory checker). Writes report.md and report.html (in the base definition's
    language, the answer first in one sentence: served, wait, ride, vehicle-km, cost per
    trip from costs.per_vehicle_hour and costs.per_km, fairness by rider group) and
    compare.json. The same inputs and seed give the same report.
    """
    from dispatch.sim.output import output_folder, write_atomically
    from dispatch.whatif.compare import compare
    from dispatch.whatif.report import answer, html_report, markdown

    if len(definitions) < 2:
        raise InputError("give a base definition and at least one variant")
    for path in [*definitions, demand]:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    logging_quiet()
    columns, base = compare(definitions, demand, seed, _progress)
    folder = output_folder(output)
    lang = str(base.language)
    data = [{"name": c.name, "figures": c.figures, "fairness": c.fairness} for c in columns]
    write_atomically(folder / "compare.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    write_atomically(folder / "report.md", markdown(columns, lang))
    write_atomically(folder / "report.html", html_report(columns, lang))
    typer.echo(answer(columns, lang))
    typer.echo(f"report in {folder / 'report.html'}")


def logging_quiet() -> None:
    import logging

    logging.getLogger("dispatch.engine").setLevel(logging.WARNING)


def _progress(name: str):  # type: ignore[no-untyped-def]
    return _Bar(name)


class _Bar:
    """A progress bar per replay, on stderr."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.bar: typer.progressbar | None = None  # type: ignore[valid-type]

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = typer.progressbar(
                length=total, label=f"replaying {self.name}", file=sys.stderr
            )
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)
        if done >= total:
            self.bar.__exit__(None, None, None)


def register(cli: Cli) -> None:
    common = {"no_args_is_help": True, "add_completion": False}
    cli.demand.command("export")(demand_export)
    scenario = typer.Typer(help="What-if scenarios on the real booking history.", **common)  # type: ignore[arg-type]
    scenario.command("compare")(scenario_compare)
    cli.app.add_typer(scenario, name="scenario")
