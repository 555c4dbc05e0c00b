"""Persist, then publish, what the engine decided: one ordered pipeline.

The engine thread hands every decision's commands to the :class:`Sink`, in order. The
sink writes everything the decision changed in one transaction (a new booking with its
idempotency key, status changes, the driver's message id, the new plan versions, and
each affected booking's vehicle and planned times); only after the commit does it hand
the new plan versions to the publishing thread, which builds the drivers' payloads with
their road geometry, updates the riders' ETAs and publishes. So the order is always:
commit the booking → store the plan version → publish to drivers, a published version
number is always a stored one (never reused after a crash), and a driver never sees a
booking the database does not hold.

If the transaction fails, the sink raises; the runner rolls the engine back and the
caller tells the rider or driver to try again (503).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC

from dispatch.engine.adapters.publisher import InMemoryPublisher, PublishedPlan
from dispatch.engine.events import (
    BookingAccepted,
    Command,
    EventRefused,
    PlanAdopted,
    PlanChanged,
    TripStatusChanged,
    TripUnplaced,
)
from dispatch.engine.views import EMPTY_VIEW
from dispatch.model import BookingId, BookingStatus, Route, ShiftId, StopKind, vehicle_of
from dispatch.roads.geometry import Geometry
from dispatch.roads.network import RoadNetwork
from dispatch.service.etas import EtaBoard
from dispatch.service.plan_payload import PlanPayloads, delayed_route
from dispatch.store import Repository
from dispatch.store.changes import (
    Assignment,
    ChangeBatch,
    Confirmation,
    StatusChange,
    Unplaced,
)
from dispatch.store.records import Booking, ConfirmResult, PlanVersion, StopEvent

log = logging.getLogger(__name__)

Clock = Callable[[], int]
#: Planned times that moved less than this are not rewritten (the ETA board has the exact ones).
PLANNED_TIME_SLACK_S = 60
_CLOSED = (BookingStatus.COMPLETED, BookingStatus.CANCELLED, BookingStatus.NO_SHOW)


@dataclass
class BookingCommit:
    """Goes with a ``BookingRequested``: what to store if the engine accepts the booking."""

    prepare: Callable[[BookingAccepted], Confirmation]
    result: ConfirmResult | None = None


@dataclass(frozen=True, slots=True)
class StopEventRecord:
    """Goes with a ``StopEventReported``: the driver's message, stored once with its effect."""

    event: StopEvent


@dataclass(frozen=True, slots=True)
class Adoption:
    """A re-optimised plan the engine adopted (the dispatcher sees the latest ones)."""

    at: int
    drive_saved_s: int
    vehicles_changed: int
    bookings_moved: int


class StartUp:
    """Goes with the vehicles added at start-up: the restore writes their plans afterwards."""


STARTUP = StartUp()

_Assigned = tuple[ShiftId | None, int | None, int | None]


