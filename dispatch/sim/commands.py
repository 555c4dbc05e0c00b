"""CLI for planners: ``dispatch demand synth``, ``dispatch replay``, ``dispatch size-fleet``."""

from __future__ import annotations

import csv
import io
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dispatch.errors import InputError
from dispatch.sim.demand import format_demand
from dispatch.sim.output import KPI_ROWS, RunSummary, write_atomically
from dispatch.sim.replay import Progress
from dispatch.sim.scenario import (
    DEFAULT_ITERATIONS,
    DEFAULT_ORTOOLS_STEPS,
    DEFAULT_PERIOD_S,
    DEFAULT_QUICK_ITERATIONS,
    Prepared,
    Scenario,
    load_config,
    load_network,
    prepare,
)

if TYPE_CHECKING:
    from dispatch.cli import Cli
    from dispatch.sim.report import Comparison

OsmOption = Annotated[
    Path | None,
    typer.Option("--osm", help="OpenStreetMap file. Default: the service definition's region."),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Service definition (TOML). Default: the built-in service."),
]
SeatsOption = Annotated[
    int | None, typer.Option("--seats", help="Seats per bus (default: as configured).")
]
WheelchairOption = Annotated[
    int | None,
    typer.Option("--wheelchair-places", help="Wheelchair places per bus (default: as configured)."),
]
MaxWaitOption = Annotated[
    int | None,
    typer.Option("--max-wait", help="Maximum wait in minutes (default: the booking rules')."),
]
RideTimeOption = Annotated[
    str | None,
    typer.Option(
        "--ride-time",
        help="Maximum ride time rule, factor × direct + extra, e.g. 1.5x+10min or 1.5x+45s.",
    ),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed of the re-optimisation.")]
IterationsOption = Annotated[
    int,
    typer.Option(
        "--solver-iterations",
        min=0,
        help="Large-neighbourhood search iterations per re-optimisation.",
    ),
]
OrToolsOption = Annotated[
    int,
    typer.Option(
        "--ortools-steps",
        min=0,
        help="OR-Tools search steps per re-optimisation round (0: no OR-Tools).",
    ),
]
QuickOption = Annotated[
    int,
    typer.Option(
        "--quick-iterations",
        min=0,
        help="Search iterations of the quick re-optimisation after each change.",
    ),
]
EveryOption = Annotated[
    int,
    typer.Option(
        "--reoptimise-every",
        min=1,
        help="Seconds between periodic re-optimisations (the live service: 60).",
    ),
]
AfterChangeOption = Annotated[
    bool,
    typer.Option(
        "--reoptimise-after-change/--periodic-only",
        help="Also re-optimise a few seconds after each booking, as the live service does "
        "(slower replays).",
    ),
]
BoardingOption = Annotated[
    int | None,
    typer.Option(
        "--boarding-time",
        min=0,
        help="Seconds for boarding and for alighting (default: the service definition's).",
    ),
]
PromiseOption = Annotated[
    str | None,
    typer.Option(
        "--promise",
        help="window (a pickup window around the planned pickup) or max_wait (from the "
        "requested time to the maximum wait); default: the service definition's.",
    ),
]
RiderChoiceOption = Annotated[
    str,
    typer.Option(
        "--rider-choice",
        help="Which offer a simulated rider takes: cheapest (the first offer, the "
        "operator's cheapest) or earliest (the earliest pickup of up to three offers).",
    ),
]
RebalanceOption = Annotated[
    bool,
    typer.Option(
        "--rebalance/--no-rebalance",
        help="Send idle buses towards where requests were asked for lately (the dispatcher "
        "only; measured in the README, off by default).",
    ),
]
PolicyOption = Annotated[
    str,
    typer.Option(
        "--policy",
        help="dispatcher (continuous re-optimisation, as the service runs) or insertion "
        "(cheapest insertion, never re-optimised: the baseline).",
    ),
]


def demand_synth(
    requests: Annotated[int, typer.Option("--requests", min=0, help="How many requests.")],
    day: Annotated[str, typer.Option("--date", help="Service day, YYYY-MM-DD.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Demand CSV to write.")],
    osm: OsmOption = None,
    config: ConfigOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    prebooked: Annotated[float, typer.Option(help="Share booked 1–48 h ahead.")] = 0.3,
    wheelchairs: Annotated[float, typer.Option(help="Share of wheelchair users.")] = 0.05,
    arrive_by: Annotated[float, typer.Option(help="Share asking to arrive by a time.")] = 0.25,
    peak: Annotated[
        float, typer.Option(help="Share in each of the morning and afternoon peaks.")
    ] = 0.35,
) -> None:
    """Synthesise a plausible rural service day from the map's places.

    Trips run between named places weighted by population (or size): towards the
    larger places and railway stations in the morning, back in the afternoon, and
    between any places in between. The same seed gives the same file.
    """
    from dispatch.sim.synth import SynthParams, synthesise, zones

    service_day = _date(day)
    cfg = load_config(Scenario(output, osm=osm, config=config))
    params = SynthParams(
        requests,
        service_day,
        seed,
        morning_share=peak,
        afternoon_share=peak,
        arrive_by_share=arrive_by,
        prebooked_share=prebooked,
        wheelchair_share=wheelchairs,
    )
    hours = cfg.hours.on(service_day.weekday())
    if hours is not None:
        params = replace(params, start=hours.start, end=hours.end)
    network = load_network(cfg)
    demand = synthesise(network, params, cfg.zone)
    _write(output, format_demand(demand, cfg.zone))
    typer.echo(f"{len(demand)} requests on {service_day} written to {output}")
    skipped = zones(network).skipped
    if skipped:
        names = ", ".join(skipped[:5]) + (
            f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        )
        typer.echo(
            f"{len(skipped)} place(s) more than 500 m from a drivable road were left out: {names}"
        )


def replay(
    demand: Annotated[
        Path, typer.Argument(metavar="DEMAND.csv", help="Demand CSV (see the README's format).")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the results.")],
    osm: OsmOption = None,
    config: ConfigOption = None,
    vehicles: Annotated[
        int | None, typer.Option("--vehicles", help="Number of buses (default: as configured).")
    ] = None,
    seats: SeatsOption = None,
    wheelchair_places: WheelchairOption = None,
    max_wait: MaxWaitOption = None,
    ride_time: RideTimeOption = None,
    boarding_time: BoardingOption = None,
    promise: PromiseOption = None,
    rider_choice: RiderChoiceOption = "cheapest",
    seed: SeedOption = 0,
    solver_iterations: IterationsOption = DEFAULT_ITERATIONS,
    ortools_steps: OrToolsOption = DEFAULT_ORTOOLS_STEPS,
    quick_iterations: QuickOption = DEFAULT_QUICK_ITERATIONS,
    reoptimise_every: EveryOption = DEFAULT_PERIOD_S,
    after_change: AfterChangeOption = True,
    policy: PolicyOption = "dispatcher",
    rebalance: RebalanceOption = False,
    fairness_gap: Annotated[
        float | None,
        typer.Option(
            "--fairness-gap",
            help="The fairness option: when wheelchair users' served share trails the others' "
            "by more than this (0–1, e.g. 0.05), a refused wheelchair request is asked again "
            "with a later pickup (booking.fairness_extra_wait_min). Writes fairness.json.",
        ),
    ] = None,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline/--no-baseline",
            help="Also replay the insertion baseline on the same day (into OUTPUT/baseline).",
        ),
    ] = True,
) -> None:
    """Replay demand through the live dispatcher with a simulated clock and buses.

    Riders take the offer or walk away; buses drive their plans on the road network at
    its travel times and serve every stop for its boarding time. Every replay is checked
    by an independent trajectory checker: a replay whose buses did what real ones cannot
    ends with an error, not with numbers. By default the insertion baseline is replayed
    on the same day and shown side by side. Writes outcomes.csv, timeline.csv, stops.csv,
    vehicles.csv, kpis.json, kpis.txt and rules.json.
    """
    from dispatch.sim.replay import Policy
    from dispatch.sim.run import require_valid, run_scenario, write_outputs
    from dispatch.sim.trajectory import summarise

    scenario = Scenario(
        demand,
        osm=osm,
        config=config,
        vehicles=vehicles,
        seats=seats,
        wheelchair_places=wheelchair_places,
        max_wait_min=max_wait,
        ride_time=ride_time,
        boarding_s=boarding_time,
        promise=promise,
        rider_choice=rider_choice,
        seed=seed,
        reoptimise_every_s=reoptimise_every,
        reoptimise_after_change=after_change,
        solver_iterations=solver_iterations,
        ortools_steps=ortools_steps,
        quick_iterations=quick_iterations,
        policy=policy,
        fairness_max_gap=fairness_gap,
        rebalance=rebalance,
    )
    prepared = prepare(scenario)
    _quiet_engine()
    main = Policy(policy)
    policies = [main] + ([Policy.INSERTION] if baseline and main is Policy.DISPATCHER else [])
    finished = {}
    for pol in policies:
        with _progress(len(prepared.requests), f"replaying ({pol.value})") as progress:
            finished[pol] = run_scenario(scenario, progress, pol, prepared)
        folder = output if pol is main else output / "baseline"
        write_outputs(folder, finished[pol])
    for pol, run in finished.items():
        typer.echo(f"{pol.value}: {summarise(run.violations).line()}", err=True)
    typer.echo(side_by_side({p.value: run.kpis.as_dict() for p, run in finished.items()}))
    for run in finished.values():
        require_valid(run)
    walls = ", ".join(f"{p.value} {r.result.wall_s:.1f} s" for p, r in finished.items())
    solves = finished[main].result.solves
    typer.echo(f"replayed in {walls} ({solves} re-optimisations); results in {output}")


