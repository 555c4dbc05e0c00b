"""Replay the same demand under several service definitions and put the results side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dispatch.config import ServiceConfig
from dispatch.sim.fairness import served_gap
from dispatch.sim.replay import Progress
from dispatch.sim.run import Finished, fairness_rows, require_valid, run_scenario
from dispatch.sim.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Column:
    """One service definition's replay, reduced to what the report compares."""

    name: str
    figures: dict[str, Any]
    fairness: list[dict[str, Any]]


def replay_definition(
    definition: Path, demand: Path, seed: int, progress: Progress | None = None
) -> tuple[Column, ServiceConfig]:
    scenario = Scenario(demand, config=definition, seed=seed)
    finished = run_scenario(scenario, progress)
    require_valid(finished)
    config = finished.prepared.config
    return Column(definition.stem, column_figures(finished, config), fairness_of(finished)), config


def fairness_of(finished: Finished) -> list[dict[str, Any]]:
    return fairness_rows(finished)


def column_figures(finished: Finished, config: ServiceConfig) -> dict[str, Any]:
    k = finished.kpis
    cost = k.vehicle_hours * config.costs.per_vehicle_hour + k.vehicle_km * config.costs.per_km
    rows = fairness_of(finished)
    return {
        "requests": k.requested,
        "served": k.served,
        "served_share": round(k.served_share, 4),
        "wait_median_min": round(k.wait_median_min, 1),
        "wait_p95_min": round(k.wait_p95_min, 1),
        "ride_mean_min": round(k.ride_mean_min, 1),
        "vehicle_km": round(k.vehicle_km, 1),
        "vehicle_hours": round(k.vehicle_hours, 1),
        "cost": round(cost, 2),
        "cost_per_trip": round(cost / k.served, 2) if k.served else None,
        "currency": config.costs.currency,
        "wheelchair_gap": served_gap(rows, "wheelchair"),
        "village_gap": served_gap(rows, "village"),
    }


def compare(
    definitions: Sequence[Path], demand: Path, seed: int = 0,
    progress: Callable[[str], Progress] | None = None,
) -> tuple[list[Column], ServiceConfig]:  # fmt: skip
    columns, base_config = [], None
    for definition in definitions:
        column, config = replay_definition(
            definition, demand, seed, progress(definition.stem) if progress else None
        )
        columns.append(column)
        base_config = base_config or config
    assert base_config is not None
    return columns, base_config
