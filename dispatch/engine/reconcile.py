"""Adopt a re-optimised plan into a live state that moved on while the solver ran.

The solver worked on a snapshot taken seconds ago; since then riders may have booked,
cancelled, boarded or alighted. The solver's visit orders are therefore merged with
the present: visits that are done are dropped, locked stops are put first, bookings
made meanwhile are inserted. The result is re-timed on a fresh snapshot, checked by
``validate_plan``, and adopted only if it is valid and better than the current plan.

Re-optimisation must never freeze because of one booking: when the solver's order for
a vehicle cannot be kept (a rider boarded meanwhile, its next stop got locked, it cannot
be timed) or a booking cannot be inserted anywhere, that vehicle simply keeps its current
plan, and the rest of the fleet still gets the improvement. Keeping every vehicle's
current plan is always possible, so the merge always ends.

The merge needs nothing but a :class:`MergeBase`, read from the engine in one step, so a
runner can do it beside the engine (:func:`prepare_adoption`) while quotes go on, and
hand the result over in :class:`SolveFinished`: if the state is still the one merged
with, the engine adopts the plan at once; if not, it merges again from the prepared
plan, which then only lacks what happened during the merge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dispatch.engine.events import (
    OPEN_STATUSES,
    Command,
    PlanAdopted,
    PreparedAdoption,
    SolveFinished,
)
from dispatch.engine.snapshot import LiveSnapshot
from dispatch.model import Cost, Plan, RequestId, ShiftId, Vehicle, Visit
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.plan import plan_from_states, sequences_cost
from dispatch.solver.repair import insert_requests
from dispatch.solver.route_state import route_state
from dispatch.solver.schedule import Infeasibility
from dispatch.solver.validate import validate_plan

if TYPE_CHECKING:
    from dispatch.engine.live import LiveState

log = logging.getLogger(__name__)

Sequences = dict[ShiftId, list[Visit]]


@dataclass(frozen=True, slots=True)
class MergeBase:
    """What a re-optimised plan is merged with, read from the engine in one step.

    Nothing in it changes afterwards (the snapshot's objects are immutable and the
    engine replaces, never edits, what it holds), so any thread may merge with it.
    """

    live: LiveSnapshot
    #: The visits of every open booking.
    open_visits: frozenset[Visit]
    #: Open bookings the merge may not re-insert: riders on board, drivers' breaks.
    fixed: frozenset[RequestId]
    objective: ObjectiveParams
    min_improvement: float


def merge_base(engine: LiveState, now: int, live: LiveSnapshot | None = None) -> MergeBase:
    """The engine's live state at ``now`` for a merge (in the engine's thread)."""
    open_trips = [t for t in engine.trips.values() if t.status in OPEN_STATUSES]
    return MergeBase(
        live=live if live is not None else engine.live_snapshot(now),
        open_visits=frozenset(v for t in open_trips for v in t.visits()),
        fixed=frozenset(t.booking_id for t in open_trips if t.boarded_at is not None or t.is_break),
        objective=engine.params.objective,
        min_improvement=engine.params.min_improvement,
    )


def prepare_adoption(base: MergeBase, plan: Plan) -> PreparedAdoption:
    """``plan`` merged with ``base``, timed, validated and compared (in any thread)."""
    live = base.live

    def nothing(why: str, current: Cost | None = None, warn: bool = False) -> PreparedAdoption:
        return PreparedAdoption(live.snapshot, live.visits, live.relaxed, None, current, why, warn)

    # Both plans are put together from route states: the current one's were computed by
    # the last quote, the merged one's by the merge itself (see plan_from_states).
    current = sequences_cost(live.snapshot, live.visits, base.objective)
    if isinstance(current, Infeasibility):
        return nothing("the current plan cannot be timed")
    merged = merge_with_present(base, plan)
    candidate = plan_from_states(live.snapshot, merged, base.objective)
    if isinstance(candidate, Infeasibility):
        return nothing(f"cannot be timed ({candidate.reason})", current)
    problems = validate_plan(live.snapshot, candidate)
    if problems:
        return nothing(f"rejected by validation: {problems[0]}", current, warn=True)
    if candidate.cost.total > current.total - base.min_improvement:
        return nothing("", current)
    return PreparedAdoption(live.snapshot, live.visits, live.relaxed, candidate, current)


def same_state(prepared: PreparedAdoption, live: LiveSnapshot) -> bool:
    """The live state is still the one ``prepared`` was merged with and checked on.

    Same time, same vehicles (position, riders on board, locked stops, shift), the same
    open requests with the same promises, the same visit orders: validation and costs
    would come out the same, so the prepared plan may be adopted without merging again.
    """
    snapshot = live.snapshot
    return (
        snapshot.now == prepared.snapshot.now
        and snapshot.vehicles == prepared.snapshot.vehicles
        and snapshot.requests == prepared.snapshot.requests
        and live.visits == prepared.visits
        and live.relaxed == prepared.relaxed
    )


def adopt_solution(engine: LiveState, event: SolveFinished, now: int) -> list[Command]:
    assert event.plan is not None
    prepared = event.prepared
    if prepared is None:
        prepared = prepare_adoption(merge_base(engine, now), event.plan)
    elif prepared.candidate is not None:
        live = engine.live_snapshot(now)
        if not same_state(prepared, live):
            # The state moved on during the merge: merge again, from the merged plan.
            prepared = prepare_adoption(merge_base(engine, now, live), prepared.candidate)
    if prepared.candidate is None or prepared.current is None:
        if prepared.warn:
            log.warning("re-optimised plan %s", prepared.why_not)
        elif prepared.why_not:
            log.info("re-optimised plan not adopted: %s", prepared.why_not)
        return []
    return _adopt(engine, prepared.candidate, prepared.current, event.token, prepared.relaxed)


def _adopt(
    engine: LiveState, candidate: Plan, current: Cost, token: int, relaxed: frozenset[ShiftId]
) -> list[Command]:
    changed: list[Command] = []
    moved = 0
    for route in candidate.routes:
        vehicle = engine.vehicles[route.vehicle_id]
        for rid in dict.fromkeys(s.request_id for s in route.stops):
            trip = engine.trips[rid]
            moved += trip.vehicle_id != vehicle.vehicle_id
            trip.vehicle_id = vehicle.vehicle_id
        is_relaxed = vehicle.vehicle_id in relaxed
        if tuple(vehicle.visits) != route.visits:
            changed.append(engine.set_route(vehicle, list(route.visits), route, is_relaxed))
        else:
            vehicle.route, vehicle.relaxed = route, is_relaxed
    saved = current.drive_s - candidate.cost.drive_s
    adopted = PlanAdopted(token, current.total, candidate.cost.total, saved, len(changed), moved)
    line = adopted_line(token, current, candidate.cost, len(changed))
    log.info("%s, %d booking%s moved to another bus", line, moved, "" if moved == 1 else "s")
    return [adopted, *changed]


def adopted_line(token: int, current: Cost, candidate: Cost, vehicles_changed: int) -> str:
    """What an adopted re-optimisation changed, in words that are never negative.

    A new plan is adopted when its objective (driving time plus weights on the riders'
    waiting beyond the time they asked for and on their time beyond their direct ride) is
    lower; one part may grow when the others gain more.
    """
    drive = _change(current.drive_s - candidate.drive_s, "less", "more")
    wait = _change(current.wait_s - candidate.wait_s, "less", "more")
    ride = _change(current.excess_ride_s - candidate.excess_ride_s, "less", "more")
    return (
        f"re-optimisation {token} adopted, {vehicles_changed} vehicles re-planned: "
        f"planned driving {drive}, riders' waiting {wait}, riders' time beyond their direct "
        f"rides {ride} (objective, weighted: {current.total:.0f} -> "
        f"{candidate.total:.0f})"
    )


def _change(saved_s: int, fewer: str, more: str) -> str:
    if saved_s == 0:
        return "unchanged"
    return f"{abs(saved_s) / 60:.1f} min {fewer if saved_s > 0 else more}"


def merge_with_present(base: MergeBase, plan: Plan) -> Sequences:
    """The solver's orders restricted to what is still open, completed with what is new.

    A vehicle whose proposed order cannot be kept falls back to its current order
    ("kept"); the loop ends at the latest when every vehicle is kept. Each round starts
    from the last one's result, so bookings inserted once are not inserted again.
    """
    live = base.live
    proposed = _proposed(live, plan, base.open_visits)
    kept: set[ShiftId] = set()
    while True:
        merged = _combine(live, proposed, kept)
        stuck = _unpinned(live, merged, kept)
        if not stuck:
            merged, stuck = _insert_missing(base, merged, kept)
        if not stuck:
            stuck = _untimeable(live, merged, kept, base.objective)
        if not stuck - kept:
            return merged
        kept |= stuck
        # What was placed stays placed: the next round moves only what the newly kept
        # vehicles hold (and inserts again what it displaces), instead of every booking.
        proposed = merged


def _proposed(live: LiveSnapshot, plan: Plan, open_visits: frozenset[Visit]) -> Sequences:
    proposed: Sequences = {vid: [] for vid in live.visits}
    seen: set[Visit] = set()
    for route in plan.routes:
        if route.vehicle_id not in proposed:
            continue
        sequence = [v for v in route.visits if v in open_visits and v not in seen]
        seen.update(sequence)
        proposed[route.vehicle_id] = sequence
    return proposed


def _combine(live: LiveSnapshot, proposed: Sequences, kept: set[ShiftId]) -> Sequences:
    """Kept vehicles' current orders; the others' proposals without what the kept ones hold."""
    taken = {v for vid in kept for v in live.visits.get(vid, ())}
    return {
        vid: list(live.visits[vid])
        if vid in kept
        else [v for v in proposed.get(vid, []) if v not in taken]
        for vid in live.visits
    }


def _unpinned(live: LiveSnapshot, merged: Sequences, kept: set[ShiftId]) -> set[ShiftId]:
    """Put locked stops first; vehicles missing an on-board rider or a locked stop are stuck."""
    stuck: set[ShiftId] = set()
    for vehicle in live.snapshot.vehicles:
        if vehicle.id in kept:
            continue
        if not _pin(vehicle, merged.setdefault(vehicle.id, [])):
            stuck.add(vehicle.id)
    return stuck


def _pin(vehicle: Vehicle, sequence: list[Visit]) -> bool:
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
    base: MergeBase, merged: Sequences, kept: set[ShiftId]
) -> tuple[Sequences, set[ShiftId]]:
    """Insert bookings the merge does not hold; a booking that fits nowhere keeps its vehicle."""
    live = base.live
    placed = {v for seq in merged.values() for v in seq}
    missing = sorted({v.request_id for v in base.open_visits - placed})
    if not missing:
        return merged, set()
    stuck: set[ShiftId] = set()
    insertable: list[RequestId] = []
    for rid in missing:
        home = _home(live, rid)
        if rid in base.fixed:
            if home is not None and home not in kept:
                stuck.add(home)
            continue
        merged = _without(merged, rid)
        insertable.append(rid)
    if stuck or not insertable:
        return merged, stuck
    sequences, unserved = insert_requests(live.snapshot, merged, insertable, base.objective)
    for rid in unserved:
        home = _home(live, rid)
        if home is not None and home not in kept:
            stuck.add(home)
    return {vid: list(seq) for vid, seq in sequences.items()}, stuck


def _home(live: LiveSnapshot, rid: RequestId) -> ShiftId | None:
    """The vehicle whose current plan holds the booking, if any."""
    return next(
        (vid for vid, seq in live.visits.items() if any(v.request_id == rid for v in seq)),
        None,
    )


def _without(merged: Sequences, rid: RequestId) -> Sequences:
    """Partial leftovers of a booking (e.g. a pickup whose drop-off is gone) are removed."""
    return {vid: [v for v in seq if v.request_id != rid] for vid, seq in merged.items()}


def _untimeable(
    live: LiveSnapshot, merged: Sequences, kept: set[ShiftId], objective: ObjectiveParams
) -> set[ShiftId]:
    """Vehicles (not kept already) whose merged order cannot be timed (the route states
    computed here are the ones the merged plan is then put together from)."""
    return {
        vehicle.id
        for vehicle in live.snapshot.vehicles
        if vehicle.id not in kept
        and merged.get(vehicle.id)
        and route_state(live.snapshot, vehicle, merged[vehicle.id], objective) is None
    }
