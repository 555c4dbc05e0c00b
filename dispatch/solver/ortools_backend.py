"""Re-optimisation with OR-Tools' routing solver: the only module that imports OR-Tools.

The model is built in small named steps: nodes (one per visit, plus each vehicle's
start and end), arc costs and travel times as registered matrices (no Python
callbacks in the search loop), capacity dimensions with the load already on board,
the time dimension with windows, ride-time limits and shift ends, pickup-delivery
pairs, on-board riders pinned to their vehicle, locked first stops, and optional new
requests through penalised disjunctions. The search starts from the given plan.
Whatever OR-Tools returns is re-timed with the exact schedule arithmetic and costed
with the real objective; the caller gets it only if it is better than the start.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.model import (
    NO_LIMIT_S,
    Plan,
    Request,
    RequestId,
    ShiftId,
    Snapshot,
    StopKind,
    Vehicle,
    Visit,
    boarded_dropoff_deadline,
    ride_limit_s,
    ride_limited,
)
from dispatch.solver.params import ObjectiveParams
from dispatch.solver.plan import make_plan
from dispatch.solver.schedule import Infeasibility
from dispatch.solver.validate import validate_plan

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OrToolsResult:
    plan: Plan | None
    build_s: float
    solve_s: float
    status: str


@dataclass(frozen=True)
class _Nodes:
    """Routing nodes: 0..2V-1 are vehicle starts/ends, then one node per visit."""

    visits: list[Visit]
    location: list[int]
    service: list[int]
    index_of: dict[Visit, int]
    starts: list[int]
    ends: list[int]


def _nodes(snapshot: Snapshot) -> _Nodes:
    n_v = len(snapshot.vehicles)
    location = [v.start_location for v in snapshot.vehicles] + [
        v.end_location for v in snapshot.vehicles
    ]
    service = [0] * (2 * n_v)
    visits: list[Visit] = []
    for r in snapshot.requests:
        for visit in r.visits:
            visits.append(visit)
            pickup = visit.kind is StopKind.PICKUP
            location.append(r.pickup if pickup else r.dropoff)
            service.append(r.pickup_service_s if pickup else r.dropoff_service_s)
    index_of = {v: 2 * n_v + k for k, v in enumerate(visits)}
    return _Nodes(visits, location, service, index_of, list(range(n_v)), list(range(n_v, 2 * n_v)))


class _Model:
    def __init__(self, snapshot: Snapshot, params: ObjectiveParams) -> None:
        self.snapshot = snapshot
        self.params = params
        self.nodes = _nodes(snapshot)
        self.base = min([snapshot.now, *(v.available_from for v in snapshot.vehicles)])
        self.horizon = max(v.shift_end for v in snapshot.vehicles) - self.base + 1
        n = len(self.nodes.location)
        self.manager = pywrapcp.RoutingIndexManager(
            n, len(snapshot.vehicles), self.nodes.starts, self.nodes.ends
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.solver = self.routing.solver()

    def build(self) -> None:
        self._arc_costs()
        self._time_dimension()
        self._waits()
        self._capacities()
        self._pairs_and_pins()
        self._locks()

    def _clip(self, t: int) -> int:
        return max(0, min(self.horizon, t - self.base)) if t < NO_LIMIT_S else self.horizon

    def _matrix(self, rows: list[list[int]], with_service: bool) -> list[list[int]]:
        loc, svc = self.nodes.location, self.nodes.service
        return [
            [(svc[i] if with_service else 0) + rows[a][b] for b in loc] for i, a in enumerate(loc)
        ]

    def _arc_costs(self) -> None:
        w = COST_SCALE * self.params.drive_weight
        cost = [[round(w * x) for x in row] for row in self._matrix(self.snapshot.cost_rows, False)]
        self.routing.SetArcCostEvaluatorOfAllVehicles(self.routing.RegisterTransitMatrix(cost))

    def _waits(self) -> None:
        """The riders' wait beyond the time they asked for, as a soft bound on the pickup."""
        coefficient = round(COST_SCALE * self.params.wait_weight)
        if coefficient <= 0:
            return
        requests = self.snapshot.request_by_id
        for visit, node in self.nodes.index_of.items():
            desired = requests[visit.request_id].desired_pickup
            if visit.kind is StopKind.PICKUP and desired is not None:
                index = self.manager.NodeToIndex(node)
                self.time.SetCumulVarSoftUpperBound(index, self._clip(desired), coefficient)

    def _time_dimension(self) -> None:
        transit = self.routing.RegisterTransitMatrix(self._matrix(self.snapshot.travel_rows, True))
        self.routing.AddDimension(transit, self.horizon, self.horizon, False, "time")
        self.time = self.routing.GetDimensionOrDie("time")
        for k, vehicle in enumerate(self.snapshot.vehicles):
            start, end = self.routing.Start(k), self.routing.End(k)
            self.time.CumulVar(start).SetRange(self._clip(vehicle.available_from), self.horizon)
            self.time.CumulVar(end).SetMax(self._clip(vehicle.shift_end))
            if vehicle.max_duration_s is not None:
                self.time.SetSpanUpperBoundForVehicle(vehicle.max_duration_s, k)
        requests = self.snapshot.request_by_id
        for visit, node in self.nodes.index_of.items():
            r = requests[visit.request_id]
            window = r.pickup_window if visit.kind is StopKind.PICKUP else r.dropoff_window
            upper = window.end
            if visit.kind is not StopKind.PICKUP:
                upper = min(upper, boarded_dropoff_deadline(r))
            lo, hi = self._clip(window.start), self._clip(upper)
            self.time.CumulVar(self.manager.NodeToIndex(node)).SetRange(lo, max(lo, hi))

    def _capacities(self) -> None:
        requests = self.snapshot.request_by_id
        n = len(self.nodes.location)
        for dim in range(len(self.snapshot.vehicles[0].capacity)):
            demand = [0] * n
            for visit, node in self.nodes.index_of.items():
                q = requests[visit.request_id].load[dim]
                demand[node] = q if visit.kind is StopKind.PICKUP else -q
            caps = [v.capacity[dim] for v in self.snapshot.vehicles]
            cb = self.routing.RegisterUnaryTransitVector(demand)
            self.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, False, f"load{dim}")
            load = self.routing.GetDimensionOrDie(f"load{dim}")
            for k, vehicle in enumerate(self.snapshot.vehicles):
                initial = sum(requests[rid].load[dim] for rid in vehicle.on_board)
                load.CumulVar(self.routing.Start(k)).SetValue(initial)
            for visit, node in self.nodes.index_of.items():  # a break: arrive empty
                if visit.kind is not StopKind.PICKUP and requests[visit.request_id].exclusive:
                    load.CumulVar(self.manager.NodeToIndex(node)).SetMax(0)

    def _pairs_and_pins(self) -> None:
        carrier = {rid: k for k, v in enumerate(self.snapshot.vehicles) for rid in v.on_board}
        penalty = round(COST_SCALE * self.params.unserved_penalty)
        for r in self.snapshot.requests:
            drop = self._index(r.dropoff_visit)
            if r.on_board:
                self.routing.VehicleVar(drop).SetValue(carrier[r.id])
                continue
            pick = self._index(Visit(r.id, StopKind.PICKUP))
            self.routing.AddPickupAndDelivery(pick, drop)
            self.solver.Add(self.routing.VehicleVar(pick) == self.routing.VehicleVar(drop))
            self.solver.Add(self.time.CumulVar(pick) <= self.time.CumulVar(drop))
            self._ride_limit(r, pick, drop)
            if not r.promised:
                self.routing.AddDisjunction([pick, drop], penalty, 2)

    def _ride_limit(self, r: Request, pick: int, drop: int) -> None:
        if ride_limited(r):
            limit = ride_limit_s(r)
            self.solver.Add(self.time.CumulVar(drop) - self.time.CumulVar(pick) <= limit)

    def _locks(self) -> None:
        for k, vehicle in enumerate(self.snapshot.vehicles):
            prev = self.routing.Start(k)
            for visit in vehicle.locked:
                idx = self._index(visit)
                self.routing.NextVar(prev).SetValues([idx])
                prev = idx

    def _index(self, visit: Visit) -> int:
        return int(self.manager.NodeToIndex(self.nodes.index_of[visit]))

    def routes_of(self, plan: Plan) -> list[list[int]]:
        return [[self._index(s.visit) for s in r.stops] for r in plan.routes]

    def extract(self, assignment: pywrapcp.Assignment) -> dict[ShiftId, list[Visit]]:
        out: dict[ShiftId, list[Visit]] = {}
        for k, vehicle in enumerate(self.snapshot.vehicles):
            seq: list[Visit] = []
            index = self.routing.Start(k)
            while True:
                index = assignment.Value(self.routing.NextVar(index))
                if self.routing.IsEnd(index):
                    break
                seq.append(
                    self.nodes.visits[
                        self.manager.IndexToNode(index) - 2 * len(self.snapshot.vehicles)
                    ]
                )
            out[vehicle.id] = seq
        return out


