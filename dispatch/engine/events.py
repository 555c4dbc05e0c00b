"""What goes into the engine (events) and what comes out (commands).

Events carry road nodes and epoch seconds; identifiers are chosen by the caller so
that a replay with the same inputs yields the same outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dispatch.model import (
    BookingId,
    BookingStatus,
    Cost,
    Plan,
    Route,
    ShiftId,
    Snapshot,
    StopKind,
    TimeWindow,
    Visit,
)

OPEN_STATUSES = frozenset({BookingStatus.CONFIRMED, BookingStatus.ON_BOARD})


class StopEventKind(StrEnum):
    ARRIVED = "arrived"
    BOARDED = "boarded"
    ALIGHTED = "alighted"
    NO_SHOW = "no_show"
    DEPARTED = "departed"


@dataclass(frozen=True, slots=True)
class Promise:
    """A booking's hard constraints: pickup window and latest arrival."""

    pickup_window: TimeWindow
    latest_arrival: int


@dataclass(frozen=True, slots=True)
class TripSpec:
    """What a rider asks for, resolved to road nodes."""

    pickup_node: int
    dropoff_node: int
    passengers: int
    wheelchairs: int = 0
    depart_after: int | None = None
    arrive_by: int | None = None
    extra_boarding_s: int = 0

    def __post_init__(self) -> None:
        if self.passengers < 1:
            raise ValueError("at least one passenger")
        if self.wheelchairs < 0 or self.wheelchairs > self.passengers:
            raise ValueError("wheelchairs must be between 0 and the number of passengers")
        if self.depart_after is not None and self.arrive_by is not None:
            raise ValueError("give depart_after or arrive_by, not both")


# ---- events -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuoteRequested:
    quote_id: str
    trip: TripSpec


@dataclass(frozen=True, slots=True)
class BookingRequested:
    booking_id: BookingId
    offer_id: str


@dataclass(frozen=True, slots=True)
class BookingRestored:
    """A booking read back from the database after a restart."""

    booking_id: BookingId
    trip: TripSpec
    promise: Promise
    status: BookingStatus
    vehicle_id: ShiftId | None
    boarded_at: int | None = None
    #: The ride limit promised with the booking (``None``: written before it was stored).
    max_ride_s: int | None = None


@dataclass(frozen=True, slots=True)
class PlanRestored:
    """A vehicle's last persisted plan: its version and visit order (booking id, kind)."""

    vehicle_id: ShiftId
    version: int
    visits: tuple[tuple[BookingId, StopKind], ...]


@dataclass(frozen=True, slots=True)
class StateRestored:
    """What a restart reads back from the database, as one event: the open bookings, then
    each vehicle's last stored plan. One event, not one per booking: what the engine
    publishes for readers is then built once, not once per booking (with thousands of
    open bookings that alone took most of a minute)."""

    bookings: tuple[BookingRestored, ...]
    plans: tuple[PlanRestored, ...] = ()


@dataclass(frozen=True, slots=True)
class RestoreCompleted:
    """Everything is read back: re-time every vehicle and place any booking left over."""


@dataclass(frozen=True, slots=True)
class CancelRequested:
    booking_id: BookingId


@dataclass(frozen=True, slots=True)
class VehicleAdded:
    vehicle_id: ShiftId
    seats: int
    wheelchair_places: int
    depot_node: int
    shift_start: int
    shift_end: int
    #: Planned breaks (start, end), taken at the depot; each may start up to
    #: ``EngineParams.break_flex_s`` late and lasts its planned length.
    breaks: tuple[tuple[int, int], ...] = ()
    #: The last plan version stored for this vehicle (after a restart): new versions
    #: continue from there, so no version number is used twice.
    version: int = 0


@dataclass(frozen=True, slots=True)
class PositionReported:
    vehicle_id: ShiftId
    node: int
    at: int


@dataclass(frozen=True, slots=True)
class StopEventReported:
    vehicle_id: ShiftId
    booking_id: BookingId
    event: StopEventKind
    at: int


