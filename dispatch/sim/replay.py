"""Replay demand through the live engine with a simulated clock and simulated buses.

The very same :class:`~dispatch.engine.engine.Engine` that runs the service handles
every quote, booking, stop event and re-optimisation, under the same booking rules;
only the clock and the buses are simulated. Riders accept an offer, or walk away when
there is none. Time jumps from one thing that happens to the next (a request, a bus
leaving, reaching a stop or finishing one, a re-optimisation falling due), so a day
replays in seconds.

Two dispatch policies can be replayed on the same day:

* ``dispatcher`` — the production dispatcher: offers by insertion, and re-optimisation
  whenever the engine finds one due (after changes and periodically, exactly as the
  live service's runner asks it), with the live pipeline (large-neighbourhood search,
  then OR-Tools) bounded by iteration and step counts instead of wall time;
* ``insertion`` — the classic pooling insertion heuristic as a baseline: each request
  goes where it is cheapest to insert it, nothing already planned ever moves, and plans
  are never re-optimised.

Differences to the live service that remain: a solve takes no simulated time (the
live solver takes up to its deadline while the world moves on), and riders take an
offer at once instead of after a few seconds' thought.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRequested,
    Command,
    Event,
    EventRefused,
    PlanAdopted,
    PlanChanged,
    QuoteAnswered,
    QuoteRequested,
    RelocationOrdered,
    SolveFinished,
    SolveRequested,
    Tick,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.locations import NodeTravelTimes
from dispatch.engine.params import EngineParams
from dispatch.fairness.guard import FairnessGuard, FairnessParams
from dispatch.model import BookingId, ShiftId
from dispatch.sim.demand import DemandRequest, Place
from dispatch.sim.outcomes import Outcome, VehicleLog, record_stops
from dispatch.sim.solving import CountedSolver
from dispatch.sim.vehicles import PathSource, PlanStop, SimulatedBus
from dispatch.solver.plan import make_plan
from dispatch.solver.schedule import Infeasibility
from dispatch.solver.validate import validate_plan

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
#: Why a request's time cannot be booked at ``now`` (the service's booking rules).
TimeRules = Callable[[int, int], str | None]


class Policy(StrEnum):
    DISPATCHER = "dispatcher"
    INSERTION = "insertion"


class ReplayNetwork(NodeTravelTimes, PathSource, Protocol):
    """The road network as the replay needs it."""

    def resolve(self, place: Place) -> int: ...


@dataclass(frozen=True, slots=True)
class VehicleSpec:
    vehicle_id: ShiftId
    seats: int
    wheelchair_places: int
    depot_node: int
    shift_start: int
    shift_end: int
    #: Planned breaks (start, end), as in the service definition's shifts.
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class ReplayParams:
    """Which policy runs and how much search each re-optimisation gets.

    The search is bounded by counts, not by the clock, so that a replay gives the same
    result for the same input and seed on any machine: ``solver_iterations`` rounds of
    large-neighbourhood search and ``ortools_steps`` OR-Tools search steps (0: none)
    per re-optimisation. When re-optimisation falls due is the engine's own rule
    (``EngineParams.reoptimise_debounce_s`` / ``reoptimise_period_s``).
    """

    policy: Policy = Policy.DISPATCHER
    solver_iterations: int = 30
    ortools_steps: int = 20
    #: Search iterations of a quick re-optimisation after a change (no OR-Tools).
    quick_iterations: int = 10
    seed: int = 0
    #: Riders take the offer with the earliest pickup (else the first: the cheapest).
    earliest_offer: bool = False
    #: Validate the whole live plan after every change (slow; for tests).
    check_plans: bool = False
    #: The fairness option (``dispatch.fairness.guard``): None is off.
    fairness: FairnessParams | None = None

    def __post_init__(self) -> None:
        if self.solver_iterations < 0 or self.ortools_steps < 0:
            raise ValueError("solver iterations and OR-Tools steps must not be negative")


@dataclass
class ReplayResult:
    policy: Policy
    outcomes: list[Outcome]
    vehicles: dict[str, VehicleLog]
    solver_s: float
    solves: int
    adopted: int
    wall_s: float = 0.0
    commands: int = 0
    #: Problems found by ``check_plans`` and events the engine refused (both should be empty).
    plan_checks: list[str] = field(default_factory=list)


#: Order of things happening at the same second: buses first (the engine learns what
#: happened), then riders' requests, then re-optimisation.
_BUS, _REQUEST, _TICK = 0, 1, 2
#: A bus woken more often than this within one simulated second is stuck (a bug).
MAX_WAKES_PER_SECOND = 1000


class Replay:
    """One replay run; ``run()`` drives it to the end of the day."""

    def __init__(
        self,
        requests: Sequence[DemandRequest],
        network: ReplayNetwork,
        fleet: Sequence[VehicleSpec],
        engine_params: EngineParams,
        params: ReplayParams,
        time_rules: TimeRules | None = None,
    ) -> None:
        self.network = network
        self.params = params
        self.guard = FairnessGuard(params.fairness) if params.fairness is not None else None
        self.time_rules = time_rules
        if params.policy is Policy.INSERTION:  # the classic heuristic: nothing ever moves
            engine_params = replace(engine_params, quote_reassign=False, rebalance=None)
        self.engine = Engine(network, engine_params)
        self.solver = CountedSolver(
            engine_params.objective,
            params.solver_iterations,
            params.ortools_steps,
            params.seed,
            quick_iterations=params.quick_iterations,
        )
        self.requests = list(requests)
        self.outcomes = {r.id: Outcome.requested(r) for r in self.requests}
        self.passengers = {_booking_id(r.id): r.passengers for r in self.requests}
        self.fleet = list(fleet)
        self.buses: dict[str, SimulatedBus] = {
            v.vehicle_id: SimulatedBus(
                v.vehicle_id, v.depot_node, v.shift_start, v.shift_end, network, self.passengers
            )
            for v in fleet
        }
        self.solver_s = 0.0
        self.solves = 0
        self.adopted = 0
        self.commands = 0
        self.relocations = 0
        self.plan_checks: list[str] = []
        self._queue: list[tuple[int, int, int, str]] = []
        self._seq = itertools.count()
        self._wakes: dict[str, int | None] = {vid: None for vid in self.buses}
        self._tick_at: int | None = None
        self._quiet_until = 0
        self._pending_requests = 0
        self._spins: dict[str, tuple[int, int]] = {}

    # ---- the event loop ------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> ReplayResult:
        started = time.perf_counter()
        start = min([r.booked_at for r in self.requests] + [v.shift_start for v in self.fleet])
        for v in self.fleet:
            self._handle(
                VehicleAdded(
                    v.vehicle_id,
                    v.seats,
                    v.wheelchair_places,
                    v.depot_node,
                    v.shift_start,
                    v.shift_end,
                    v.breaks,
                ),
                start,
            )
        for k, r in enumerate(self.requests):
            self._push(r.booked_at, _REQUEST, str(k))
        self._pending_requests = len(self.requests)
        for vid in self.buses:
            self._schedule_bus(vid, start)
        done = 0
        while self._queue:
            at, kind, _, key = heapq.heappop(self._queue)
            if kind == _BUS:
                if self._wakes.get(key) != at:
                    continue  # superseded by a later plan
                self._wakes[key] = None
                self._wake_bus(key, at)
            elif kind == _REQUEST:
                self._pending_requests -= 1
                self._request(self.requests[int(key)], at)
                done += 1
                if progress is not None:
                    progress(done, len(self.requests))
            else:
                if self._tick_at != at:
                    continue
                self._tick_at = None
                if not self._pending_requests and not any(self._wakes.values()):
                    break  # nothing more will happen
                self._tick(at)
            self._schedule_tick(at)
        return self._result(time.perf_counter() - started)

    def _push(self, at: int, kind: int, key: str) -> None:
        heapq.heappush(self._queue, (at, kind, next(self._seq), key))

    def _schedule_bus(self, vid: str, now: int) -> None:
        due = self.buses[vid].wake_time(now)
        if due is not None:
            due = max(due, now)
        if due == self._wakes.get(vid):
            return
        self._wakes[vid] = due
        if due is not None:
            self._push(due, _BUS, vid)

    def _schedule_tick(self, now: int) -> None:
        if self.params.policy is not Policy.DISPATCHER:
            return
        due = self.engine.next_solve_due(now)
        if due is None:
            return
        due = max(due, self._quiet_until)
        if self._tick_at is None or due < self._tick_at:
            self._tick_at = due
            self._push(due, _TICK, "")

    # ---- buses ---------------------------------------------------------------------------

    def _wake_bus(self, vid: str, now: int) -> None:
        spins = self._spins.get(vid)
        self._spins[vid] = (now, spins[1] + 1) if spins and spins[0] == now else (now, 1)
        if self._spins[vid][1] > MAX_WAKES_PER_SECOND:
            raise RuntimeError(f"simulated bus {vid} makes no progress at {now}")
        for event in self.buses[vid].wake(now):
            self._handle(event, now)
        self._schedule_bus(vid, now)

    def _report_positions(self, now: int) -> None:
        """Every bus tells the dispatcher where it is: the last road node it reached, or
        the node where it stands."""
        for bus in self.buses.values():
            bus.advance(now)
            report = bus.position_report(now)
            if report is not None:
                self._handle(report, now)

    # ---- riders --------------------------------------------------------------------------

    def _request(self, request: DemandRequest, now: int) -> None:
        outcome = self.outcomes[request.id]
        when = request.depart_after if request.depart_after is not None else request.arrive_by
        problem = self.time_rules(when, now) if self.time_rules and when is not None else None
        if problem is not None:
            outcome.reject(problem)
            return
        spec = TripSpec(
            pickup_node=self.network.resolve(request.origin),
            dropoff_node=self.network.resolve(request.destination),
            passengers=request.passengers,
            wheelchairs=request.wheelchairs,
            depart_after=request.depart_after,
            arrive_by=request.arrive_by,
        )
        table = self.engine.table
        outcome.pickup_node, outcome.dropoff_node = spec.pickup_node, spec.dropoff_node
        outcome.direct_s = table.seconds(*table.index_many([spec.pickup_node, spec.dropoff_node]))
        if spec.pickup_node == spec.dropoff_node:
            outcome.reject("origin and destination are the same place")
            return
        self._report_positions(now)
        self._quote_and_book(request, spec, outcome, now)

    def _quote_and_book(
        self, request: DemandRequest, spec: TripSpec, outcome: Outcome, now: int
    ) -> None:
        answer = self._quote(request.id, spec, now)
        later = self.guard.second_chance(spec) if self.guard and not answer.offers else None
        if later is not None:
            answer = self._quote(f"{request.id}/later", later, now)
        if self.guard is not None:
            self.guard.record(spec.wheelchairs > 0, bool(answer.offers))
        if not answer.offers:
            outcome.reject(answer.reason)
            return
        # The engine lists the operator's cheapest first; some riders go for the earliest.
        offer = (
            min(answer.offers, key=lambda o: (o.pickup_eta, o.offer_id))
            if self.params.earliest_offer
            else answer.offers[0]
        )
        commands = self._handle(BookingRequested(_booking_id(request.id), offer.offer_id), now)
        accepted = next((c for c in commands if isinstance(c, BookingAccepted)), None)
        if accepted is None:
            outcome.reject("offer could not be booked")
            return
        outcome.book(accepted.promise, accepted.pickup_eta, accepted.dropoff_eta)

    def _quote(self, request_id: str, spec: TripSpec, now: int) -> QuoteAnswered:
        (answer,) = self._handle(QuoteRequested(request_id, spec), now)
        assert isinstance(answer, QuoteAnswered)
        return answer

    # ---- re-optimisation -----------------------------------------------------------------

    def _tick(self, now: int) -> None:
        self._report_positions(now)
        solved = False
        for command in self._handle(Tick(), now):
            if isinstance(command, SolveRequested):
                solved = True
                # In this process the solver may share the engine's rows of travel times
                # (the live service sends snapshots to another process without them).
                command.snapshot.__dict__["travel_rows"] = self.engine.table.travel_rows()
                result = self.solver.solve(
                    command.snapshot, command.warm_start, command.time_limit_s, command.deep
                )
                self.solver_s += result.seconds
                self.solves += 1
                adopted = self._handle(
                    SolveFinished(command.token, result.plan, result.seconds), now
                )
                self.adopted += int(any(isinstance(c, PlanAdopted) for c in adopted))
        if not solved:  # not due after all (or nothing to solve): wait a period
            self._quiet_until = now + self.engine.params.reoptimise_period_s

    # ---- the engine ----------------------------------------------------------------------

    def _handle(self, event: Event, now: int) -> list[Command]:
        commands = self.engine.handle(event, now)
        self.commands += len(commands)
        for c in commands:
            if isinstance(c, PlanChanged):
                self.buses[c.vehicle_id].set_plan(_plan_stops(c), now)
                self._schedule_bus(c.vehicle_id, now)
            elif isinstance(c, RelocationOrdered):
                self.relocations += 1
                self.buses[c.vehicle_id].relocate(c.node, now)
                self._schedule_bus(c.vehicle_id, now)
            elif isinstance(c, EventRefused):
                self.plan_checks.append(f"{now}: {c.vehicle_id} {c.booking_id}: {c.reason}")
        if self.params.check_plans and any(isinstance(c, PlanChanged) for c in commands):
            self._check_plan(now)
        return commands

    def _check_plan(self, now: int) -> None:
        """Test aid: the whole live plan must pass ``validate_plan`` after every change."""
        live = self.engine.live_snapshot(now)
        plan = make_plan(live.snapshot, live.visits, self.engine.params.objective)
        if isinstance(plan, Infeasibility):
            self.plan_checks.append(f"{now}: plan cannot be timed: {plan.reason}")
            return
        self.plan_checks += [f"{now}: {v}" for v in validate_plan(live.snapshot, plan)]

    def _result(self, wall_s: float) -> ReplayResult:
        for bus in self.buses.values():
            record_stops(self.outcomes, bus.stops, _request_id)
        logs: dict[str, VehicleLog] = {
            v.vehicle_id: VehicleLog.of(
                self.buses[v.vehicle_id], v.seats, v.wheelchair_places, v.breaks
            )
            for v in self.fleet
        }
        return ReplayResult(
            self.params.policy,
            list(self.outcomes.values()),
            logs,
            self.solver_s,
            self.solves,
            self.adopted,
            wall_s,
            self.commands,
            self.plan_checks,
        )


def _booking_id(request_id: str) -> BookingId:
    return BookingId(f"booking:{request_id}")


def _request_id(booking_id: str) -> str:
    return booking_id.removeprefix("booking:")


def _plan_stops(changed: PlanChanged) -> list[PlanStop]:
    return [
        PlanStop(s.request_id, s.kind, node, s.start, s.departure - s.start)
        for s, node in zip(changed.route.stops, changed.nodes, strict=True)
    ]


def run_replay(
    requests: Sequence[DemandRequest],
    network: ReplayNetwork,
    fleet: Sequence[VehicleSpec],
    engine_params: EngineParams | None = None,
    params: ReplayParams | None = None,
    progress: Progress | None = None,
    time_rules: TimeRules | None = None,
) -> ReplayResult:
    replay = Replay(
        requests,
        network,
        fleet,
        engine_params or EngineParams(),
        params or ReplayParams(),
        time_rules,
    )
    return replay.run(progress)
