"""Simulated buses that obey the road network: the replay's stand-in for drivers.

A :class:`SimulatedBus` gets its plan the way a driver's tablet does (the engine's
``PlanChanged``), and does what :mod:`dispatch.sim.driving` says a punctual driver
does: it waits where it is until it must leave, drives the fastest road path node by
node at the graph's travel times, arrives, serves the stop for its full boarding or
alighting time (or takes its break), reports each event when it happens and goes on.
At the end of its shift it drives back to its depot.

The bus never reports anything ahead of its clock: a position is the last road node it
reached and when it was there. Between two nodes the engine therefore sees it where it
last was, a few seconds behind the truth, which only ever makes the plan cautious.

What the bus did is kept as it happened: every node reached with the time and the riders
on board (the timeline), and every stop with its arrival, start and end of service.
The independent trajectory checker (:mod:`dispatch.sim.trajectory`) reads only that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dispatch.engine.events import Event, PositionReported, StopEventKind, StopEventReported
from dispatch.model import BookingId, ShiftId, StopKind
from dispatch.sim.driving import leave_at, service_end, service_start


class PathSource(Protocol):
    """Fastest road paths: (node, seconds, metres) from the first node, source first."""

    def path_steps(self, source: int, target: int) -> Sequence[tuple[int, int, int]]: ...


@dataclass(frozen=True, slots=True)
class PlanStop:
    """One stop of the bus's current plan, as its driver sees it."""

    booking_id: BookingId
    kind: StopKind
    node: int
    #: Planned start of service (the bus waits for it if it is early).
    start: int
    service_s: int

    @property
    def key(self) -> tuple[str, StopKind]:
        return (self.booking_id, self.kind)


@dataclass(frozen=True, slots=True)
class StopRecord:
    """A stop as it was served: arrival, start and end of service (epoch seconds)."""

    vehicle_id: str
    booking_id: str
    kind: str  # pickup, dropoff or break
    node: int
    arrival: int
    start: int
    end: int


@dataclass
class _Leg:
    """Driving: the road path still ahead, with absolute times and metres per step."""

    target: PlanStop | None  # None: back to the depot at the end of the shift
    steps: list[tuple[int, int, int]]  # (node, time reached, metres from the previous node)
    #: An idle bus's drive towards expected demand: finished before anything else.
    relocation: bool = False


@dataclass
class _Service:
    stop: PlanStop
    arrival: int
    start: int | None = None