def side_by_side(columns: dict[str, dict[str, Any]]) -> str:
    """The KPI table with one column per policy (and the difference when there are two)."""
    names = list(columns)
    width = max(len(label) for label, _, _ in KPI_ROWS)
    head = f"{'':<{width}}" + "".join(f"  {n:>12}" for n in names)
    if len(names) == 2:
        head += f"  {'difference':>12}"
    lines = [head]
    for label, key, fmt in KPI_ROWS:
        values = [columns[n][key] for n in names]
        cells = "".join(f"  {fmt.format(v):>12}" for v in values)
        if len(values) == 2:
            diff = values[0] - values[1]
            text = fmt.format(diff) if "%" not in fmt else f"{diff * 100:.1f} pts"
            cells += f"  {('+' if diff > 0 else '') + text:>12}"
        lines.append(f"{label:<{width}}{cells}")
    return "\n".join(lines)


def size_fleet(
    demand: Annotated[
        Path, typer.Argument(metavar="DEMAND.csv", help="Demand CSV (see the README's format).")
    ],
    vehicles: Annotated[
        str, typer.Option("--vehicles", help="Fleet sizes to try: 2..12, 2..12:2 or 4,6,8.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the report.")],
    target_served: Annotated[
        float, typer.Option("--target-served", help="Share of requests to serve (0–1).")
    ] = 0.95,
    osm: OsmOption = None,
    config: ConfigOption = None,
    seats: SeatsOption = None,
    wheelchair_places: WheelchairOption = None,
    max_wait: MaxWaitOption = None,
    ride_time: RideTimeOption = None,
    boarding_time: BoardingOption = None,
    promise: PromiseOption = None,
    rider_choice: RiderChoiceOption = "cheapest",
    seed: SeedOption = 0,
    solver_iterations: IterationsOption = DEFAULT_ITERATIONS,
    ortools_steps: OrToolsOption = DEFAULT_ORTOOLS_STEPS,
    quick_iterations: QuickOption = DEFAULT_QUICK_ITERATIONS,
    reoptimise_every: EveryOption = DEFAULT_PERIOD_S,
    after_change: AfterChangeOption = True,
    policy: PolicyOption = "dispatcher",
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Local processes (default: all cores).")
    ] = os.cpu_count() or 1,
    dask: Annotated[
        str | None,
        typer.Option("--dask", help="Run the replays on this Dask scheduler (tcp://host:8786)."),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            help="Language of the report: de, en, tr, uk or ar (default: the service's).",
        ),
    ] = None,
    pdf: Annotated[
        bool,
        typer.Option("--pdf", help="Also print the report to OUTPUT/report.pdf (needs Chromium)."),
    ] = False,
) -> None:
    """Find the smallest fleet that serves the target share: one replay per fleet size.

    Each fleet size is replayed with the dispatcher and with the insertion baseline on
    the same day, both checked by the trajectory checker. The replays run in parallel;
    finished ones are kept in OUTPUT/runs, so an interrupted sweep resumes where it
    stopped. Writes OUTPUT/index.html, a report for a council in the service's language
    (the answer in one sentence first, charts and table with both policies, assumptions,
    a map of the rejected requests, fairness by rider group; self-contained, printable on
    A4), OUTPUT/fleet-sizes.csv, OUTPUT/fairness.csv and fairness.txt (served share, wait,
    lateness and rejections by rider group per fleet size) and, with --pdf, OUTPUT/report.pdf.
    """
    from dispatch.sim.report_text import check_language
    from dispatch.sim.sweep import parse_fleet_sizes, smallest_meeting, sweep

    if not 0.0 < target_served <= 1.0:
        raise InputError(f"--target-served must be between 0 and 1, got {target_served:g}")
    sizes = parse_fleet_sizes(vehicles)
    if language is not None:
        check_language(language)
    scenario = Scenario(
        demand,
        osm=osm,
        config=config,
        vehicles=sizes[0],
        seats=seats,
        wheelchair_places=wheelchair_places,
        max_wait_min=max_wait,
        ride_time=ride_time,
        boarding_s=boarding_time,
        promise=promise,
        rider_choice=rider_choice,
        seed=seed,
        reoptimise_every_s=reoptimise_every,
        reoptimise_after_change=after_change,
        solver_iterations=solver_iterations,
        ortools_steps=ortools_steps,
        quick_iterations=quick_iterations,
        policy=policy,
    )
    prepared = prepare(scenario)  # checks every input before any replay starts
    _quiet_engine()

    results = sweep(scenario, sizes, output, workers=workers, dask_address=dask, on_run=_said_run)
    chosen = smallest_meeting(results, target_served)
    write_report(output, results, chosen, scenario, prepared, target_served, language)
    typer.echo(fleet_table(results))
    typer.echo(_choice(chosen, target_served, output))
    if pdf:
        _pdf(output)


