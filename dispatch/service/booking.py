"""The booking service: what the rider and hotline API do, without HTTP.

Quotes go to the engine (insertion, milliseconds). A booking is placed by the engine
(which checks the offer is still feasible) and committed to the database with its
idempotency key and the vehicle's new plan version in the same step of the engine
thread; only then is the rider told it is confirmed. If the commit fails, the engine is
rolled back (the offer is free again, so a retry with the same key can succeed) and the
rider gets a 503 with ``Retry-After``. A cancellation likewise counts only once it is
committed. Every call may block briefly on the engine thread or the database, so the
HTTP layer runs it in a worker thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dispatch.booking_rules import time_problem
from dispatch.config import ServiceConfig
from dispatch.engine.adapters.runner import Runner
from dispatch.engine.events import (
    BookingAccepted,
    BookingRejected,
    BookingRequested,
    CancelRequested,
    OfferMade,
    QuoteAnswered,
    QuoteRequested,
    TripSpec,
)
from dispatch.errors import AuthError, ConflictError, DispatchError, InputError, SnapError
from dispatch.fairness.live import live_fairness
from dispatch.model import BookingId
from dispatch.roads.network import RoadNetwork
from dispatch.service.etas import EtaBoard
from dispatch.service.ids import new_id
from dispatch.service.sink import BookingCommit
from dispatch.stops import VirtualStops
from dispatch.store import Repository
from dispatch.store.changes import AlreadyConfirmed, Confirmation
from dispatch.store.errors import (
    BookingNotFound,
    OfferAlreadyUsed,
    OfferExpired,
    OfferNotFound,
)
from dispatch.store.records import (
    Booking,
    BookingStatus,
    NewBooking,
    Offer,
    Place,
    RiderNeeds,
)
from dispatch.store.tokens import hash_token, new_token, token_matches

log = logging.getLogger(__name__)

#: What a rider reads about a booking that no bus's plan holds (an incident).
UNPLACED_NOTICE = (
    "No bus is planned for this ride at the moment. The dispatcher has been alerted and "
    "is working on it; please call the hotline if you have not heard from us."
)


class OfferGoneError(ConflictError):
    """The offer expired or can no longer be served; ``fresh`` holds new offers, if any."""

    def __init__(self, message: str, fresh: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.fresh = fresh


@dataclass(frozen=True, slots=True)
class PlaceInput:
    stop_id: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class QuoteInput:
    origin: PlaceInput
    destination: PlaceInput
    depart_after: int | None = None
    arrive_by: int | None = None
    passengers: int = 1
    wheelchairs: int = 0
    extra_boarding_s: int = 0
    walker: bool = False

    def with_needs(self, needs: RiderNeeds) -> QuoteInput:
        """The request with a rider's recorded needs (hotline profile) added to it."""
        wheelchairs = min(self.passengers, max(self.wheelchairs, int(needs.wheelchair)))
        return replace(
            self,
            wheelchairs=wheelchairs,
            extra_boarding_s=max(self.extra_boarding_s, needs.extra_boarding_s),
            walker=self.walker or needs.walker,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": _place_json(self.origin),
            "destination": _place_json(self.destination),
            "depart_after": self.depart_after,
            "arrive_by": self.arrive_by,
            "passengers": self.passengers,
            "wheelchairs": self.wheelchairs,
            "extra_boarding_s": self.extra_boarding_s,
            "walker": self.walker,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuoteInput:
        return cls(
            PlaceInput(**data["origin"]),
            PlaceInput(**data["destination"]),
            data.get("depart_after"),
            data.get("arrive_by"),
            data["passengers"],
            data["wheelchairs"],
            data.get("extra_boarding_s", 0),
            data.get("walker", False),
        )


def _place_json(p: PlaceInput) -> dict[str, Any]:
    return {"stop_id": p.stop_id, "lat": p.lat, "lon": p.lon}


class BookingService:
    def __init__(
        self,
        runner: Runner,
        repo: Repository,
        network: RoadNetwork,
        stops: VirtualStops,
        config: ServiceConfig,
        clock: Callable[[], int],
        etas: EtaBoard,
    ) -> None:
        self.runner = runner
        self.repo = repo
        self.network = network
        self.stops = stops
        self.config = config
        self.clock = clock
        self.etas = etas
        #: The fairness option (``[booking] fairness_max_gap``); None when it is off.
        self.fairness = live_fairness(config, repo)

    # ---- places and times -------------------------------------------------------------

    def resolve(self, place: PlaceInput) -> Place:
        if place.stop_id is not None:
            stop = self.stops.get(place.stop_id)
            return Place(stop.name, stop.lat, stop.lon, stop.id, stop.node)
        assert place.lat is not None and place.lon is not None
        try:
            snapped = self.network.snap(place.lat, place.lon)
        except SnapError as exc:
            raise InputError(f"outside the service area: {exc}") from None
        return Place(
            self._name_near(place.lat, place.lon), place.lat, place.lon, None, snapped.node
        )

    def _name_near(self, lat: float, lon: float) -> str:
        best = min(
            self.network.places,
            key=lambda p: (p.lat - lat) ** 2 + ((p.lon - lon) * 0.64) ** 2,
            default=None,
        )
        return f"near {best.name}" if best is not None else f"{lat:.5f}, {lon:.5f}"

    def check_time(self, when: int, now: int) -> None:
        problem = time_problem(self.config, when, now)
        if problem is not None:
            raise InputError(problem)

    # ---- quotes -------------------------------------------------------------------------

    def quote(self, q: QuoteInput) -> dict[str, Any]:
        now = self.clock()
        origin, destination = self.resolve(q.origin), self.resolve(q.destination)
        if origin.node == destination.node:
            raise InputError("origin and destination are the same place")
        if q.wheelchairs > q.passengers:
            raise InputError("wheelchairs cannot exceed passengers")
        when = q.depart_after if q.depart_after is not None else q.arrive_by
        self.check_time(when if when is not None else now, now)
        spec = TripSpec(
            origin.node or 0,
            destination.node or 0,
            q.passengers,
            q.wheelchairs,
            depart_after=q.depart_after,
            arrive_by=q.arrive_by,
            extra_boarding_s=self.extra_boarding_s(q),
        )
        quote_id, answer = self._ask(spec, now)
        records: list[Offer] = []
        offers = [
            self._offer_json(o, origin, destination, q, quote_id, now, records)
            for o in answer.offers
        ]
        self.repo.save_offers(records)
        body: dict[str, Any] = {"quote_id": quote_id, "offers": offers}
        if not offers:
            body["reason"] = answer.reason
            body["alternatives"] = [self.iso(t) for t in answer.alternatives]
        return body

    def _ask(self, spec: TripSpec, now: int) -> tuple[str, QuoteAnswered]:
        """The engine's answer; with the fairness option, a wheelchair user's refused
        request is asked once more with a later pickup while their group trails."""
        quote_id = new_id("q")
        answer = self._answer(quote_id, spec)
        later = (
            self.fairness.second_chance(spec, now) if self.fairness and not answer.offers else None
        )
        if later is not None:
            later_id = new_id("q")
            second = self._answer(later_id, later)
            if second.offers:
                return later_id, second
        return quote_id, answer

    def _answer(self, quote_id: str, spec: TripSpec) -> QuoteAnswered:
        commands = self.runner.call(QuoteRequested(quote_id, spec))
        (answer,) = [c for c in commands if isinstance(c, QuoteAnswered)]
        return answer

    def extra_boarding_s(self, q: QuoteInput) -> int:
        """Extra seconds at each of the trip's stops: the rider's own plus a walker's."""
        walker = self.config.service_times.walker_extra_s if q.walker else 0
        return q.extra_boarding_s + walker

    def _offer_json(
        self,
        o: OfferMade,
        origin: Place,
        destination: Place,
        q: QuoteInput,
        quote_id: str,
        now: int,
        records: list[Offer],
    ) -> dict[str, Any]:
        request = {
            "input": q.as_json(),
            "origin": _place_dict(origin),
            "destination": _place_dict(destination),
        }
        promise = {
            "window_start": o.promise.pickup_window.start,
            "window_end": o.promise.pickup_window.end,
            "latest_arrival": o.promise.latest_arrival,
            "pickup_eta": o.pickup_eta,
            "dropoff_eta": o.dropoff_eta,
        }
        records.append(
            Offer(o.offer_id, quote_id, request, promise, o.expires_at, now, o.vehicle_id)
        )
        return {
            "offer_id": o.offer_id,
            "pickup": {
                **_place_public(origin),
                "window_start": self.iso(o.promise.pickup_window.start),
                "window_end": self.iso(o.promise.pickup_window.end),
                "eta": self.iso(o.pickup_eta),
            },
            "dropoff": {
                **_place_public(destination),
                "eta": self.iso(o.dropoff_eta),
                "latest_arrival": self.iso(o.promise.latest_arrival),
            },
            "expires_at": self.iso(o.expires_at),
        }

    # ---- bookings -----------------------------------------------------------------------

    def book(
        self,
        offer_id: str,
        rider: dict[str, Any],
        notes: str,
        key: str | None,
        body: dict[str, Any],
        standing_order_id: int | None = None,
    ) -> tuple[int, dict[str, Any]]:
        request_hash = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        stored = self.repo.stored_confirmation(key, request_hash)
        if stored is not None:  # a retry of a booking that was made
            return stored.status_code, stored.response
        try:
            offer = self.repo.get_offer(offer_id)
        except OfferNotFound:
            raise OfferGoneError("unknown or expired offer", None) from None
        token = new_token()
        commit = BookingCommit(
            lambda accepted: Confirmation(
                offer_id,
                self._new_booking(accepted, offer, rider, notes, token, standing_order_id),
                key,
                request_hash,
                lambda b: self.booking_json(b, token=token),
            )
        )
        booking_id = BookingId(new_id("b"))
        try:
            commands = self.runner.call(BookingRequested(booking_id, offer_id), persist=commit)
        except AlreadyConfirmed as exc:  # a concurrent attempt with the same key was first
            return exc.stored.status_code, exc.stored.response
        except OfferAlreadyUsed:
            raise ConflictError("this offer has been booked already") from None
        except OfferExpired:
            raise OfferGoneError("the offer has expired; here are fresh offers", None) from None
        if commit.result is not None:
            return commit.result.status_code, commit.result.response
        rejected = next(c for c in commands if isinstance(c, BookingRejected))
        return self._rejected(rejected, offer_id, key, request_hash)

    def _rejected(
        self, rejected: BookingRejected, offer_id: str, key: str | None, request_hash: str
    ) -> tuple[int, dict[str, Any]]:
        # The engine commits a booking before it takes the next event, so a retry that
        # finds the offer used (or already forgotten) finds the first attempt's answer.
        if key is not None and rejected.code in ("used", "unknown_offer"):
            stored = self.repo.stored_confirmation(key, request_hash)
            if stored is not None:
                return stored.status_code, stored.response
        if rejected.code == "unknown_offer":
            raise OfferGoneError("unknown or expired offer", None)
        if rejected.code == "used":
            raise ConflictError("this offer has been booked already")
        raise OfferGoneError(f"{rejected.reason}; here are fresh offers", self._fresh(offer_id))

    def _fresh(self, offer_id: str) -> dict[str, Any] | None:
        try:
            offer = self.repo.get_offer(offer_id)
            return self.quote(QuoteInput.from_json(offer.request["input"]))
        except DispatchError:
            return None

    def _new_booking(
        self,
        accepted: BookingAccepted,
        offer: Offer,
        rider: dict[str, Any],
        notes: str,
        token: str,
        standing_order_id: int | None,
    ) -> NewBooking:
        """The booking as the engine placed it (vehicle, promise, planned times)."""
        return NewBooking(
            booking_id=accepted.booking_id,
            rider_id=rider.get("rider_id"),
            origin=_place_from(offer.request["origin"]),
            destination=_place_from(offer.request["destination"]),
            passengers=accepted.trip.passengers,
            wheelchairs=accepted.trip.wheelchairs,
            extra_boarding_s=accepted.trip.extra_boarding_s,
            max_ride_s=accepted.max_ride_s,
            pickup_window_start=accepted.promise.pickup_window.start,
            pickup_window_end=accepted.promise.pickup_window.end,
            latest_arrival=accepted.promise.latest_arrival,
            depart_after=_asked(offer, accepted.trip.depart_after),
            arrive_by=accepted.trip.arrive_by,
            planned_pickup=accepted.pickup_eta,
            planned_dropoff=accepted.dropoff_eta,
            vehicle_id=accepted.vehicle_id,
            access_token_hash=hash_token(token),
            notes=(f"{rider.get('name', '')}: {notes}" if notes else rider.get("name", ""))[:500],
            standing_order_id=standing_order_id,
        )

    def booking_json(self, b: Booking, token: str | None = None) -> dict[str, Any]:
        eta = self.etas.get(b.id)
        body: dict[str, Any] = {
            "booking_id": b.id,
            "status": b.status.value,
            "pickup": {
                **_place_public(b.origin),
                "window_start": self.iso(b.pickup_window_start),
                "window_end": self.iso(b.pickup_window_end),
            },
            "dropoff": {
                **_place_public(b.destination),
                "latest_arrival": self.iso(b.latest_arrival),
            },
            "passengers": b.passengers,
            "wheelchairs": b.wheelchairs,
            "pickup_eta": self.iso(eta[0] if eta else b.planned_pickup),
            "dropoff_eta": self.iso(eta[1] if eta else b.planned_dropoff),
        }
        if token is not None:
            body["access_token"] = token
        if b.status is BookingStatus.UNPLACED:
            body["notice"] = UNPLACED_NOTICE
        return body

    def authorise(self, booking_id: str, token: str | None, agent: bool) -> Booking:
        try:
            booking = self.repo.get_booking(booking_id)
        except BookingNotFound:
            raise BookingNotFound(f"no booking {booking_id}") from None
        if not agent and not token_matches(token or "", booking.access_token_hash):
            raise AuthError("this booking needs its access token")
        return booking

    def get_booking(self, booking_id: str, token: str | None, agent: bool) -> dict[str, Any]:
        return self.booking_json(self.authorise(booking_id, token, agent))

    def cancel(self, booking_id: str, token: str | None, agent: bool) -> dict[str, Any]:
        """Cancel; answered only once the cancellation is committed (else 503, try again)."""
        booking = self.authorise(booking_id, token, agent)
        if booking.status in (BookingStatus.CONFIRMED, BookingStatus.UNPLACED):
            self.runner.call(CancelRequested(booking.id))
        elif booking.status is BookingStatus.ON_BOARD:
            raise ConflictError("the rider is already on board")
        return self.booking_json(self.repo.get_booking(booking_id))

    def iso(self, t: int | None) -> str | None:
        return None if t is None else datetime.fromtimestamp(t, self.config.zone).isoformat()


def _asked(offer: Offer, depart_after: int | None) -> int | None:
    """The time the rider asked for: an offer the fairness option made for a later pickup
    keeps the rider's own time, so that the wait is counted from it."""
    asked = offer.request.get("input", {}).get("depart_after")
    return asked if isinstance(asked, int) and depart_after is not None else depart_after


def _place_dict(p: Place) -> dict[str, Any]:
    return {"name": p.name, "lat": p.lat, "lon": p.lon, "stop_id": p.stop_id, "node": p.node}


def _place_from(d: dict[str, Any]) -> Place:
    return Place(d["name"], d["lat"], d["lon"], d.get("stop_id"), d.get("node"))


def _place_public(p: Place) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "lat": p.lat, "lon": p.lon}
    if p.stop_id is not None:
        out["stop_id"] = p.stop_id
    return out