def _search_parameters(time_limit_s: float) -> pywrapcp.DefaultRoutingSearchParameters:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    params.log_search = False
    return params


#: OR-Tools' costs are integers: every weight is multiplied by this before rounding, so
#: that weights like 0.2 keep their meaning (the result is costed exactly afterwards).
COST_SCALE = 10

#: OR-Tools searches only if at least this share of its time is left after building.
MIN_SEARCH_SHARE = 0.5


def reoptimise(
    snapshot: Snapshot,
    params: ObjectiveParams,
    warm_start: Plan | None,
    time_limit_s: float,
    step_limit: int | None = None,
) -> OrToolsResult:
    """OR-Tools from ``warm_start``; returns the better of the two (``None`` if neither).

    With ``step_limit`` the search stops after that many failed search steps, a count
    that does not depend on the machine (the time limit is then only a safety net).
    A solution limit would not do: once the local search finds nothing better, it
    finds no more solutions and runs on until the time limit.
    """
    started = time.perf_counter()
    model = _Model(snapshot, params)
    model.build()
    search = _search_parameters(time_limit_s)
    model.routing.CloseModelWithParameters(search)
    if step_limit is not None:
        model.routing.AddSearchMonitor(model.solver.FailuresLimit(step_limit))
    build_s = time.perf_counter() - started
    if step_limit is None and time_limit_s - build_s < MIN_SEARCH_SHARE * time_limit_s:
        # Loading a warm start into a large model takes long and OR-Tools checks its
        # time limit only afterwards: with too little time left it would overrun.
        return OrToolsResult(warm_start, build_s, 0.0, "no time left after building the model")
    remaining = max(time_limit_s - build_s, 0.001)
    search.time_limit.FromMilliseconds(int(remaining * 1000))
    started = time.perf_counter()
    assignment = None
    if warm_start is not None:
        initial = model.routing.ReadAssignmentFromRoutes(model.routes_of(warm_start), True)
        if initial is not None:
            assignment = model.routing.SolveFromAssignmentWithParameters(initial, search)
    if assignment is None:
        assignment = model.routing.SolveWithParameters(search)
    solve_s = time.perf_counter() - started
    status = _status_name(model.routing.status())
    candidate = _retimed(snapshot, model, assignment, params)
    best = _better(candidate, warm_start)
    return OrToolsResult(best, build_s, solve_s, status)


