"""What a replay leaves in its output folder, and the run summary a sweep keeps.

* ``outcomes.csv`` — one row per request: status, reason, promise, actual times.
* ``timeline.csv`` — per vehicle, every road node it reached with the time and riders on
  board (also where it waited and when it left).
* ``stops.csv`` — every stop served: arrival, start and end of service.
* ``vehicles.csv`` — per vehicle: km driven, empty km, passenger-km, riders served.
* ``kpis.json`` and ``kpis.txt`` — the key figures, for machines and for people.
* ``rules.json`` — the rules the replay ran under, for the trajectory checker.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from dispatch.errors import InputError
from dispatch.sim.kpis import Kpis
from dispatch.sim.outcomes import Outcome, VehicleLog

OUTCOME_COLUMNS = (
    "request_id",
    "status",
    "reason",
    "vehicle_id",
    "booked_at",
    "requested_time",
    "time_is",
    "passengers",
    "wheelchairs",
    "promised_pickup_start",
    "promised_pickup_end",
    "promised_latest_arrival",
    "planned_pickup",
    "pickup",
    "dropoff",
    "wait_min",
    "ride_min",
    "direct_min",
    "boarded",
    "alighted",
    "detour",
    "pickup_node",
    "dropoff_node",
)

#: (label, KPI field, format) — the readable table, in the order a planner reads it.
KPI_ROWS = (
    ("requests", "requested", "{:d}"),
    ("served", "served", "{:d}"),
    ("rejected", "rejected", "{:d}"),
    ("share served", "served_share", "{:.1%}"),
    ("wait, mean (min)", "wait_mean_min", "{:.1f}"),
    ("wait, median (min)", "wait_median_min", "{:.1f}"),
    ("wait, 95th percentile (min)", "wait_p95_min", "{:.1f}"),
    ("wait, max (min)", "wait_max_min", "{:.1f}"),
    ("promised wait, mean (min)", "promised_wait_mean_min", "{:.1f}"),
    ("ride time incl. boarding, mean (min)", "ride_mean_min", "{:.1f}"),
    ("detour factor, mean", "detour_mean", "{:.2f}"),
    ("detour factor, max", "detour_max", "{:.2f}"),
    ("vehicle-km", "vehicle_km", "{:.1f}"),
    ("vehicle-km without the return to the depot", "vehicle_km_no_return", "{:.1f}"),
    ("empty km", "empty_km", "{:.1f}"),
    ("passenger-km", "passenger_km", "{:.1f}"),
    ("occupancy (passenger-km per vehicle-km)", "occupancy", "{:.2f}"),
    ("pooled share", "pooling_rate", "{:.1%}"),
    ("vehicle-hours (shifts)", "vehicle_hours", "{:.1f}"),
    ("passengers per vehicle-hour", "passengers_per_vehicle_hour", "{:.2f}"),
    ("solver time (s)", "solver_s", "{:.1f}"),
)


def kpi_table(kpis: Kpis) -> str:
    values = kpis.as_dict()
    width = max(len(label) for label, _, _ in KPI_ROWS)
    return "\n".join(f"{label:<{width}}  {fmt.format(values[key])}" for label, key, fmt in KPI_ROWS)


def outcomes_csv(outcomes: Iterable[Outcome], tz: tzinfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(OUTCOME_COLUMNS)
    for o in outcomes:
        writer.writerow(
            [
                o.request_id,
                o.status,
                o.reason,
                o.vehicle_id,
                _iso(o.booked_at, tz),
                _iso(o.requested_time, tz),
                "arrive_by" if o.arrive_by else "depart_after",
                o.passengers,
                o.wheelchairs,
                _iso(o.promised_pickup_start, tz),
                _iso(o.promised_pickup_end, tz),
                _iso(o.promised_latest_arrival, tz),
                _iso(o.planned_pickup, tz),
                _iso(o.pickup, tz),
                _iso(o.dropoff, tz),
                _minutes(o.wait_s),
                _minutes(o.ride_s),
                _minutes(o.direct_s),
                _iso(o.boarded, tz),
                _iso(o.alighted, tz),
                _detour(o),
                "" if o.pickup_node is None else o.pickup_node,
                "" if o.dropoff_node is None else o.dropoff_node,
            ]
        )
    return out.getvalue()


def _detour(o: Outcome) -> str:
    on_board = o.on_board_s
    if on_board is None or not o.direct_s:
        return ""
    return f"{on_board / o.direct_s:.3f}"


STOP_COLUMNS = (
    "vehicle_id",
    "request_id",
    "kind",
    "node",
    "lat",
    "lon",
    "arrival",
    "service_start",
    "service_end",
)


def stops_csv(
    logs: Iterable[VehicleLog],
    tz: tzinfo,
    coords: Callable[[int], tuple[float, float]],
    request_of: Callable[[str], str],
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STOP_COLUMNS)
    for log in logs:
        for s in log.stops:
            lat, lon = coords(s.node)
            booking = s.booking_id if s.kind == "break" else request_of(s.booking_id)
            writer.writerow(
                (
                    log.vehicle_id,
                    booking,
                    s.kind,
                    s.node,
                    f"{lat:.6f}",
                    f"{lon:.6f}",
                    _iso(s.arrival, tz),
                    _iso(s.start, tz),
                    _iso(s.end, tz),
                )
            )
    return out.getvalue()


def rules_json(
    logs: Iterable[VehicleLog], rules: dict[str, Any], points: Sequence[object] = ()
) -> str:
    """What the trajectory checker needs besides the CSV files: service rules, buses and
    the points on road segments that addresses and stops lie on (dataclasses)."""
    vehicles = [
        {
            "vehicle_id": v.vehicle_id,
            "seats": v.seats,
            "wheelchair_places": v.wheelchair_places,
            "breaks": [list(b) for b in v.breaks],
        }
        for v in logs
    ]
    segment_points = [asdict(p) for p in points]  # type: ignore[call-overload]
    body = {"rules": rules, "vehicles": vehicles, "points": segment_points}
    return json.dumps(body, indent=2) + "\n"


def timeline_csv(
    logs: Iterable[VehicleLog], tz: tzinfo, coords: Callable[[int], tuple[float, float]]
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("vehicle_id", "time", "node", "lat", "lon", "on_board"))
    for log in logs:
        for at, node, on_board in log.timeline:
            lat, lon = coords(node)
            writer.writerow(
                (log.vehicle_id, _iso(at, tz), node, f"{lat:.6f}", f"{lon:.6f}", on_board)
            )
    return out.getvalue()


def vehicles_csv(logs: Iterable[VehicleLog], outcomes: Sequence[Outcome], tz: tzinfo) -> str:
    riders: dict[str, int] = {}
    for o in outcomes:
        if o.status == "served":
            riders[o.vehicle_id] = riders.get(o.vehicle_id, 0) + o.passengers
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        (
            "vehicle_id",
            "shift_start",
            "shift_end",
            "km",
            "empty_km",
            "passenger_km",
            "drive_h",
            "passengers",
            "seats",
            "wheelchair_places",
            "return_km",
            "stops",
        )
    )
    for log in logs:
        writer.writerow(
            (
                log.vehicle_id,
                _iso(log.shift_start, tz),
                _iso(log.shift_end, tz),
                f"{log.distance_m / 1000:.2f}",
                f"{log.empty_m / 1000:.2f}",
                f"{log.passenger_m / 1000:.2f}",
                f"{log.drive_s / 3600:.2f}",
                riders.get(log.vehicle_id, 0),
                log.seats,
                log.wheelchair_places,
                f"{log.return_m / 1000:.2f}",
                len(log.stops),
            )
        )
    return out.getvalue()


def occupancy_by_hour(logs: Iterable[VehicleLog], bin_s: int = 900) -> list[tuple[int, float]]:
    """Riders on board summed over the fleet, averaged over each ``bin_s`` slot of the day."""
    totals: dict[int, float] = {}
    for log in logs:
        points = log.timeline
        for (at, _, on_board), (nxt, _, _) in itertools.pairwise(points):
            _spread(totals, at, nxt, on_board, bin_s)
    return [(k * bin_s, totals[k] / bin_s) for k in sorted(totals)]


def _spread(totals: dict[int, float], start: int, end: int, weight: int, bin_s: int) -> None:
    t = start
    while t < end:
        k = t // bin_s
        upto = min(end, (k + 1) * bin_s)
        totals[k] = totals.get(k, 0.0) + weight * (upto - t)
        t = upto


@dataclass
class RunSummary:
    """What a sweep keeps of one replay (small, JSON): enough for the report."""

    vehicles: int
    kpis: dict[str, Any]
    occupancy: list[tuple[int, float]] = field(default_factory=list)
    rejected: list[tuple[float, float, float, float]] = field(default_factory=list)
    wall_s: float = 0.0
    #: The policy replayed, and the insertion baseline's KPIs on the same day (if run).
    policy: str = "dispatcher"
    baseline: dict[str, Any] | None = None
    #: Figures by rider group (``dispatch.sim.fairness.group_rows``).
    fairness: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunSummary:
        data = json.loads(text)
        return cls(
            vehicles=int(data["vehicles"]),
            kpis=dict(data["kpis"]),
            occupancy=[(int(t), float(x)) for t, x in data["occupancy"]],
            rejected=[tuple(map(float, r)) for r in data["rejected"]],  # type: ignore[misc]
            wall_s=float(data.get("wall_s", 0.0)),
            policy=str(data.get("policy", "dispatcher")),
            baseline=dict(data["baseline"]) if data.get("baseline") else None,
            # A run stored before the fairness figures has none: it is computed again.
            fairness=[dict(r) for r in data["fairness"]],
        )


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file first: an interrupted sweep never leaves half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def output_folder(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot create the output folder: {exc.strerror}") from None
    if not path.is_dir():
        raise InputError(f"{path}: not a folder")
    return path


def _iso(t: int | None, tz: tzinfo) -> str:
    return "" if t is None else datetime.fromtimestamp(t, tz).isoformat()


def _minutes(s: int | None) -> str:
    return "" if s is None else f"{s / 60:.1f}"
