"""One replay from a scenario to its files: prepare, run, check, compute the KPIs, write.

Every replay's trajectories are checked by the independent checker
(:mod:`dispatch.sim.trajectory`); a replay whose buses did something real ones cannot
is an error (:class:`TrajectoryError`), never a set of KPIs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.errors import DispatchError
from dispatch.model import vehicle_of
from dispatch.sim.kpis import Kpis, compute_kpis
from dispatch.sim.output import (
    RunSummary,
    kpi_table,
    occupancy_by_hour,
    outcomes_csv,
    output_folder,
    rules_json,
    stops_csv,
    timeline_csv,
    vehicles_csv,
    write_atomically,
)
from dispatch.sim.replay import Policy, Progress, Replay, ReplayResult
from dispatch.sim.scenario import Prepared, Scenario, prepare
from dispatch.sim.trajectory import (
    Booking,
    Bus,
    Records,
    RoadArrays,
    Rules,
    SegmentPoint,
    StopRow,
    Violation,
    check,
    summarise,
)


class TrajectoryError(DispatchError):
    """The replay's buses did something real buses cannot: its numbers are not valid."""


@dataclass
class Finished:
    prepared: Prepared
    result: ReplayResult
    kpis: Kpis
    violations: list[Violation] = field(default_factory=list)


def run_scenario(
    scenario: Scenario,
    progress: Progress | None = None,
    policy: Policy | None = None,
    prepared: Prepared | None = None,
) -> Finished:
    """Replay ``scenario`` (with ``policy`` instead of the scenario's) and check it."""
    prepared = prepared or prepare(scenario)
    params = prepared.params if policy is None else prepared.with_policy(policy).params
    replay = Replay(
        prepared.requests,
        prepared.network,
        prepared.fleet,
        prepared.engine_params,
        params,
        prepared.time_rules,
    )
    result = replay.run(progress)
    kpis = compute_kpis(result.outcomes, result.vehicles.values(), result.solver_s)
    violations = check(checker_records(prepared, result), road_arrays(prepared))
    return Finished(prepared, result, kpis, violations)


def require_valid(finished: Finished) -> None:
    """Raise :class:`TrajectoryError` naming the first violations, if there are any."""
    if finished.violations:
        summary = summarise(finished.violations)
        raise TrajectoryError(
            f"the {finished.result.policy.value} replay is not physically valid: "
            + summary.line().removeprefix("trajectory check: ")
        )


def road_arrays(prepared: Prepared) -> RoadArrays:
    g = prepared.network.network.graph
    return RoadArrays(
        np.asarray(g.indptr, dtype=np.int64),
        np.asarray(g.indices, dtype=np.int64),
        np.asarray(g.travel_s, dtype=np.int64),
    )


def checker_rules(prepared: Prepared) -> dict[str, Any]:
    p = prepared.engine_params
    return {
        "boarding_s": p.service.boarding_s,
        "alighting_s": p.service.alighting_s,
        "wheelchair_extra_s": p.service.wheelchair_extra_s,
        "ride_factor": p.ride_time.factor,
        "ride_extra_s": p.ride_time.extra_s,
    }


def checker_records(prepared: Prepared, result: ReplayResult) -> Records:
    """The checker's input from the replay's raw records (what the files hold)."""
    buses = {
        v.vehicle_id: Bus(v.vehicle_id, v.seats, v.wheelchair_places, v.breaks)
        for v in result.vehicles.values()
    }
    bookings = {
        f"booking:{o.request_id}": Booking(
            f"booking:{o.request_id}",
            o.status,
            o.passengers,
            o.wheelchairs,
            o.pickup_node if o.pickup_node is not None else -1,
            o.dropoff_node if o.dropoff_node is not None else -1,
            o.promised_pickup_start,
            o.promised_pickup_end,
            o.promised_latest_arrival,
        )
        for o in result.outcomes
        if o.status in ("served", "booked")
    }
    timeline = [
        (v.vehicle_id, t, node) for v in result.vehicles.values() for t, node, _ in v.timeline
    ]
    stops = [
        StopRow(s.vehicle_id, s.booking_id, s.kind, s.node, s.arrival, s.start, s.end)
        for v in result.vehicles.values()
        for s in v.stops
    ]
    used = {node for _, _, node in timeline} | {s.node for s in stops}
    used |= {b.pickup_node for b in bookings.values()} | {b.dropoff_node for b in bookings.values()}
    points = segment_points(prepared, used)
    return Records(Rules(**checker_rules(prepared)), buses, bookings, timeline, stops, points)


