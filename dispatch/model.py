"""Immutable problem data and plain results shared by the solver, engine and replay.

Everything inside the core uses integer seconds (``*_s``), integer metres (``*_m``)
and UTC epoch seconds for instants. Locations are indices into the snapshot's
travel-time matrix, so the solver never needs to know about coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import NewType

import numpy as np
import numpy.typing as npt

#: A rider's trip (or a driver's planned break) as the solver plans it.
RequestId = NewType("RequestId", str)
#: A booking's id: in every plan the engine makes, the booking is the request of that id.
BookingId = RequestId
#: The bus (with seats, wheelchair places, a depot and a device token), e.g. ``bus-1``.
VehicleId = NewType("VehicleId", str)
#: What the engine plans: a vehicle's day in service, e.g. ``bus-1@2026-11-25``
#: (built and read by :func:`shift_id` and :func:`vehicle_of` only).
ShiftId = NewType("ShiftId", str)

SHIFT_SEPARATOR = "@"


def shift_id(vehicle: VehicleId | str, day: date | str) -> ShiftId:
    """The shift of ``vehicle`` on ``day`` (a date or its ISO form)."""
    when = day.isoformat() if isinstance(day, date) else day
    return ShiftId(f"{vehicle}{SHIFT_SEPARATOR}{when}")


def vehicle_of(shift: ShiftId) -> VehicleId:
    """The bus that drives ``shift`` (a shift id without a day is the bus itself)."""
    return VehicleId(shift.partition(SHIFT_SEPARATOR)[0])


#: Names of the capacity dimensions, in the order used by every load/capacity tuple.
LOAD_DIMENSIONS: tuple[str, ...] = ("seats", "wheelchairs")

#: An instant or duration far enough in the future to mean "no limit".
NO_LIMIT_S = 2**40  # ~35,000 years: beyond any epoch instant, far inside int64

Load = tuple[int, ...]


class BookingStatus(StrEnum):
    """Where a booking stands: one vocabulary for the engine, the database and the API."""

    CONFIRMED = "confirmed"
    #: Confirmed, but no bus's plan holds it (found after a restart): an incident for the
    #: dispatcher; back to ``confirmed`` as soon as the dispatcher places it again.
    UNPLACED = "unplaced"
    ON_BOARD = "on_board"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class StopKind(StrEnum):
    """What a stop of a plan is: a rider's pickup or drop-off, or a driver's planned break."""

    PICKUP = "pickup"
    DROPOFF = "dropoff"
    #: A driver's planned break: the one stop of a break request (see ``Request.is_break``).
    BREAK = "break"


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A closed interval ``[start, end]`` of instants (seconds)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"time window ends before it starts: [{self.start}, {self.end}]")

    def contains(self, t: int) -> bool:
        return self.start <= t <= self.end


OPEN_WINDOW = TimeWindow(0, NO_LIMIT_S)


@dataclass(frozen=True, slots=True)
class Request:
    """One rider's trip as the solver sees it.

    ``promised`` requests must be served within their windows (they are bookings);
    the others may be left unserved at a penalty. ``boarded_at`` is set for riders
    already on board: their pickup is done and only the drop-off remains, on the
    vehicle that carries them.
    """

    id: RequestId
    pickup: int
    dropoff: int
    load: Load
    pickup_window: TimeWindow = OPEN_WINDOW
    dropoff_window: TimeWindow = OPEN_WINDOW
    max_ride_s: int = NO_LIMIT_S
    pickup_service_s: int = 0
    dropoff_service_s: int = 0
    promised: bool = False
    boarded_at: int | None = None
    #: Nobody else may be on board during this request's drop-off service (a driver's
    #: break): the vehicle arrives there empty.
    exclusive: bool = False
    #: When the rider asked to be picked up (``depart_after`` trips): the wait counted
    #: by the objective is the pickup's start minus this.
    desired_pickup: int | None = None
    #: A driver's planned break, not a rider: "on board" from the shift start, its one
    #: remaining stop is a ``StopKind.BREAK`` (at ``dropoff``, lasting ``dropoff_service_s``).
    is_break: bool = False

    @property
    def on_board(self) -> bool:
        return self.boarded_at is not None

    @property
    def dropoff_kind(self) -> StopKind:
        """The kind of the request's last stop: a break's stop, or a rider's drop-off."""
        return StopKind.BREAK if self.is_break else StopKind.DROPOFF

    @property
    def dropoff_visit(self) -> Visit:
        return Visit(self.id, self.dropoff_kind)

    @property
    def visits(self) -> tuple[Visit, ...]:
        """The stops still to serve: the drop-off alone once on board, else pickup and drop-off."""
        if self.on_board:
            return (self.dropoff_visit,)
        return (Visit(self.id, StopKind.PICKUP), self.dropoff_visit)