def _retimed(
    snapshot: Snapshot,
    model: _Model,
    assignment: pywrapcp.Assignment | None,
    params: ObjectiveParams,
) -> Plan | None:
    if assignment is None:
        return None
    plan = make_plan(snapshot, model.extract(assignment), params)
    if isinstance(plan, Infeasibility):
        log.info("OR-Tools routes cannot be timed exactly: %s", plan.reason)
        return None
    problems = validate_plan(snapshot, plan)
    if problems:
        log.warning("OR-Tools plan rejected by validate_plan: %s", problems[0])
        return None
    return plan


def _better(candidate: Plan | None, incumbent: Plan | None) -> Plan | None:
    if candidate is None:
        return incumbent
    if incumbent is None or candidate.cost.total < incumbent.cost.total:
        return candidate
    return incumbent


def _status_name(status: int) -> str:
    """OR-Tools' own name of a routing status (``ROUTING_SUCCESS`` -> ``success``)."""
    values = routing_enums_pb2.RoutingSearchStatus.DESCRIPTOR.enum_types[0].values_by_number
    value = values.get(int(status))
    return value.name.removeprefix("ROUTING_").lower() if value is not None else str(status)


def warm_up() -> str:
    """Solve a tiny model (one bus, one rider) so that OR-Tools and its native library
    are loaded and initialised before the first real solve; returns the solver status."""
    travel = np.array([[0, 60, 120], [60, 0, 60], [120, 60, 0]], dtype=np.int64)
    vehicle = Vehicle(ShiftId("warm-up"), (4, 1), 0, 0, 0, 3600)
    request = Request(RequestId("warm-up"), 1, 2, (1, 0))
    snapshot = Snapshot(0, (vehicle,), (request,), travel, distance_m=travel * 10)
    return reoptimise(snapshot, ObjectiveParams(), None, 1.0, step_limit=10).status
