"""Rider details for the driver's stop list: first name, notes, the booked place's name.

They live in the database. A plan version is published only after the bookings on it
are committed (commit → store the plan → publish), so one lookup finds them. While the
database does not answer, the plan goes out without the names that are not known yet
(the driver still gets the stops); the next plan version looks them up again.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from dispatch.errors import UnavailableError
from dispatch.service.plan_payload import PlanPayload, PlanStopPayload
from dispatch.store import Repository
from dispatch.store.errors import NotFoundError
from dispatch.store.records import Booking

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RiderDetails:
    first_name: str
    notes: str
    pickup_name: str
    dropoff_name: str


class RiderDirectory:
    """A cache of ``RiderDetails`` by booking id (bookings never change these fields)."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._known: dict[str, RiderDetails] = {}

    def missing(self, payload: PlanPayload) -> list[str]:
        ids = {s["booking_id"] for s in payload["stops"] if s["booking_id"]}
        return sorted(i for i in ids if i not in self._known)

    def fetch(self, booking_ids: list[str]) -> None:
        """Look the bookings up (blocking: call in a worker thread)."""
        try:
            pending = [b for b in booking_ids if not self._load(b)]
        except UnavailableError:
            log.warning("rider details not looked up: the database is unavailable")
            return
        if pending:
            log.warning("no rider details for bookings %s", ", ".join(pending))

    def _load(self, booking_id: str) -> bool:
        try:
            booking = self.repo.get_booking(booking_id)
        except NotFoundError:
            return False
        self._known[booking_id] = self._details(booking)
        return True

    def _details(self, b: Booking) -> RiderDetails:
        name, sep, rest = b.notes.partition(": ")
        notes = rest if sep else ""
        if not sep:
            name = b.notes
        if b.rider_id is not None:
            with contextlib.suppress(NotFoundError):
                name = self.repo.get_rider(b.rider_id).name or name
        first = name.split()[0] if name.split() else ""
        return RiderDetails(first, notes, b.origin.name, b.destination.name)

    def enrich(self, payload: PlanPayload) -> PlanPayload:
        """The payload with rider and place names where known (the input stays unchanged)."""
        stops: list[PlanStopPayload] = []
        for stop in payload["stops"]:
            details = self._known.get(stop["booking_id"] or "")
            if details is None:
                stops.append(stop)
                continue
            pickup = stop["kind"] == "pickup"
            stops.append(
                {
                    **stop,
                    "name": details.pickup_name if pickup else details.dropoff_name,
                    "rider": {"first_name": details.first_name, "notes": details.notes},
                }
            )
        return {**payload, "stops": stops}