def segment_points(prepared: Prepared, locations: set[int]) -> list[SegmentPoint]:
    """The points on road segments among ``locations``: where the checker splits a road."""
    network = prepared.network.network
    points = network.travel_times.points
    g = network.graph
    out = []
    for loc in sorted(x for x in locations if points.is_point(x)):
        p = points.decode(loc)
        out.append(
            SegmentPoint(
                loc,
                p.start,
                p.end,
                int(g.travel_s[p.edge]),
                p.seconds_in,
                None if p.reverse_edge is None else int(g.travel_s[p.reverse_edge]),
                p.reverse_seconds_in,
                p.offset_m,
            )
        )
    return out


def write_outputs(out: Path, finished: Finished) -> list[Path]:
    """The replay's files in ``out``; returns their paths."""
    folder = output_folder(out)
    tz = finished.prepared.config.zone
    result, coords = finished.result, finished.prepared.network.network.node_coords
    logs = list(result.vehicles.values())
    files = {
        "outcomes.csv": outcomes_csv(result.outcomes, tz),
        "timeline.csv": timeline_csv(logs, tz, coords),
        "stops.csv": stops_csv(logs, tz, coords, lambda b: b.removeprefix("booking:")),
        "vehicles.csv": vehicles_csv(logs, result.outcomes, tz),
        "kpis.json": json.dumps(finished.kpis.as_dict(), indent=2) + "\n",
        "kpis.txt": kpi_table(finished.kpis) + "\n",
        **fairness_files(finished),
        "rules.json": rules_json(
            logs,
            checker_rules(finished.prepared),
            checker_records(finished.prepared, result).points,
        ),
    }
    for name, text in files.items():
        write_atomically(folder / name, text)
    return [folder / name for name in files]


def fairness_files(finished: Finished) -> dict[str, str]:
    """fairness.json / fairness.txt: figures by rider group (wheelchair, phone, village …)."""
    from dispatch.sim.fairness import fairness_text

    rows = fairness_rows(finished)
    return {
        "fairness.json": json.dumps(rows, indent=2, ensure_ascii=False) + "\n",
        "fairness.txt": fairness_text(rows) + "\n",
    }


def fairness_rows(finished: Finished) -> list[dict[str, Any]]:
    """The replay's figures by rider group (wheelchair, channel, standing order, village,
    centre vs periphery)."""
    from dispatch.sim.fairness import replay_rows

    net = finished.prepared.network
    return replay_rows(
        finished.result.outcomes, finished.prepared.requests, net.network, net.resolve
    )


def summary(finished: Finished, baseline: Finished | None = None) -> RunSummary:
    """The small record a sweep keeps per run: KPIs, occupancy by time, rejected trips,
    figures by rider group, and the baseline's KPIs when it was run on the same day."""
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
    buses = {vehicle_of(v.vehicle_id) for v in prepared.fleet}
    return RunSummary(
        vehicles=len(buses),
        kpis=finished.kpis.as_dict(),
        occupancy=occupancy_by_hour(result.vehicles.values()),
        rejected=rejected,
        wall_s=round(result.wall_s, 3),
        policy=result.policy.value,
        baseline=baseline.kpis.as_dict() if baseline is not None else None,
        fairness=fairness_rows(finished),
    )