def _pdf(output: Path) -> None:
    from dispatch.sim.report_files import write_pdf

    problem = write_pdf(output / "index.html", output / "report.pdf")
    if problem is None:
        typer.echo(f"PDF: {output}/report.pdf")
    else:
        typer.echo(f"warning: no PDF written: {problem}", err=True)


def _said_run(n: int, run: RunSummary, done: int, total: int) -> None:
    """Progress of a sweep, one line per finished replay (on stderr)."""
    share = float(run.kpis["served_share"])
    typer.echo(f"[{done}/{total}] {n} buses: {share:.1%} served", err=True)


def _choice(chosen: int | None, target: float, output: Path) -> str:
    if chosen is None:
        return f"no fleet size tried serves {target:.0%}; report: {output}/index.html"
    return f"smallest fleet serving {target:.0%}: {chosen} buses; report: {output}/index.html"


def write_report(
    folder: Path,
    results: dict[int, RunSummary],
    chosen: int | None,
    scenario: Scenario,
    prepared: Prepared,
    target: float,
    language: str | None = None,
) -> None:
    from dispatch.sim.report import render_report
    from dispatch.sim.report_fairness import fairness_csv, fairness_text
    from dispatch.sim.report_files import build_context

    ctx = build_context(scenario, prepared, target, language, baseline_comparisons(results))
    write_atomically(folder / "index.html", render_report(results, chosen, ctx))
    write_atomically(folder / "fleet-sizes.csv", fleet_csv(results))
    write_atomically(folder / "fairness.csv", fairness_csv(results))
    write_atomically(folder / "fairness.txt", fairness_text(results) + "\n")


