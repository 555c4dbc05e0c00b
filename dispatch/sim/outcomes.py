"""What happened to each request and each vehicle during a replay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dispatch.engine.events import Promise
from dispatch.sim.demand import DemandRequest
from dispatch.sim.vehicles import StopRecord

if TYPE_CHECKING:
    from dispatch.sim.vehicles import SimulatedBus


@dataclass
class Outcome:
    """One request's fate: rejected, or booked with its promise and what really happened.

    Times are epoch seconds: ``pickup``/``dropoff`` are when boarding and alighting began,
    ``boarded``/``alighted`` when they were over.
    """

    request_id: str
    booked_at: int
    requested_time: int
    arrive_by: bool
    passengers: int
    wheelchairs: int
    status: str = "requested"
    reason: str = ""
    vehicle_id: str = ""
    promised_pickup_start: int | None = None
    promised_pickup_end: int | None = None
    promised_latest_arrival: int | None = None
    planned_pickup: int | None = None
    pickup: int | None = None
    dropoff: int | None = None
    boarded: int | None = None
    alighted: int | None = None
    direct_s: int | None = None
    pickup_node: int | None = None
    dropoff_node: int | None = None

    @classmethod
    def requested(cls, r: DemandRequest) -> Outcome:
        return cls(
            r.id, r.booked_at, r.desired_time, r.arrive_by is not None, r.passengers, r.wheelchairs
        )

    def reject(self, reason: str) -> None:
        self.status, self.reason = "rejected", reason

    def book(self, promise: Promise, pickup_eta: int, dropoff_eta: int) -> None:
        self.status = "booked"
        self.promised_pickup_start = promise.pickup_window.start
        self.promised_pickup_end = promise.pickup_window.end
        self.promised_latest_arrival = promise.latest_arrival
        self.planned_pickup = pickup_eta

    def picked_up(self, stop: StopRecord) -> None:
        self.pickup, self.boarded, self.vehicle_id = stop.start, stop.end, stop.vehicle_id

    def dropped_off(self, stop: StopRecord) -> None:
        self.dropoff, self.alighted = stop.start, stop.end
        if self.pickup is not None:
            self.status = "served"

    @property
    def wait_s(self) -> int | None:
        """Pickup (boarding begins) − requested time, for ``depart_after`` requests."""
        if self.pickup is None or self.arrive_by:
            return None
        return self.pickup - self.requested_time

    @property
    def ride_s(self) -> int | None:
        """From the start of boarding to the start of alighting (boarding included)."""
        if self.pickup is None or self.dropoff is None:
            return None
        return self.dropoff - self.pickup

    @property
    def on_board_s(self) -> int | None:
        """The ride without the boarding: from leaving the pickup to the drop-off."""
        if self.boarded is None or self.dropoff is None:
            return None
        return self.dropoff - self.boarded


def record_stops(
    outcomes: dict[str, Outcome],
    stops: Iterable[StopRecord],
    request_of: Callable[[str], str],
) -> None:
    """Fill in the riders' pickups and drop-offs from the stops the buses served."""
    for stop in stops:
        outcome = outcomes.get(request_of(stop.booking_id))
        if outcome is None:
            continue
        if stop.kind == "pickup":
            outcome.picked_up(stop)
        elif stop.kind == "dropoff":
            outcome.dropped_off(stop)


@dataclass
class VehicleLog:
    """A vehicle's day: distances driven (with and without riders), timeline and stops."""

    vehicle_id: str
    shift_start: int
    shift_end: int
    seats: int = 0
    wheelchair_places: int = 0
    breaks: tuple[tuple[int, int], ...] = ()
    distance_m: int = 0
    empty_m: int = 0
    passenger_m: int = 0
    drive_s: int = 0
    #: Metres of the final drive back to the depot (included in ``distance_m``).
    return_m: int = 0
    timeline: list[tuple[int, int, int]] = field(default_factory=list)  # (time, node, on board)
    stops: list[StopRecord] = field(default_factory=list)
    #: Metres driven towards expected demand (rebalancing; included in ``distance_m``).
    relocation_m: int = 0

    @classmethod
    def of(
        cls,
        bus: SimulatedBus,
        seats: int,
        wheelchair_places: int,
        breaks: tuple[tuple[int, int], ...],
    ) -> VehicleLog:
        return cls(
            bus.vehicle_id,
            bus.shift_start,
            bus.shift_end,
            seats,
            wheelchair_places,
            breaks,
            bus.distance_m,
            bus.empty_m,
            bus.passenger_m,
            bus.drive_s,
            bus.return_m,
            list(bus.timeline),
            list(bus.stops),
            relocation_m=bus.relocation_m,
        )