# ---- ride time: the one definition the solver modules and the validator share ----------
# (The replay's trajectory checker keeps its own, so that it checks the planner independently.)


def ride_s(request: Request, pickup_start: int, dropoff_start: int) -> int:
    """The ride time of a pickup/drop-off pair: from leaving the pickup to reaching the drop-off.

    The rider leaves the pickup when boarding (``pickup_service_s``) is over. For a rider
    already on board, ``pickup_start`` is ``boarded_at``.
    """
    return dropoff_start - (pickup_start + request.pickup_service_s)


def ride_limited(request: Request) -> bool:
    """Whether the request has a maximum ride time at all."""
    return request.max_ride_s < NO_LIMIT_S


def ride_limit_s(request: Request) -> int:
    """The longest the drop-off may start after the pickup starts: boarding plus the maximum ride."""
    return request.pickup_service_s + request.max_ride_s


def latest_dropoff_start(request: Request, pickup_start: int) -> int:
    """The latest drop-off start the maximum ride time allows after a pickup at ``pickup_start``."""
    return pickup_start + ride_limit_s(request)


def boarded_dropoff_deadline(request: Request) -> int:
    """For a rider on board with a ride limit: the latest drop-off start; else no limit."""
    if request.boarded_at is None or not ride_limited(request):
        return NO_LIMIT_S
    return latest_dropoff_start(request, request.boarded_at)


@dataclass(frozen=True, slots=True)
class Visit:
    """A reference to one stop of a request: its pickup or its drop-off."""

    request_id: RequestId
    kind: StopKind


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A vehicle as it becomes available to the solver (in the live service: one shift).

    ``start_location``/``available_from``: where and from when it can drive (its depot
    at shift start, or where it is "now" while on the road). ``on_board`` lists
    riders it carries (they must be dropped off by this vehicle). ``locked`` is a
    prefix of visits that must stay first, in this order (the stop it is driving to).
    """

    id: ShiftId
    capacity: Load
    start_location: int
    available_from: int
    end_location: int
    shift_end: int
    on_board: tuple[RequestId, ...] = ()
    locked: tuple[Visit, ...] = ()
    max_duration_s: int | None = None


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The immutable input of every solver call: the state of the fleet at ``now``."""

    now: int
    vehicles: tuple[Vehicle, ...]
    requests: tuple[Request, ...]
    travel_s: npt.NDArray[np.int64]
    distance_m: npt.NDArray[np.int64] | None = None
    #: Optional cost per arc (defaults to ``travel_s``); the DARP benchmark uses scaled distance.
    cost_matrix: npt.NDArray[np.int64] | None = field(default=None)

    @cached_property
    def request_by_id(self) -> dict[RequestId, Request]:
        return {r.id: r for r in self.requests}

    @cached_property
    def vehicle_by_id(self) -> dict[ShiftId, Vehicle]:
        return {v.id: v for v in self.vehicles}

    @cached_property
    def travel_rows(self) -> list[list[int]]:
        """The matrix as nested lists: scalar look-ups are several times faster than numpy."""
        rows: list[list[int]] = self.travel_s.tolist()
        return rows

    @cached_property
    def cost_rows(self) -> list[list[int]]:
        if self.cost_matrix is None:
            return self.travel_rows
        rows: list[list[int]] = self.cost_matrix.tolist()
        return rows

    @property
    def n_locations(self) -> int:
        return int(self.travel_s.shape[0])


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """One visit of a vehicle in a plan, with its times and the load after it."""

    request_id: RequestId
    kind: StopKind
    location: int
    arrival: int
    start: int
    departure: int
    load_after: Load

    @property
    def visit(self) -> Visit:
        return Visit(self.request_id, self.kind)


@dataclass(frozen=True, slots=True)
class Route:
    """A vehicle's ordered stops, from leaving its start location to reaching its end."""

    vehicle_id: ShiftId
    departure: int
    stops: tuple[PlannedStop, ...]
    end_arrival: int

    @property
    def visits(self) -> tuple[Visit, ...]:
        return tuple(s.visit for s in self.stops)


@dataclass(frozen=True, slots=True)
class Cost:
    """The objective, broken down. ``total`` is what the solver minimises."""

    drive_s: int
    excess_ride_s: int
    unserved: int
    total: float
    #: Sum of the arc cost matrix over all routes (equals drive_s unless a cost matrix is given).
    arc_cost: int = 0
    #: Seconds riders wait for their pickup beyond the time they asked for.
    wait_s: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """The solver's answer: one route per snapshot vehicle (same order) and the unserved."""

    routes: tuple[Route, ...]
    unserved: tuple[RequestId, ...]
    cost: Cost

    def route_of(self, vehicle_id: ShiftId) -> Route:
        for route in self.routes:
            if route.vehicle_id == vehicle_id:
                return route
        raise KeyError(vehicle_id)