@dataclass(frozen=True, slots=True)
class ShiftEndReported:
    """The driver ends the shift: refused while stops remain, else no more work is planned."""

    vehicle_id: ShiftId


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passes: offers expire, re-optimisation may start."""


@dataclass(frozen=True, slots=True)
class PreparedAdoption:
    """A re-optimised plan merged with the live state of one moment and checked there.

    Merging takes tens of milliseconds; the runner does it beside the engine (see
    ``reconcile.prepare_adoption``) so that quotes need not wait for it. The engine then
    adopts ``candidate`` as it is if its state is still the one described here
    (``snapshot``, ``visits``, ``relaxed``), and merges again from it if not.
    """

    snapshot: Snapshot
    visits: dict[ShiftId, tuple[Visit, ...]]
    relaxed: frozenset[ShiftId]
    #: The merged plan, valid and better than the current one; ``None``: nothing to adopt.
    candidate: Plan | None
    current: Cost | None
    #: Why there is nothing to adopt ("" when the plan is just not better).
    why_not: str = ""
    #: The reason is a fault worth a warning (a merged plan that failed validation).
    warn: bool = False


@dataclass(frozen=True, slots=True)
class SolveFinished:
    token: int
    plan: Plan | None
    solver_s: float = 0.0
    reason: str = ""
    #: The plan already merged with the live state beside the engine (``None``: not yet).
    prepared: PreparedAdoption | None = None


Event = (
    QuoteRequested
    | BookingRequested
    | StateRestored
    | RestoreCompleted
    | CancelRequested
    | VehicleAdded
    | PositionReported
    | StopEventReported
    | ShiftEndReported
    | Tick
    | SolveFinished
)

# ---- commands -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferMade:
    offer_id: str
    vehicle_id: ShiftId
    promise: Promise
    pickup_eta: int
    dropoff_eta: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class QuoteAnswered:
    quote_id: str
    offers: tuple[OfferMade, ...]
    reason: str = ""
    alternatives: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class BookingAccepted:
    booking_id: BookingId
    offer_id: str
    vehicle_id: ShiftId
    trip: TripSpec
    promise: Promise
    pickup_eta: int
    dropoff_eta: int
    #: The maximum ride time promised with the booking (stored, restored after a restart).
    max_ride_s: int | None = None


@dataclass(frozen=True, slots=True)
class BookingRejected:
    booking_id: BookingId
    offer_id: str
    reason: str
    code: str  # "unknown_offer" | "expired" | "infeasible" | "used" | "duplicate"


@dataclass(frozen=True, slots=True)
class TripStatusChanged:
    booking_id: BookingId
    status: BookingStatus
    at: int
    vehicle_id: ShiftId | None


@dataclass(frozen=True, slots=True)
class EventRefused:
    vehicle_id: ShiftId
    #: The booking the refused event named (``None``: the event named no booking).
    booking_id: BookingId | None
    reason: str


@dataclass(frozen=True, slots=True)
class PlanChanged:
    """A vehicle's new plan version, to be persisted and published to its driver."""

    vehicle_id: ShiftId
    version: int
    route: Route
    nodes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SolveRequested:
    token: int
    snapshot: Snapshot
    warm_start: Plan
    time_limit_s: float
    #: The periodic re-optimisation (a thorough search); else a quick one after a change.
    deep: bool = True


@dataclass(frozen=True, slots=True)
class PlanAdopted:
    token: int
    cost_before: float
    cost_after: float
    drive_saved_s: int
    vehicles_changed: int
    #: Bookings that now ride another vehicle (or a vehicle at all, if they had none).
    bookings_moved: int = 0


@dataclass(frozen=True, slots=True)
class TripUnplaced:
    """A confirmed booking that no vehicle's plan holds or can take (found at a restart).

    The promise stays; the dispatcher sees an incident and the rider's booking says so.
    Every later re-optimisation tries to place it again.
    """

    booking_id: BookingId
    reason: str
    at: int


@dataclass(frozen=True, slots=True)
class RelocationOrdered:
    """An idle bus drives to ``node`` to wait there for expected demand (rebalancing).

    The dispatcher plans it from ``node`` at ``arrival``: the driver finishes this drive
    before serving any stop planned meanwhile.
    """

    vehicle_id: ShiftId
    node: int
    arrival: int


Command = (
    QuoteAnswered
    | BookingAccepted
    | BookingRejected
    | TripStatusChanged
    | EventRefused
    | PlanChanged
    | SolveRequested
    | PlanAdopted
    | TripUnplaced
    | RelocationOrdered
)
