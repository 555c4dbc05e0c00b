"""One independent checker of plans: the guard before any plan is adopted.

It shares no logic with the schedule arithmetic or the solvers: it reads the times
written in the plan and checks them against the snapshot, so a bug in a solver cannot
hide behind the same bug in its checker. Tests, benchmarks and the engine all use it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from dispatch.model import (
    Plan,
    Request,
    RequestId,
    Route,
    ShiftId,
    Snapshot,
    StopKind,
    Vehicle,
    ride_limited,
    ride_s,
)


class ViolationKind(StrEnum):
    ROUTES = "routes"
    UNKNOWN_REQUEST = "unknown_request"
    LOCATION = "location"
    TRAVEL_TIME = "travel_time"
    SERVICE_TIME = "service_time"
    START = "start"
    PICKUP_WINDOW = "pickup_window"
    DROPOFF_WINDOW = "dropoff_window"
    RIDE_TIME = "ride_time"
    CAPACITY = "capacity"
    EXCLUSIVE = "exclusive"
    LOAD = "load"
    PAIRING = "pairing"
    DUPLICATE = "duplicate"
    ON_BOARD = "on_board"
    LOCKED = "locked"
    SHIFT_END = "shift_end"
    DURATION = "duration"
    PROMISE_DROPPED = "promise_dropped"
    UNSERVED = "unserved"


@dataclass(frozen=True, slots=True)
class Violation:
    kind: ViolationKind
    message: str
    vehicle_id: ShiftId | None = None
    request_id: RequestId | None = None

    def __str__(self) -> str:
        where = " ".join(x for x in (self.vehicle_id, self.request_id) if x)
        return f"{self.kind.value}{f' ({where})' if where else ''}: {self.message}"


def validate_plan(snapshot: Snapshot, plan: Plan) -> list[Violation]:
    """Every way in which ``plan`` breaks the rules of ``snapshot`` (empty if none)."""
    found: list[Violation] = []
    found += _check_routes_match_vehicles(snapshot, plan)
    if found:
        return found
    for vehicle, route in zip(snapshot.vehicles, plan.routes, strict=True):
        found += _check_route(snapshot, vehicle, route)
    found += _check_once_across_routes(plan)
    found += _check_coverage(snapshot, plan)
    return found


def _check_once_across_routes(plan: Plan) -> list[Violation]:
    """A request on two vehicles is complete on each, so per-route pairing cannot see it."""
    vehicles_of: dict[RequestId, list[ShiftId]] = {}
    for route in plan.routes:
        for rid in dict.fromkeys(s.request_id for s in route.stops):
            vehicles_of.setdefault(rid, []).append(route.vehicle_id)
    return [
        Violation(ViolationKind.DUPLICATE, f"served by vehicles {vids}", request_id=rid)
        for rid, vids in vehicles_of.items()
        if len(vids) > 1
    ]


def _check_routes_match_vehicles(snapshot: Snapshot, plan: Plan) -> list[Violation]:
    expected = [v.id for v in snapshot.vehicles]
    got = [r.vehicle_id for r in plan.routes]
    if expected != got:
        return [Violation(ViolationKind.ROUTES, f"routes for {got}, vehicles are {expected}")]
    return []


def _check_route(snapshot: Snapshot, vehicle: Vehicle, route: Route) -> list[Violation]:
    requests = snapshot.request_by_id
    unknown = [s.request_id for s in route.stops if s.request_id not in requests]
    if unknown:
        return [
            Violation(ViolationKind.UNKNOWN_REQUEST, "not in the snapshot", vehicle.id, rid)
            for rid in unknown
        ]
    return [
        *_check_times(snapshot, vehicle, route),
        *_check_windows_and_rides(snapshot, vehicle, route),
        *_check_loads(snapshot, vehicle, route),
        *_check_pairing(snapshot, vehicle, route),
        *_check_locked(vehicle, route),
    ]


def _stop_request(snapshot: Snapshot, request_id: RequestId) -> Request:
    return snapshot.request_by_id[request_id]


def _check_times(snapshot: Snapshot, vehicle: Vehicle, route: Route) -> list[Violation]:
    travel = snapshot.travel_s
    out: list[Violation] = []
    vid = vehicle.id

    def bad(kind: ViolationKind, msg: str, rid: RequestId | None = None) -> None:
        out.append(Violation(kind, msg, vid, rid))

    if route.departure < vehicle.available_from:
        bad(
            ViolationKind.START,
            f"leaves at {route.departure}, available from {vehicle.available_from}",
        )
    prev_loc, prev_dep = vehicle.start_location, route.departure
    for stop in route.stops:
        request = _stop_request(snapshot, stop.request_id)
        is_pickup = stop.kind is StopKind.PICKUP
        loc = request.pickup if is_pickup else request.dropoff
        service = request.pickup_service_s if is_pickup else request.dropoff_service_s
        rid = stop.request_id
        if not is_pickup and stop.kind is not request.dropoff_kind:
            bad(
                ViolationKind.PAIRING,
                f"{stop.kind} stop, the request's is {request.dropoff_kind}",
                rid,
            )
        if stop.location != loc:
            bad(ViolationKind.LOCATION, f"{stop.kind} at {stop.location}, expected {loc}", rid)
        if stop.arrival != prev_dep + int(travel[prev_loc, loc]):
            bad(
                ViolationKind.TRAVEL_TIME,
                f"arrives {stop.arrival}, travel says {prev_dep + int(travel[prev_loc, loc])}",
                rid,
            )
        if stop.start < stop.arrival or stop.departure != stop.start + service:
            bad(
                ViolationKind.SERVICE_TIME,
                "service does not start after arrival for its duration",
                rid,
            )
        prev_loc, prev_dep = loc, stop.departure
    end = prev_dep + int(travel[prev_loc, vehicle.end_location])
    if route.end_arrival != end:
        bad(ViolationKind.TRAVEL_TIME, f"reaches its end at {route.end_arrival}, travel says {end}")
    if route.end_arrival > vehicle.shift_end:
        bad(
            ViolationKind.SHIFT_END,
            f"ends at {route.end_arrival}, after the shift end {vehicle.shift_end}",
        )
    if (
        vehicle.max_duration_s is not None
        and route.end_arrival - route.departure > vehicle.max_duration_s
    ):
        bad(
            ViolationKind.DURATION,
            f"lasts {route.end_arrival - route.departure} s, limit {vehicle.max_duration_s} s",
        )
    return out


def _check_windows_and_rides(snapshot: Snapshot, vehicle: Vehicle, route: Route) -> list[Violation]:
    out: list[Violation] = []
    pickup_start: dict[RequestId, int] = {}
    for stop in route.stops:
        request = _stop_request(snapshot, stop.request_id)
        rid = stop.request_id
        if stop.kind is StopKind.PICKUP:
            if not request.pickup_window.contains(stop.start):
                out.append(
                    Violation(
                        ViolationKind.PICKUP_WINDOW,
                        f"pickup at {stop.start}, window {request.pickup_window}",
                        vehicle.id,
                        rid,
                    )
                )
            pickup_start[rid] = stop.start
            continue
        if not request.dropoff_window.contains(stop.start):
            out.append(
                Violation(
                    ViolationKind.DROPOFF_WINDOW,
                    f"drop-off at {stop.start}, window {request.dropoff_window}",
                    vehicle.id,
                    rid,
                )
            )
        picked = pickup_start.get(rid, request.boarded_at)
        ride = None if picked is None else ride_s(request, picked, stop.start)
        if ride is not None and ride_limited(request) and ride > request.max_ride_s:
            out.append(
                Violation(
                    ViolationKind.RIDE_TIME,
                    f"rides {ride} s, limit {request.max_ride_s} s",
                    vehicle.id,
                    rid,
                )
            )
    return out


def _check_loads(snapshot: Snapshot, vehicle: Vehicle, route: Route) -> list[Violation]:
    out: list[Violation] = []
    load = [0] * len(vehicle.capacity)
    for rid in vehicle.on_board:
        for i, q in enumerate(_stop_request(snapshot, rid).load):
            load[i] += q
    for stop in route.stops:
        request = _stop_request(snapshot, stop.request_id)
        if request.exclusive and stop.kind is not StopKind.PICKUP and any(load):
            out.append(
                Violation(
                    ViolationKind.EXCLUSIVE,
                    f"riders on board ({tuple(load)}) during a break",
                    vehicle.id,
                    stop.request_id,
                )
            )
        sign = 1 if stop.kind is StopKind.PICKUP else -1
        for i, q in enumerate(request.load):
            load[i] += sign * q
        if any(x > c for x, c in zip(load, vehicle.capacity, strict=True)):
            out.append(
                Violation(
                    ViolationKind.CAPACITY,
                    f"load {load} over capacity {vehicle.capacity}",
                    vehicle.id,
                    stop.request_id,
                )
            )
        if tuple(load) != tuple(stop.load_after):
            out.append(
                Violation(
                    ViolationKind.LOAD,
                    f"load after stop is {tuple(load)}, plan says {stop.load_after}",
                    vehicle.id,
                    stop.request_id,
                )
            )
    return out


def _check_pairing(snapshot: Snapshot, vehicle: Vehicle, route: Route) -> list[Violation]:
    out: list[Violation] = []
    counts = Counter((s.request_id, s.kind) for s in route.stops)
    for (rid, kind), n in counts.items():
        if n > 1:
            out.append(
                Violation(ViolationKind.DUPLICATE, f"{kind} visited {n} times", vehicle.id, rid)
            )
    picked: set[RequestId] = set()
    for stop in route.stops:
        sid = stop.request_id
        request = _stop_request(snapshot, stop.request_id)
        if stop.kind is StopKind.PICKUP:
            if request.on_board:
                out.append(
                    Violation(
                        ViolationKind.ON_BOARD, "picked up again while on board", vehicle.id, sid
                    )
                )
            picked.add(sid)
        elif sid not in picked and stop.request_id not in vehicle.on_board:
            out.append(
                Violation(
                    ViolationKind.PAIRING,
                    "drop-off without a pickup before it on this vehicle",
                    vehicle.id,
                    sid,
                )
            )
    dropped = {s.request_id for s in route.stops if s.kind is not StopKind.PICKUP}
    for left in picked - dropped:
        out.append(
            Violation(ViolationKind.PAIRING, "picked up but never dropped off", vehicle.id, left)
        )
    for rid in vehicle.on_board:
        if rid not in dropped:
            out.append(
                Violation(
                    ViolationKind.ON_BOARD,
                    "rider on board is not dropped off by this vehicle",
                    vehicle.id,
                    rid,
                )
            )
    return out


def _check_locked(vehicle: Vehicle, route: Route) -> list[Violation]:
    prefix = route.visits[: len(vehicle.locked)]
    if tuple(prefix) != tuple(vehicle.locked):
        return [
            Violation(
                ViolationKind.LOCKED,
                f"plan starts {list(prefix)}, locked {list(vehicle.locked)}",
                vehicle.id,
            )
        ]
    return []


def _check_coverage(snapshot: Snapshot, plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    served = {s.request_id for r in plan.routes for s in r.stops}
    listed = set(plan.unserved)
    for request in snapshot.requests:
        rid = request.id
        if rid in served and rid in listed:
            out.append(
                Violation(ViolationKind.UNSERVED, "both served and listed unserved", request_id=rid)
            )
        elif rid not in served and rid not in listed:
            out.append(
                Violation(
                    ViolationKind.UNSERVED, "neither served nor listed unserved", request_id=rid
                )
            )
        if rid not in served and (request.promised or request.on_board):
            out.append(
                Violation(
                    ViolationKind.PROMISE_DROPPED,
                    "a promised request is not served",
                    request_id=rid,
                )
            )
    for rid in listed - {r.id for r in snapshot.requests}:
        out.append(
            Violation(
                ViolationKind.UNKNOWN_REQUEST,
                "listed unserved but not in the snapshot",
                request_id=rid,
            )
        )
    return out