@dataclass
class SimulatedBus:
    """One shift of one bus, driven by its plan and the simulated clock."""

    vehicle_id: ShiftId
    depot_node: int
    shift_start: int
    shift_end: int
    paths: PathSource
    #: Passengers per booking, for the riders on board (the engine's loads are not used).
    passengers: Mapping[BookingId, int]
    plan: list[PlanStop] = field(default_factory=list)
    node: int = -1
    at: int = 0
    riders: dict[str, int] = field(default_factory=dict)
    timeline: list[tuple[int, int, int]] = field(default_factory=list)
    stops: list[StopRecord] = field(default_factory=list)
    distance_m: int = 0
    empty_m: int = 0
    passenger_m: int = 0
    drive_s: int = 0
    #: Metres of the final drive back to the depot (part of ``distance_m``).
    return_m: int = 0
    #: Metres driven empty towards expected demand (rebalancing; part of ``distance_m``).
    relocation_m: int = 0
    _leg: _Leg | None = None
    _service: _Service | None = None
    _reported: tuple[int, int] = (-1, -1)

    def __post_init__(self) -> None:
        self.node, self.at = self.depot_node, self.shift_start
        self._reported = (self.node, self.at)
        self.timeline.append((self.shift_start, self.depot_node, 0))

    @property
    def on_board(self) -> int:
        return sum(self.riders.values())

    # ---- the plan --------------------------------------------------------------------

    def set_plan(self, stops: Sequence[PlanStop], now: int) -> None:
        """A new plan from the dispatcher (the bus carries on from where it is)."""
        self.plan = list(stops)
        service = self._service
        if service is None or service.start is None or service.start <= now:
            return
        first = self.plan[0] if self.plan else None
        if first is None or first.key != service.stop.key:
            return  # handled at the next wake: the stop is no longer planned
        service.stop = first
        service.start = max(now, service_start(service.arrival, first.start))

    # ---- when the bus needs attention ------------------------------------------------------

    def wake_time(self, now: int) -> int | None:
        """The next moment something happens to this bus (``None``: nothing to do)."""
        if self._service is not None:
            s = self._service
            return now if s.start is None else service_end(s.start, s.stop.service_s)
        if self._leg is not None:
            return self._leg_wake()
        if self.plan:
            first = self.plan[0]
            travel = self._travel_s(first.node)
            return leave_at(max(now, self.at), first.start, travel)
        if self.node != self.depot_node:
            return leave_at(max(now, self.at), self.shift_end, self._travel_s(self.depot_node))
        return None

    def _leg_wake(self) -> int:
        assert self._leg is not None
        leg = self._leg
        return leg.steps[0][1] if self._diverted(leg) else leg.steps[-1][1]

    def _diverted(self, leg: _Leg) -> bool:
        """The plan changed under way: stop at the next road node and decide again."""
        if leg.relocation:
            return False  # the dispatcher plans the bus from where this drive ends
        if leg.target is None:
            return bool(self.plan)
        return not self._still_planned(leg.target)

    def _still_planned(self, stop: PlanStop) -> bool:
        return bool(self.plan) and self.plan[0].key == stop.key

    def wake(self, now: int) -> list[Event]:
        """Do what is due at ``now``; returns the driver's reports, in order."""
        if self._service is not None:
            return self._serve(now)
        if self._leg is not None:
            return self._drive(now)
        if self.plan:
            return self._depart(self.plan[0], now)
        if self.node != self.depot_node:
            return self._depart(None, now)
        return []

    # ---- driving -----------------------------------------------------------------------

    def _travel_s(self, target: int) -> int:
        return self.paths.path_steps(self.node, target)[-1][1]

    def relocate(self, node: int, now: int) -> None:
        """The dispatcher sends the idle bus to wait at ``node`` (rebalancing)."""
        if self.plan or self._leg is not None or self._service is not None:
            raise RuntimeError(f"bus {self.vehicle_id} is not idle and cannot relocate")
        self._depart(None, now, goal=node)

    def _depart(self, target: PlanStop | None, now: int, goal: int | None = None) -> list[Event]:
        """Leave for ``target`` (None: the depot), or relocate to ``goal`` if given."""
        relocation = goal is not None
        if goal is None:
            goal = self.depot_node if target is None else target.node
        path = self.paths.path_steps(self.node, goal)
        steps, prev_m = [], 0
        for node, seconds, metres in path[1:]:
            steps.append((node, now + seconds, metres - prev_m))
            prev_m = metres
        self.at = now
        if not steps:  # the stop is where the bus stands
            return self._arrive(target, now) if target is not None else []
        self.timeline.append((now, self.node, self.on_board))
        self._leg = _Leg(target, steps, relocation)
        return []

    def advance(self, now: int) -> None:
        """Move along the road path up to ``now`` (every node reached is recorded)."""
        leg = self._leg
        if leg is None:
            return
        while leg.steps and leg.steps[0][1] <= now:
            node, reached, metres = leg.steps.pop(0)
            if leg.relocation:
                self.relocation_m += metres
            final = leg.target is None and not leg.relocation
            self._record_step(node, reached, metres, final=final)

    def _record_step(self, node: int, reached: int, metres: int, final: bool) -> None:
        riders = self.on_board
        self.distance_m += metres
        self.drive_s += reached - self.at
        self.passenger_m += metres * riders
        if riders == 0:
            self.empty_m += metres
        if final:
            self.return_m += metres
        self.node, self.at = node, reached
        self.timeline.append((reached, node, riders))

    def _drive(self, now: int) -> list[Event]:
        self.advance(now)
        leg = self._leg
        assert leg is not None
        if leg.steps and not self._diverted(leg):
            return []  # still on the way
        self._leg = None
        if leg.steps:  # diverted: the bus stands at this road node and decides again
            return []
        if leg.target is None:
            return [self._position(now)]
        if not self._still_planned(leg.target):
            return []
        return self._arrive(leg.target, now)

    def position_report(self, now: int) -> PositionReported | None:
        """Where the bus is, if the dispatcher has not heard it yet.

        A bus on its way reports the last road node it reached, and when. A bus standing
        (waiting to leave late, or idle) reports that it is still there ``now``, as a
        driver's device does every few seconds: without it the dispatcher would take the
        bus for one that left when it arrived, and plan it to be further on than it can be.
        """
        at = self.at if self._leg is not None or self._service is not None else max(now, self.at)
        if (self.node, at) == self._reported:
            return None
        return self._position(at)

    def _position(self, at: int) -> PositionReported:
        self._reported = (self.node, at)
        return PositionReported(self.vehicle_id, self.node, at)

    # ---- at a stop ---------------------------------------------------------------------

    def _arrive(self, stop: PlanStop, now: int) -> list[Event]:
        self.node, self.at = stop.node, now
        self._reported = (self.node, now)
        self.timeline.append((now, self.node, self.on_board))
        self._service = _Service(stop, now)
        return [StopEventReported(self.vehicle_id, stop.booking_id, StopEventKind.ARRIVED, now)]

    def _serve(self, now: int) -> list[Event]:
        service = self._service
        assert service is not None
        if not self._still_planned(service.stop):  # cancelled while the bus was there
            self._service = None
            return []
        if service.start is None:
            service.stop = self.plan[0]
            service.start = service_start(service.arrival, service.stop.start)
            return []
        return self._finish(service, now)

    def _finish(self, service: _Service, now: int) -> list[Event]:
        stop = service.stop
        assert service.start is not None
        if stop.kind is StopKind.BREAK:
            done = StopEventKind.DEPARTED
        elif stop.kind is StopKind.PICKUP:
            done = StopEventKind.BOARDED
            self.riders[stop.booking_id] = self.passengers.get(stop.booking_id, 0)
        else:
            done = StopEventKind.ALIGHTED
            self.riders.pop(stop.booking_id, None)
        kind = stop.kind.value
        self.stops.append(
            StopRecord(
                self.vehicle_id,
                stop.booking_id,
                kind,
                stop.node,
                service.arrival,
                service.start,
                now,
            )
        )
        self._service = None
        self.at = now
        self._reported = (self.node, now)
        self.timeline.append((now, self.node, self.on_board))
        return [StopEventReported(self.vehicle_id, stop.booking_id, done, now)]
