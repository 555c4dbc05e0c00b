"""``dispatch bench darp``: solve Cordeau's dial-a-ride instances and compare with the best known."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from dispatch.errors import InputError
from dispatch.solver.darp import DarpInstance, parse_darp, routes_json, to_snapshot, true_cost
from dispatch.solver.improve import solve
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.validate import validate_plan

#: The benchmark's objective is routing cost only.
DARP_OBJECTIVE = ObjectiveParams(drive_weight=1.0, excess_ride_weight=0.0)


@dataclass(frozen=True)
class DarpRun:
    name: str
    feasible: bool
    cost: float
    seconds: float
    violations: int
    routes: list[dict[str, object]]


def solve_instance(inst: DarpInstance, time_limit_s: float, seed: int) -> DarpRun:
    started = time.perf_counter()
    snapshot = to_snapshot(inst)
    result = solve(snapshot, DARP_OBJECTIVE, time_limit_s, seed=seed)
    seconds = time.perf_counter() - started
    plan = result.plan
    violations = validate_plan(snapshot, plan)
    feasible = not violations and not plan.unserved
    return DarpRun(
        inst.name,
        feasible,
        true_cost(inst, plan),
        seconds,
        len(violations),
        routes_json(inst, plan),
    )


#: Cordeau's (2006) two instance classes by their header: capacity and maximum ride time.
CLASS_BY_HEADER = {(3, 30.0): "a", (6, 45.0): "b"}
_CORDEAU_NAME = re.compile(r"^([ab])(\d+-\d+)$")


def instance_name(file_name: str, inst: DarpInstance) -> str:
    """The name to report and look the best known cost up by: a file named like one of
    Cordeau's instances whose header says it is of the other class (``a7-70.txt`` holding
    b7-70, loads 1–6 with capacity 6) is named by its header, so that it is not compared
    with the other instance's best known cost."""
    match = _CORDEAU_NAME.match(file_name)
    kind = CLASS_BY_HEADER.get((inst.capacity, inst.max_ride))
    if match is None or kind is None or kind == match[1]:
        return file_name
    return f"{kind}{match[2]}"


def _solve_path(args: tuple[str, str, float, int]) -> DarpRun:
    name, text, limit, seed = args
    return solve_instance(parse_darp(name, text), limit, seed)


def _best_of(runs: list[DarpRun]) -> DarpRun:
    feasible = [r for r in runs if r.feasible]
    pool = feasible or runs
    best = min(pool, key=lambda r: r.cost)
    return DarpRun(
        best.name,
        best.feasible,
        best.cost,
        max(r.seconds for r in runs),
        best.violations,
        best.routes,
    )


def bench_darp(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="Instance files in Cordeau's format (e.g. a2-16.txt)."),
    ],
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per instance.")] = 10.0,
    bks: Annotated[
        Path | None, typer.Option("--bks", help="JSON file of best-known costs by instance name.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write results and routes as JSON here.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (the second core uses seed+1).")] = 1,
    workers: Annotated[int, typer.Option(help="Parallel searches per instance (cores).")] = 2,
) -> None:
    """Solve dial-a-ride benchmark instances, check each with validate_plan, compare with best known.

    Each instance gets TIME_LIMIT seconds; WORKERS independent searches with different
    seeds run in parallel and the best feasible result counts.
    """
    if time_limit <= 0 or workers < 1:
        raise InputError("--time-limit must be positive and --workers at least 1")
    best_known = _read_bks(bks)
    texts = []
    for f in files:
        file_name, text = f.name.removesuffix(".txt"), _read(f)
        name = instance_name(file_name, parse_darp(file_name, text))  # fail early if bad
        if name != file_name:
            typer.echo(f"{f.name}: its header is that of {name}; reported and compared as {name}")
        texts.append((name, text))
    results = []
    _print_header()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for name, text in texts:
            runs = list(
                pool.map(_solve_path, [(name, text, time_limit, seed + w) for w in range(workers)])
            )
            results.append(_best_of(runs))
            _print_row(results[-1], best_known.get(name))
    _print_summary(results, best_known)
    if json_out is not None:
        payload = {"instances": [_as_json(r) for r in results]}
        json_out.write_text(json.dumps(payload, indent=1))


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def _read_bks(path: Path | None) -> dict[str, float]:
    if path is None:
        return {}
    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected an object of instance name to cost")
    try:  # keys starting with "_" are notes (e.g. where the numbers come from)
        return {str(k): float(v) for k, v in data.items() if not str(k).startswith("_")}
    except (TypeError, ValueError):
        raise InputError(f"{path}: every best-known cost must be a number") from None


def _gap(cost: float, best: float | None) -> float | None:
    """Percent above the best known; best-known costs are given to the cent, so is the gap's sign."""
    if best is None:
        return None
    return 100.0 * (round(cost, 2) - best) / best + 0.0  # + 0.0: no "-0.00"


def _print_header() -> None:
    typer.echo(
        f"{'instance':10s} {'feas.':5s} {'cost':>10s} {'best known':>10s} {'gap %':>7s} {'seconds':>7s}"
    )


def _print_row(run: DarpRun, best: float | None) -> None:
    gap = _gap(run.cost, best)
    typer.echo(
        f"{run.name:10s} {'yes' if run.feasible else 'NO ':5s} {run.cost:10.2f} "
        f"{best if best is not None else float('nan'):10.2f} "
        f"{gap if gap is not None else float('nan'):7.2f} {run.seconds:7.1f}"
    )


def _print_summary(results: list[DarpRun], best_known: dict[str, float]) -> None:
    gaps = [
        g for r in results if (g := _gap(r.cost, best_known.get(r.name))) is not None and r.feasible
    ]
    feasible = sum(r.feasible for r in results)
    typer.echo(f"feasible: {feasible}/{len(results)}")
    if gaps:
        typer.echo(f"mean gap: {sum(gaps) / len(gaps):.2f} %")


def _as_json(run: DarpRun) -> dict[str, Any]:
    return {
        "name": run.name,
        "feasible": run.feasible,
        "cost": round(run.cost, 4),
        "seconds": round(run.seconds, 2),
        "routes": run.routes,
    }


def register(cli: Any) -> None:
    cli.bench.command("darp")(bench_darp)
