"""Replay demand through the live engine with a simulated clock and simulated vehicles.

The very same :class:`~dispatch.engine.engine.Engine` that runs the service handles
every quote, booking, stop event and re-optimisation; only the clock and the
vehicles are simulated. Riders accept the best offer, or walk away when there is none.
Time jumps from one thing that happens to the next (a booking, a stop, a
re-optimisation), so a day replays in seconds.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRequested,
    Command,
    Event,
    PlanChanged,
    QuoteAnswered,
    QuoteRequested,
    SolveFinished,
    SolveRequested,
    Tick,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.locations import NodeTravelTimes
from dispatch.engine.params import EngineParams
from dispatch.model import PlannedStop, StopKind
from dispatch.sim.demand import DemandRequest, Place
from dispatch.sim.fleet import PathSource, next_service, position_ahead, service_events
from dispatch.sim.outcomes import Outcome, VehicleLog
from dispatch.sim.solving import IterationSolver
from dispatch.solver.plan import make_plan
from dispatch.solver.schedule import Infeasibility
from dispatch.solver.validate import validate_plan

Progress = Callable[[int, int], None]


class ReplayNetwork(NodeTravelTimes, PathSource, Protocol):
    """The road network as the replay needs it."""

    def resolve(self, place: Place) -> int: ...


@dataclass(frozen=True, slots=True)
class VehicleSpec:
    vehicle_id: str
    seats: int
    wheelchair_places: int
    depot_node: int
    shift_start: int
    shift_end: int
    #: Planned breaks (start, end), as in the service definition's shifts.
    breaks: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class ReplayParams:
    """How often the fleet is re-optimised in a replay and how much search each solve gets.

    The search is bounded by iterations, not by the clock, so that a replay gives the
    same result for the same seed on any machine.
    """

    reoptimise_every_s: int = 900
    solver_iterations: int = 20
    seed: int = 0
    #: Before and between shifts only prebookings change the plans: re-optimise rarely.
    reoptimise_off_shift_s: int = 3600
    #: Validate the whole live plan after every change (slow; for tests).
    check_plans: bool = False

    def __post_init__(self) -> None:
        if self.reoptimise_every_s <= 0:
            raise ValueError("the re-optimisation interval must be positive")
        if self.solver_iterations < 0:
            raise ValueError("solver iterations must not be negative")


@dataclass
class ReplayResult:
    outcomes: list[Outcome]
    vehicles: dict[str, VehicleLog]
    solver_s: float
    solves: int
    adopted: int
    wall_s: float = 0.0
    commands: int = 0
    plan_checks: list[str] = field(default_factory=list)


class Replay:
    """One replay run; ``run()`` drives it to the end of the day."""

    def __init__(
        self,
        requests: Sequence[DemandRequest],
        network: ReplayNetwork,
        fleet: Sequence[VehicleSpec],
        engine_params: EngineParams,
        params: ReplayParams,
    ) -> None:
        self.network = network
        self.params = params
        self.engine = Engine(network, engine_params)
        self.solver = IterationSolver(
            engine_params.objective, params.solver_iterations, params.seed
        )
        self.requests = list(requests)
        self.outcomes = {r.id: Outcome.requested(r) for r in self.requests}
        self.logs = {
            v.vehicle_id: VehicleLog(v.vehicle_id, v.shift_start, v.shift_end, node=v.depot_node)
            for v in fleet
        }
        self.fleet = list(fleet)
        self.solver_s = 0.0
        self.solves = 0
        self.adopted = 0
        self.commands = 0
        self.plan_checks: list[str] = []
        #: Re-optimisation only pays when the plans changed by more than the clock.
        self._bookings_since_solve = 0

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
        queue = [(r.booked_at, k) for k, r in enumerate(self.requests)]
        heapq.heapify(queue)
        now, next_solve, done = start, start + self.params.reoptimise_every_s, 0
        while True:
            t_stop = self._next_stop_time()
            t_req = queue[0][0] if queue else None
            if t_req is None and t_stop is None:
                break
            t_solve = next_solve if self._bookings_since_solve else None
            now = max(now, min(t for t in (t_stop, t_req, t_solve) if t is not None))
            self._serve_due(now)
            while queue and queue[0][0] <= now:
                self._request(self.requests[heapq.heappop(queue)[1]], now)
                done += 1
                if progress is not None:
                    progress(done, len(self.requests))
            if now >= next_solve:
                if self._bookings_since_solve:
                    self._reoptimise(now)
                next_solve = now + self._solve_interval(now)
        self._finish_day(now)
        return ReplayResult(
            list(self.outcomes.values()),
            self.logs,
            self.solver_s,
            self.solves,
            self.adopted,
            time.perf_counter() - started,
            self.commands,
            self.plan_checks,
        )

    def _solve_interval(self, now: int) -> int:
        """Often while buses drive; rarely while bookings for later days come in."""
        if any(v.shift_start <= now < v.shift_end for v in self.fleet):
            return self.params.reoptimise_every_s
        return max(self.params.reoptimise_every_s, self.params.reoptimise_off_shift_s)

    # ---- the simulated world ----------------------------------------------------------

    def _next_stop_time(self) -> int | None:
        times = [
            s.start for v in self.engine.vehicles.values() if (s := next_service(v)) is not None
        ]
        return min(times) if times else None

    def _serve_due(self, now: int) -> None:
        """Serve every stop whose service starts by ``now``, in time order."""
        while True:
            due = [
                (s.start, v.vehicle_id)
                for v in self.engine.vehicles.values()
                if (s := next_service(v)) is not None and s.start <= now
            ]
            if not due:
                return
            at, vid = min(due)
            vehicle = self.engine.vehicles[vid]
            stop = next_service(vehicle)
            assert stop is not None
            node = self.engine.table.nodes[stop.location]
            self.logs[vid].drive_to(node, stop.arrival, self.network)
            self._record_service(vid, stop)
            for event in service_events(vehicle, stop, node):
                self._handle(event, at)

    def _record_service(self, vid: str, stop: PlannedStop) -> None:
        outcome = self.outcomes.get(self._request_of(str(stop.request_id)))
        if outcome is None:
            return
        log = self.logs[vid]
        if stop.kind is StopKind.PICKUP:
            outcome.picked_up(stop.start, vid)
            log.board(outcome.passengers)
        else:
            outcome.dropped_off(stop.start)
            log.alight(outcome.passengers)

    def _request_of(self, booking_id: str) -> str:
        return booking_id.removeprefix("booking:")

    def _update_positions(self, now: int) -> None:
        for vehicle in self.engine.vehicles.values():
            stop = next_service(vehicle)
            if stop is None:
                continue
            node = self.engine.table.nodes[stop.location]
            report = position_ahead(self.network, vehicle, stop, node, now)
            if report is not None and report.node != vehicle.position_node:
                self.logs[vehicle.vehicle_id].drive_to(report.node, report.at, self.network)
                self._handle(report, now)

    def _request(self, request: DemandRequest, now: int) -> None:
        spec = TripSpec(
            pickup_node=self.network.resolve(request.origin),
            dropoff_node=self.network.resolve(request.destination),
            passengers=request.passengers,
            wheelchairs=request.wheelchairs,
            depart_after=request.depart_after,
            arrive_by=request.arrive_by,
        )
        self._update_positions(now)
        (answer,) = self._handle(QuoteRequested(request.id, spec), now)
        assert isinstance(answer, QuoteAnswered)
        outcome = self.outcomes[request.id]
        table = self.engine.table
        outcome.direct_s = table.seconds(
            table.index(spec.pickup_node), table.index(spec.dropoff_node)
        )
        if not answer.offers:
            outcome.reject(answer.reason)
            return
        best = min(answer.offers, key=lambda o: o.dropoff_eta if spec.arrive_by else o.pickup_eta)
        commands = self._handle(BookingRequested(f"booking:{request.id}", best.offer_id), now)
        accepted = next((c for c in commands if isinstance(c, BookingAccepted)), None)
        if accepted is None:
            outcome.reject("offer could not be booked")
            return
        outcome.book(accepted.promise, accepted.pickup_eta, accepted.dropoff_eta)
        self._bookings_since_solve += 1

    def _reoptimise(self, now: int) -> None:
        self._bookings_since_solve = 0
        self._update_positions(now)
        for command in self._handle(Tick(), now):
            if isinstance(command, SolveRequested):
                result = self.solver.solve(
                    command.snapshot, command.warm_start, command.time_limit_s
                )
                self.solver_s += result.seconds
                self.solves += 1
                adopted = self._handle(
                    SolveFinished(command.token, result.plan, result.seconds), now
                )
                self.adopted += int(any(type(c).__name__ == "PlanAdopted" for c in adopted))

    def _finish_day(self, now: int) -> None:
        for vid, vehicle in self.engine.vehicles.items():
            self.logs[vid].drive_to(vehicle.depot_node, now, self.network)

    def _handle(self, event: Event, now: int) -> list[Command]:
        commands = self.engine.handle(event, now)
        self.commands += len(commands)
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


def run_replay(
    requests: Sequence[DemandRequest],
    network: ReplayNetwork,
    fleet: Sequence[VehicleSpec],
    engine_params: EngineParams | None = None,
    params: ReplayParams | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    replay = Replay(
        requests, network, fleet, engine_params or EngineParams(), params or ReplayParams()
    )
    return replay.run(progress)
