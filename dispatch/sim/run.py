"""One replay from a scenario to its files: prepare, run, compute the KPIs, write."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dispatch.sim.kpis import Kpis, compute_kpis
from dispatch.sim.output import (
    RunSummary,
    kpi_table,
    occupancy_by_hour,
    outcomes_csv,
    output_folder,
    timeline_csv,
    vehicles_csv,
    write_atomically,
)
from dispatch.sim.replay import Progress, Replay, ReplayResult
from dispatch.sim.scenario import Prepared, Scenario, prepare


@dataclass
class Finished:
    prepared: Prepared
    result: ReplayResult
    kpis: Kpis


def run_scenario(scenario: Scenario, progress: Progress | None = None) -> Finished:
    prepared = prepare(scenario)
    replay = Replay(
        prepared.requests,
        prepared.network,
        prepared.fleet,
        prepared.engine_params,
        prepared.params,
    )
    result = replay.run(progress)
    kpis = compute_kpis(result.outcomes, result.vehicles.values(), result.solver_s)
    return Finished(prepared, result, kpis)


def write_outputs(out: Path, finished: Finished) -> list[Path]:
    """The replay's files in ``out``; returns their paths."""
    folder = output_folder(out)
    tz = finished.prepared.config.zone
    result, coords = finished.result, finished.prepared.network.network.node_coords
    logs = list(result.vehicles.values())
    files = {
        "outcomes.csv": outcomes_csv(result.outcomes, tz),
        "timeline.csv": timeline_csv(logs, tz, coords),
        "vehicles.csv": vehicles_csv(logs, result.outcomes, tz),
        "kpis.json": json.dumps(finished.kpis.as_dict(), indent=2) + "\n",
        "kpis.txt": kpi_table(finished.kpis) + "\n",
    }
    for name, text in files.items():
        write_atomically(folder / name, text)
    return [folder / name for name in files]


def summary(finished: Finished) -> RunSummary:
    """The small record a sweep keeps per run: KPIs, occupancy by time, rejected trips."""
    prepared, result = finished.prepared, finished.result
    by_id = {r.id: r for r in prepared.requests}
    net = prepared.network
    rejected = []
    for o in result.outcomes:
        if o.status != "rejected":
            continue
        r = by_id[o.request_id]
        a = net.network.node_coords(net.resolve(r.origin))
        b = net.network.node_coords(net.resolve(r.destination))
        rejected.append((a[0], a[1], b[0], b[1]))
    days = {v.vehicle_id.partition("@")[0] for v in prepared.fleet}
    return RunSummary(
        vehicles=len(days),
        kpis=finished.kpis.as_dict(),
        occupancy=occupancy_by_hour(result.vehicles.values()),
        rejected=rejected,
        wall_s=round(result.wall_s, 3),
    )