def baseline_comparisons(results: dict[int, RunSummary]) -> list[Comparison]:
    """The insertion baseline's results per fleet size, for the report's second series."""
    from dispatch.sim.report import Comparison

    base = {
        n: RunSummary(vehicles=n, kpis=run.baseline, policy="insertion")
        for n, run in results.items()
        if run.baseline
    }
    return [Comparison("insertion", base)] if base else []


def fleet_table(results: dict[int, RunSummary]) -> str:
    """Served share, wait and vehicle-km per fleet size, wheelchair users' served share;
    the baseline's beside them."""
    head = f"{'buses':>5}  {'served':>7}  {'wait':>5}  {'p95':>5}  {'veh-km':>7}  {'wchair':>7}"
    with_base = any(r.baseline for r in results.values())
    if with_base:
        head += f"   | insertion: {'served':>7}  {'wait':>5}  {'veh-km':>7}"
    lines = [head]
    for n, run in results.items():
        k = run.kpis
        line = (
            f"{n:>5}  {float(k['served_share']):>7.1%}  {float(k['wait_mean_min']):>5.1f}"
            f"  {float(k['wait_p95_min']):>5.1f}  {float(k['vehicle_km']):>7.0f}"
            f"  {_wheelchair_share(run):>7}"
        )
        if run.baseline:
            b = run.baseline
            line += (
                f"   | {'':>10} {float(b['served_share']):>7.1%}"
                f"  {float(b['wait_mean_min']):>5.1f}  {float(b['vehicle_km']):>7.0f}"
            )
        lines.append(line)
    return "\n".join(lines)


