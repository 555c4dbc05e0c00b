"""What happened to each request and each vehicle during a replay."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from dispatch.engine.events import Promise
from dispatch.sim.demand import DemandRequest


class Distances(Protocol):
    def one_to_many(
        self, source: int, targets: list[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...


@dataclass
class Outcome:
    """One request's fate: rejected, or booked with its promise and what really happened."""

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
    direct_s: int | None = None
    shared: bool = False

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

    def picked_up(self, at: int, vehicle_id: str) -> None:
        self.pickup, self.vehicle_id = at, vehicle_id

    def dropped_off(self, at: int) -> None:
        self.dropoff, self.status = at, "served"

    @property
    def wait_s(self) -> int | None:
        """Actual pickup − requested time (``depart_after`` requests only)."""
        if self.pickup is None or self.arrive_by:
            return None
        return self.pickup - self.requested_time

    @property
    def ride_s(self) -> int | None:
        if self.pickup is None or self.dropoff is None:
            return None
        return self.dropoff - self.pickup


@dataclass
class VehicleLog:
    """A vehicle's day: distance driven, with and without riders, and passenger-metres."""

    vehicle_id: str
    shift_start: int
    shift_end: int
    node: int | None = None
    on_board: int = 0
    distance_m: int = 0
    empty_m: int = 0
    passenger_m: int = 0
    drive_s: int = 0
    timeline: list[tuple[int, int, int]] = field(default_factory=list)  # (time, node, on board)

    def drive_to(self, node: int, at: int, network: Distances) -> None:
        if self.node is None:
            self.node = node
        if node != self.node:
            secs, metres = network.one_to_many(self.node, [node])
            self.distance_m += int(metres[0])
            self.drive_s += int(secs[0])
            self.passenger_m += int(metres[0]) * self.on_board
            if self.on_board == 0:
                self.empty_m += int(metres[0])
            self.node = node
        self.timeline.append((at, node, self.on_board))

    def board(self, passengers: int) -> None:
        self.on_board += passengers

    def alight(self, passengers: int) -> None:
        self.on_board -= passengers