class Sink:
    """Persists what the engine decides (engine thread, in order), then publishes it."""

    def __init__(
        self,
        repo: Repository,
        network: RoadNetwork,
        publisher: InMemoryPublisher,
        etas: EtaBoard,
        clock: Clock,
        payloads: PlanPayloads | None = None,
    ) -> None:
        self.repo, self.network, self.publisher, self.etas, self.clock = (
            repo,
            network,
            publisher,
            etas,
            clock,
        )
        self.payloads = payloads or PlanPayloads(Geometry(network), UTC, {}, lambda: EMPTY_VIEW)
        #: The last timed route and its nodes per vehicle (for ETAs projected from positions).
        self.routes: dict[str, tuple[Route, tuple[int, ...]]] = {}
        self.adoptions: deque[Adoption] = deque(maxlen=50)
        self.adopted = 0
        self.moved = 0
        self.drive_saved_s = 0
        #: What the database holds for each open booking: vehicle, planned pickup, drop-off.
        self._assigned: dict[BookingId, _Assigned] = {}
        self._unplaced: set[str] = set()
        self._plans: queue.Queue[tuple[PlanChanged, int] | None] = queue.Queue()
        self._writer = threading.Thread(
            target=self._publish_plans, name="dispatch-plan-publisher", daemon=True
        )
        self._writer.start()

    def seed(self, bookings: Iterable[Booking]) -> None:
        """What the database says about the open bookings (at start-up, before the restore)."""
        for b in bookings:
            self._assigned[b.id] = (b.vehicle_id, b.planned_pickup, b.planned_dropoff)
            if b.status is BookingStatus.UNPLACED:
                self._unplaced.add(b.id)

    # ---- persist ----------------------------------------------------------------------

    def __call__(self, commands: list[Command], persist: object | None = None) -> None:
        if isinstance(persist, StartUp):
            return
        now = self.clock()
        batch = ChangeBatch(at=now)
        self._collect(commands, persist, batch)
        plans = [c for c in commands if isinstance(c, PlanChanged)]
        batch.plans = [
            PlanVersion(c.vehicle_id, c.version, now, self.payloads.stored_stops(c)) for c in plans
        ]
        assigned = _assignments(plans)
        batch.assignments = self._changed(assigned, batch)
        batch.placed_again = sorted(b for b, a in assigned.items() if b in self._unplaced and a[0])
        result = None if batch.empty() else self.repo.apply_changes(batch)
        if isinstance(persist, BookingCommit):
            persist.result = result
        self._committed(commands, batch, assigned, now)

    def _collect(self, commands: list[Command], persist: object | None, batch: ChangeBatch) -> None:
        for c in commands:
            if isinstance(c, BookingAccepted) and isinstance(persist, BookingCommit):
                batch.confirmation = persist.prepare(c)
            elif isinstance(c, TripStatusChanged):  # riders' bookings only: breaks never change
                batch.statuses.append(StatusChange(c.booking_id, c.status, c.at))
            elif isinstance(c, TripUnplaced):
                batch.unplaced.append(Unplaced(c.booking_id, c.reason, c.at))
        refused = any(isinstance(c, EventRefused) for c in commands)
        if isinstance(persist, StopEventRecord) and not refused:
            batch.stop_event = persist.event

    def _changed(
        self, assigned: dict[BookingId, _Assigned], batch: ChangeBatch
    ) -> list[Assignment]:
        new = batch.confirmation.booking.booking_id if batch.confirmation else None
        out = []
        for booking_id, (vehicle, pickup, dropoff) in assigned.items():
            if booking_id == new:
                continue  # written with the booking itself
            if _differs(self._assigned.get(booking_id), (vehicle, pickup, dropoff)):
                out.append(Assignment(booking_id, vehicle, pickup, dropoff))
        return out

    def _committed(
        self,
        commands: list[Command],
        batch: ChangeBatch,
        assigned: dict[BookingId, _Assigned],
        now: int,
    ) -> None:
        """The transaction is in: update what the sink remembers, then publish."""
        if batch.confirmation is not None:
            b = batch.confirmation.booking
            self._assigned[b.booking_id] = (b.vehicle_id, b.planned_pickup, b.planned_dropoff)
        for a in batch.assignments:
            old = self._assigned.get(a.booking_id, (None, None, None))
            pickup = a.planned_pickup if a.planned_pickup is not None else old[1]
            self._assigned[a.booking_id] = (a.vehicle_id, pickup, a.planned_dropoff)
        self._unplaced -= set(batch.placed_again)
        for u in batch.unplaced:
            self._unplaced.add(u.booking_id)
            old = self._assigned.get(u.booking_id, (None, None, None))
            self._assigned[u.booking_id] = (None, old[1], old[2])
        for c in commands:
            if isinstance(c, TripStatusChanged) and c.status in _CLOSED:
                self._assigned.pop(c.booking_id, None)
                self._unplaced.discard(c.booking_id)
            elif isinstance(c, PlanAdopted):
                self._adopted(c, now)
            elif isinstance(c, PlanChanged):
                self.routes[c.vehicle_id] = (c.route, c.nodes)
                self._plans.put((c, now))

    def _adopted(self, c: PlanAdopted, now: int) -> None:
        self.adopted += 1
        self.moved += c.bookings_moved
        self.drive_saved_s += max(0, c.drive_saved_s)
        self.adoptions.append(Adoption(now, c.drive_saved_s, c.vehicles_changed, c.bookings_moved))

    # ---- publish (publishing thread) --------------------------------------------------

    def _publish_plans(self) -> None:
        while (item := self._plans.get()) is not None:
            change, at = item
            try:
                self._publish(change, at)
            except Exception:
                log.exception("plan version %s/%d not published", change.vehicle_id, change.version)

    def _publish(self, c: PlanChanged, now: int) -> None:
        self.etas.update(c.route)
        device_id = vehicle_of(c.vehicle_id)
        payload = self.payloads.published(c, device_id, now)
        self.publisher.publish(PublishedPlan(c.vehicle_id, c.version, payload))

    def publish_only(self, changes: list[PlanChanged]) -> None:
        """Queue plan versions for the drivers without storing them (load tests only: a
        version published this way is not in the database, and a restart will not know it)."""
        now = self.clock()
        for c in changes:
            self._plans.put((c, now))

    def close(self) -> None:
        """Publish what is queued, then stop the publishing thread."""
        self._plans.put(None)
        self._writer.join(timeout=30)

    def project_position(self, vehicle_id: str, node: int, at: int) -> None:
        """Riders' ETAs from where the vehicle really is (called off the engine thread).

        Delays carry forward through the plan; being early changes nothing, since the
        vehicle waits for each pickup window anyway.
        """
        current = self.routes.get(vehicle_id)
        if current is None or not current[0].stops:
            return
        route, nodes = current
        seconds, _ = self.network.one_to_many(node, [nodes[0]])
        self.etas.update(delayed_route(route, at + int(seconds[0])))


def _assignments(plans: list[PlanChanged]) -> dict[BookingId, _Assigned]:
    """Each booking on these plans: its vehicle, planned pickup (None when on board), drop-off."""
    out: dict[BookingId, _Assigned] = {}
    for c in plans:
        for stop in c.route.stops:
            if stop.kind is StopKind.BREAK:
                continue
            booking_id = stop.request_id
            _, pickup, dropoff = out.get(booking_id, (None, None, None))
            if stop.kind is StopKind.PICKUP:
                pickup = stop.start
            else:
                dropoff = stop.start
            out[booking_id] = (c.vehicle_id, pickup, dropoff)
    return out


def _differs(old: _Assigned | None, new: _Assigned) -> bool:
    if old is None or old[0] != new[0]:
        return True
    return any(
        n is not None and (o is None or abs(n - o) >= PLANNED_TIME_SLACK_S)
        for o, n in zip(old[1:], new[1:], strict=True)
    )