def _wheelchair_share(run: RunSummary) -> str:
    hit = next(
        (r for r in run.fairness if (r["group_kind"], r["group"]) == ("wheelchair", "wheelchair")),
        None,
    )
    return "–" if hit is None or hit["served_share"] is None else f"{hit['served_share']:.1%}"


def fleet_csv(results: dict[int, RunSummary]) -> str:
    """One row per fleet size and policy (the dispatcher's and the baseline's)."""
    keys = [key for _, key, _ in KPI_ROWS if key != "solver_s"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["vehicles", "policy", *keys])
    for n, run in results.items():
        writer.writerow([n, run.policy, *(run.kpis[k] for k in keys)])
        if run.baseline:
            writer.writerow([n, "insertion", *(run.baseline[k] for k in keys)])
    return out.getvalue()


def _quiet_engine() -> None:
    """Every adopted re-optimisation is logged at INFO: too much next to a progress bar."""
    logging.getLogger("dispatch.engine").setLevel(logging.WARNING)


@contextmanager
def _progress(total: int, label: str) -> Iterator[Progress]:
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:

        def update(done: int, _total: int) -> None:
            bar.update(done - bar.pos)

        yield update


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date: {text!r} is not a date like 2026-11-25") from None


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror}") from None


def register(cli: Cli) -> None:
    cli.demand.command("synth")(demand_synth)
    cli.app.command("replay")(replay)
    cli.app.command("size-fleet")(size_fleet)
