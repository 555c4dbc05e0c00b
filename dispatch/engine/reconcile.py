"""Adopt a re-optimised plan into a live state that moved on while the solver ran.

The solver worked on a snapshot taken seconds ago; since then riders may have booked,
cancelled, boarded or alighted. The solver's visit orders are therefore merged with
the present: visits that are done are dropped, locked stops are put first, bookings
made meanwhile are inserted. The result is re-timed on a fresh snapshot, checked by
``validate_plan``, and adopted only if it is valid and better than the current plan.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dispatch.engine.events import OPEN_STATUSES, Command, PlanAdopted, SolveFinished
from dispatch.engine.snapshot import LiveSnapshot
from dispatch.model import Plan, RequestId, VehicleId, Visit
from dispatch.solver.plan import make_plan
from dispatch.solver.repair import insert_requests
from dispatch.solver.schedule import Infeasibility
from dispatch.solver.validate import validate_plan

if TYPE_CHECKING:
    from dispatch.engine.engine import Engine

log = logging.getLogger(__name__)

Sequences = dict[VehicleId, list[Visit]]


def adopt_solution(engine: Engine, event: SolveFinished, now: int) -> list[Command]:
    assert event.plan is not None
    live = engine.live_snapshot(now)
    merged = merge_with_present(engine, live, event.plan)
    if merged is None:
        return []
    objective = engine.params.objective
    current = make_plan(live.snapshot, live.visits, objective)
    candidate = make_plan(live.snapshot, merged, objective)
    if isinstance(candidate, Infeasibility) or isinstance(current, Infeasibility):
        log.info("re-optimised plan not adopted: cannot be timed")
        return []
    problems = validate_plan(live.snapshot, candidate)
    if problems:
        log.warning("re-optimised plan rejected by validation: %s", problems[0])
        return []
    if candidate.cost.total > current.cost.total - engine.params.min_improvement:
        return []
    return _adopt(engine, candidate, current, event.token, live.relaxed)


def _adopt(
    engine: Engine, candidate: Plan, current: Plan, token: int, relaxed: frozenset[str]
) -> list[Command]:
    changed: list[Command] = []
    for route in candidate.routes:
        vehicle = engine.vehicles[str(route.vehicle_id)]
        for stop in route.stops:
            engine.trips[str(stop.request_id)].vehicle_id = vehicle.vehicle_id
        is_relaxed = vehicle.vehicle_id in relaxed
        if tuple(vehicle.visits) != route.visits:
            changed.append(engine._set_route(vehicle, list(route.visits), route, is_relaxed))
        else:
            vehicle.route, vehicle.relaxed = route, is_relaxed
    saved = current.cost.drive_s - candidate.cost.drive_s
    adopted = PlanAdopted(token, current.cost.total, candidate.cost.total, saved, len(changed))
    log.info("%s", adopted_line(token, current, candidate, len(changed)))
    return [adopted, *changed]


def adopted_line(token: int, current: Plan, candidate: Plan, vehicles_changed: int) -> str:
    """What an adopted re-optimisation changed, in words that are never negative.

    A new plan is adopted when its objective (driving time plus a weight on the riders'
    time beyond their direct ride) is lower; driving alone may grow when the riders gain.
    """
    drive = _change(current.cost.drive_s - candidate.cost.drive_s, "less", "more")
    ride = _change(current.cost.excess_ride_s - candidate.cost.excess_ride_s, "less", "more")
    return (
        f"re-optimisation {token} adopted, {vehicles_changed} vehicles re-planned: "
        f"planned driving {drive}, riders' time beyond their direct rides {ride} "
        f"(objective {current.cost.total:.0f} -> {candidate.cost.total:.0f})"
    )


def _change(saved_s: int, fewer: str, more: str) -> str:
    if saved_s == 0:
        return "unchanged"
    return f"{abs(saved_s) / 60:.1f} min {fewer if saved_s > 0 else more}"


def merge_with_present(engine: Engine, live: LiveSnapshot, plan: Plan) -> Sequences | None:
    """The solver's orders restricted to what is still open, completed with what is new."""
    open_visits = {
        v for t in engine.trips.values() if t.status in OPEN_STATUSES for v in t.visits()
    }
    merged: Sequences = {vid: [] for vid in live.visits}
    seen: set[Visit] = set()
    for route in plan.routes:
        if route.vehicle_id not in merged:
            continue
        sequence = [v for v in route.visits if v in open_visits and v not in seen]
        seen.update(sequence)
        merged[route.vehicle_id] = sequence
    if not _keep_pinned(live, merged):
        return None
    missing = {str(v.request_id) for v in open_visits - seen}
    return _insert_missing(live, merged, missing, engine)


def _keep_pinned(live: LiveSnapshot, merged: Sequences) -> bool:
    """Locked stops first and on-board drop-offs on their own vehicle, or give up."""
    for vehicle in live.snapshot.vehicles:
        sequence = merged.get(vehicle.id, [])
        for rid in vehicle.on_board:
            if not any(v.request_id == rid for v in sequence):
                return False
        for k, visit in enumerate(vehicle.locked):
            if visit not in sequence:
                return False
            sequence.remove(visit)
            sequence.insert(k, visit)
    return True


def _insert_missing(
    live: LiveSnapshot, merged: Sequences, missing: set[str], engine: Engine
) -> Sequences | None:
    if not missing:
        return merged
    ids = [RequestId(r) for r in sorted(missing)]
    if any(engine.trips[r].status not in OPEN_STATUSES or engine.trips[r].boarded_at for r in ids):
        return None
    sequences, unserved = insert_requests(live.snapshot, merged, ids, engine.params.objective)
    if unserved:
        return None
    return {vid: list(seq) for vid, seq in sequences.items()}
