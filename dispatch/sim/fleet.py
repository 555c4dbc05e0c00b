"""Simulated vehicles that drive their current plan on the road graph.

A simulated vehicle does what a punctual driver would: it follows the stop list the
engine last published, arrives when the road graph says, waits for the pickup window,
boards and drops riders, and reports its position as the next node it will reach
(with the time it will be there). The replay feeds these reports to the engine as
events, exactly like the driver app does in the live service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from dispatch.engine.events import Event, PositionReported, StopEventKind, StopEventReported
from dispatch.engine.state import VehicleState
from dispatch.engine.trips import is_break_id
from dispatch.model import PlannedStop, StopKind


class PathSource(Protocol):
    """Road paths with the seconds at which each node is reached from the first one."""

    def path_times(self, source: int, target: int) -> Sequence[tuple[int, int]]: ...


@dataclass(frozen=True, slots=True)
class StopService:
    """A stop the vehicle served: when it arrived, started and finished service."""

    vehicle_id: str
    booking_id: str
    kind: StopKind
    node: int
    arrival: int
    start: int


def next_service(vehicle: VehicleState) -> PlannedStop | None:
    """The first stop of the vehicle's current timed route, if any."""
    if vehicle.route is None or not vehicle.route.stops:
        return None
    return vehicle.route.stops[0]


def service_events(vehicle: VehicleState, stop: PlannedStop, node: int) -> list[Event]:
    """What the driver reports at a stop: arrival, then boarding or alighting.

    At a planned break: arrival, then departure when the break is over.
    """
    vid, bid = vehicle.vehicle_id, str(stop.request_id)
    if is_break_id(bid):
        return [
            PositionReported(vid, node, stop.arrival),
            StopEventReported(vid, bid, StopEventKind.ARRIVED, stop.arrival),
            StopEventReported(vid, bid, StopEventKind.DEPARTED, stop.departure),
        ]
    done = StopEventKind.BOARDED if stop.kind is StopKind.PICKUP else StopEventKind.ALIGHTED
    return [
        PositionReported(vid, node, stop.arrival),
        StopEventReported(vid, bid, StopEventKind.ARRIVED, stop.arrival),
        StopEventReported(vid, bid, done, stop.start),
    ]


def position_ahead(
    paths: PathSource, vehicle: VehicleState, stop: PlannedStop, target_node: int, now: int
) -> PositionReported | None:
    """The next node on the way to ``stop`` at ``now`` and when the vehicle reaches it."""
    route = vehicle.route
    if route is None or now <= route.departure:
        return None
    leg = paths.path_times(vehicle.position_node, target_node)
    for node, seconds in leg:
        at = route.departure + seconds
        if at >= now:
            return PositionReported(vehicle.vehicle_id, node, at)
    return PositionReported(vehicle.vehicle_id, target_node, stop.arrival)
