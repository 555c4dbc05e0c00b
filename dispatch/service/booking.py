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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NotRequired, TypedDict, cast

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
from dispatch.model import BookingId, BookingStatus
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
    ConfirmResult,
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


@dataclass(frozen=True, slots=True)
class QuotedOffer:
    """One offer of a quote: where and when the bus picks up, and its promise (epoch seconds)."""

    offer_id: str
    origin: Place
    destination: Place
    window_start: int
    window_end: int
    pickup_eta: int
    dropoff_eta: int
    latest_arrival: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class QuoteResult:
    """The answer to a request: offers, or why there is none and times that would work."""

    quote_id: str
    offers: tuple[QuotedOffer, ...]
    reason: str | None = None
    alternatives: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class BookingView:
    """A booking as its rider sees it: the promise, the current ETAs, and a notice if any.

    ``access_token`` is there only in the answer to the booking itself (shown once)."""

    booking_id: str
    status: BookingStatus
    origin: Place
    destination: Place
    passengers: int
    wheelchairs: int
    window_start: int
    window_end: int
    latest_arrival: int
    pickup_eta: int | None
    dropoff_eta: int | None
    notice: str | None = None
    access_token: str | None = None

    def as_json(self) -> StoredView:
        """As stored with the idempotency key (the store seals ``access_token``)."""
        stored: StoredView = {
            "booking_id": self.booking_id,
            "status": self.status.value,
            "origin": _place_dict(self.origin),
            "destination": _place_dict(self.destination),
            "passengers": self.passengers,
            "wheelchairs": self.wheelchairs,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "latest_arrival": self.latest_arrival,
            "pickup_eta": self.pickup_eta,
            "dropoff_eta": self.dropoff_eta,
            "notice": self.notice,
        }
        if self.access_token is not None:
            stored["access_token"] = self.access_token
        return stored

    @classmethod
    def from_json(cls, d: StoredView) -> BookingView:
        return cls(
            d["booking_id"],
            BookingStatus(d["status"]),
            _place_from(d["origin"]),
            _place_from(d["destination"]),
            d["passengers"],
            d["wheelchairs"],
            d["window_start"],
            d["window_end"],
            d["latest_arrival"],
            d["pickup_eta"],
            d["dropoff_eta"],
            d["notice"],
            d.get("access_token"),
        )


@dataclass(frozen=True, slots=True)
class BookingAnswer:
    """The outcome of :meth:`BookingService.book`: the booking made (``status_code`` 201),
    or for a retry with the same idempotency key the answer stored for the first attempt.

    ``legacy`` holds an answer stored in the API's words by an earlier version of the
    service (sent again as it was); ``view`` is ``None`` then."""

    booking_id: str
    status_code: int
    view: BookingView | None
    legacy: Mapping[str, object] | None = None


class OfferGoneError(ConflictError):
    """The offer expired or can no longer be served; ``fresh`` holds new offers, if any."""

    def __init__(self, message: str, fresh: QuoteResult | None) -> None:
        super().__init__(message)
        self.fresh = fresh


@dataclass(frozen=True, slots=True)
class RiderContact:
    """Who rides (the driver sees the first name) and a note for the driver."""

    name: str
    rider_id: str | None = None
    notes: str = ""


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

    def as_json(self) -> QuoteInputJson:
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
    def from_json(cls, data: QuoteInputJson) -> QuoteInput:
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


class PlaceInputJson(TypedDict):
    stop_id: str | None
    lat: float | None
    lon: float | None


class QuoteInputJson(TypedDict):
    """A request as stored with its offers (to quote it again when the offer is gone)."""

    origin: PlaceInputJson
    destination: PlaceInputJson
    depart_after: int | None
    arrive_by: int | None
    passengers: int
    wheelchairs: int
    extra_boarding_s: NotRequired[int]
    walker: NotRequired[bool]


class StoredPlace(TypedDict):
    """A resolved place as stored with an offer."""

    name: str
    lat: float
    lon: float
    stop_id: str | None
    node: int | None


class StoredView(TypedDict):
    """A :class:`BookingView` as kept for the retries of a booking (see ``as_json``)."""

    booking_id: str
    status: str
    origin: StoredPlace
    destination: StoredPlace
    passengers: int
    wheelchairs: int
    window_start: int
    window_end: int
    latest_arrival: int
    pickup_eta: int | None
    dropoff_eta: int | None
    notice: str | None
    access_token: NotRequired[str]


def _place_json(p: PlaceInput) -> PlaceInputJson:
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
        #: Which other service area of the deployment a place outside this one lies in
        #: (a deployment of several areas sets it), or ``None``.
        self.elsewhere: Callable[[float, float], str | None] = lambda lat, lon: None

    # ---- places and times -------------------------------------------------------------

    def resolve(self, place: PlaceInput, end: str = "") -> Place:
        """The place on this area's roads; ``end`` ("origin", "destination") names it in
        the answer when it lies in another service area of the deployment."""
        if place.stop_id is not None:
            stop = self.stops.get(place.stop_id)
            return Place(stop.name, stop.lat, stop.lon, stop.id, stop.node)
        assert place.lat is not None and place.lon is not None
        try:
            snapped = self.network.snap(place.lat, place.lon)
        except SnapError as exc:
            raise InputError(self._outside(place.lat, place.lon, end, exc)) from None
        return Place(
            self._name_near(place.lat, place.lon), place.lat, place.lon, None, snapped.node
        )

    def _outside(self, lat: float, lon: float, end: str, exc: SnapError) -> str:
        area = self.elsewhere(lat, lon)
        if area is None:
            return f"outside the service area: {exc}"
        if end == "origin":
            return (
                f"this trip starts in service area {area!r}, not in this one: "
                f"book it at /areas/{area}/ (see GET /v1/areas)"
            )
        what = "the destination" if end == "destination" else "this place"
        return (
            f"{what} is in service area {area!r}, outside this one: "
            "trips between service areas are not offered"
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

    def quote(self, q: QuoteInput) -> QuoteResult:
        now = self.clock()
        origin = self.resolve(q.origin, "origin")
        destination = self.resolve(q.destination, "destination")
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
        offers = tuple(_quoted(o, origin, destination) for o in answer.offers)
        self.repo.save_offers(
            [_offer_record(o, origin, destination, q, quote_id, now) for o in answer.offers]
        )
        if offers:
            return QuoteResult(quote_id, offers)
        return QuoteResult(quote_id, (), answer.reason, tuple(answer.alternatives))

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

    # ---- bookings -----------------------------------------------------------------------

    def book(
        self,
        offer_id: str,
        rider: RiderContact,
        key: str | None,
        body: Mapping[str, object],
        standing_order_id: int | None = None,
    ) -> BookingAnswer:
        """Book ``offer_id``; ``body`` (the request as sent) tells a retry with the same
        ``key`` from another use of the key (which gets the first attempt's answer)."""
        request_hash = request_digest(body)
        stored = self.repo.stored_confirmation(key, request_hash)
        if stored is not None:  # a retry of a booking that was made
            return _replay(stored)
        return self.book_offer(self.offer(offer_id), rider, key, request_hash, standing_order_id)

    def offer(self, offer_id: str) -> Offer:
        """The stored offer (``OfferGoneError`` when it is unknown or has expired)."""
        try:
            return self.repo.get_offer(offer_id)
        except OfferNotFound:
            raise OfferGoneError("unknown or expired offer", None) from None

    def book_offer(
        self,
        offer: Offer,
        rider: RiderContact,
        key: str | None,
        request_hash: str,
        standing_order_id: int | None = None,
        made_again: bool = False,
    ) -> BookingAnswer:
        """Book a loaded ``offer`` (the engine checks it again, in the booking's transaction:
        used, expired, or the key's answer stored meanwhile). An offer made by an engine
        that has stopped since is made again with the same promise (``made_again``)."""
        offer_id = offer.offer_id
        token = new_token()
        made: list[BookingView] = []

        def answer(b: Booking) -> dict[str, object]:
            made.append(self.view(b, token))
            return dict(made[-1].as_json())

        commit = BookingCommit(
            lambda accepted: Confirmation(
                offer_id,
                self._new_booking(accepted, offer, rider, token, standing_order_id),
                key,
                request_hash,
                answer,
            )
        )
        booking_id = BookingId(new_id("b"))
        try:
            commands = self.runner.call(BookingRequested(booking_id, offer_id), persist=commit)
        except AlreadyConfirmed as exc:  # a concurrent attempt with the same key was first
            return _replay(exc.stored)
        except OfferAlreadyUsed:
            raise ConflictError("this offer has been booked already") from None
        except OfferExpired:
            raise OfferGoneError("the offer has expired; here are fresh offers", None) from None
        if commit.result is not None:
            if commit.result.replayed or not made:
                return _replay(commit.result)
            self._log_confirmed(made[-1])
            return BookingAnswer(commit.result.booking_id, commit.result.status_code, made[-1])
        rejected = next(c for c in commands if isinstance(c, BookingRejected))
        if rejected.code == "unknown_offer" and not made_again:
            again = self._offer_again(offer, key, request_hash)
            if isinstance(again, BookingAnswer):
                return again
            if again is not None:
                return self.book_offer(again, rider, key, request_hash, standing_order_id, True)
        return self._rejected(rejected, offer_id, key, request_hash)

    def _log_confirmed(self, view: BookingView) -> None:
        """One line per booking for the operator's log: no rider, no address (a place
        that is not a stop is named as such)."""

        def hhmm(t: int) -> str:
            return datetime.fromtimestamp(t, self.config.zone).strftime("%H:%M")

        def place(p: Place) -> str:
            return repr(p.name) if p.stop_id else "an address"

        log.info(
            "booking %s confirmed: %d rider(s)%s from %s to %s, pickup %s %s-%s, arrival by %s",
            view.booking_id,
            view.passengers,
            f", {view.wheelchairs} wheelchair(s)" if view.wheelchairs else "",
            place(view.origin),
            place(view.destination),
            datetime.fromtimestamp(view.window_start, self.config.zone).date().isoformat(),
            hhmm(view.window_start),
            hhmm(view.window_end),
            hhmm(view.latest_arrival),
        )

    def _offer_again(
        self, offer: Offer, key: str | None, request_hash: str
    ) -> BookingAnswer | Offer | None:
        """For an offer the engine does not know although it is stored, unused and valid:
        the engine that made it has stopped since (a failover, a restart). The rider's
        retry then books the same promise if it can still be kept: the request is quoted
        again and an offer whose window lies inside the old one (and arrives no later) is
        booked instead. ``None`` if there is none; the stored answer if this key's
        booking was made meanwhile."""
        if key is not None:
            stored = self.repo.stored_confirmation(key, request_hash)
            if stored is not None:
                return _replay(stored)
        if offer.consumed_by is not None:
            raise ConflictError("this offer has been booked already")
        if offer.expires_at < self.clock():
            return None
        promise = offer.promise
        try:
            fresh = self.quote(QuoteInput.from_json(offer.request["input"]))
        except DispatchError:
            return None
        for o in fresh.offers:
            if (
                o.window_start >= promise["window_start"]
                and o.window_end <= promise["window_end"]
                and o.latest_arrival <= promise["latest_arrival"]
            ):
                return self.repo.get_offer(o.offer_id)
        return None

    def _rejected(
        self, rejected: BookingRejected, offer_id: str, key: str | None, request_hash: str
    ) -> BookingAnswer:
        # The engine commits a booking before it takes the next event, so a retry that
        # finds the offer used (or already forgotten) finds the first attempt's answer.
        if key is not None and rejected.code in ("used", "unknown_offer"):
            stored = self.repo.stored_confirmation(key, request_hash)
            if stored is not None:
                return _replay(stored)
        if rejected.code == "unknown_offer":
            raise OfferGoneError("unknown or expired offer", None)
        if rejected.code == "used":
            raise ConflictError("this offer has been booked already")
        if rejected.code == "duplicate":
            raise ConflictError(f"booking {rejected.booking_id} exists already")
        raise OfferGoneError(f"{rejected.reason}; here are fresh offers", self._fresh(offer_id))

    def _fresh(self, offer_id: str) -> QuoteResult | None:
        try:
            offer = self.repo.get_offer(offer_id)
            return self.quote(QuoteInput.from_json(offer.request["input"]))
        except DispatchError:
            return None

    def _new_booking(
        self,
        accepted: BookingAccepted,
        offer: Offer,
        rider: RiderContact,
        token: str,
        standing_order_id: int | None,
    ) -> NewBooking:
        """The booking as the engine placed it (vehicle, promise, planned times)."""
        return NewBooking(
            booking_id=accepted.booking_id,
            rider_id=rider.rider_id,
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
            notes=(f"{rider.name}: {rider.notes}" if rider.notes else rider.name)[:500],
            standing_order_id=standing_order_id,
        )

    def view(self, b: Booking, access_token: str | None = None) -> BookingView:
        """The booking with its current ETAs (from the buses' positions, else as planned)."""
        eta = self.etas.get(b.id)
        notice = UNPLACED_NOTICE if b.status is BookingStatus.UNPLACED else None
        return BookingView(
            b.id,
            b.status,
            b.origin,
            b.destination,
            b.passengers,
            b.wheelchairs,
            b.pickup_window_start,
            b.pickup_window_end,
            b.latest_arrival,
            eta[0] if eta else b.planned_pickup,
            eta[1] if eta else b.planned_dropoff,
            notice,
            access_token,
        )

    def authorise(self, booking_id: str, token: str | None, agent: bool) -> Booking:
        """The booking, for staff or for the holder of its access token. Anybody else gets
        the same answer whether the booking exists or not (nobody can probe for ids)."""
        try:
            booking = self.repo.get_booking(booking_id)
        except BookingNotFound:
            if not agent:
                raise AuthError("this booking needs its access token") from None
            raise BookingNotFound(f"no booking {booking_id}") from None
        if not agent and not token_matches(token or "", booking.access_token_hash):
            raise AuthError("this booking needs its access token")
        return booking

    def get_booking(self, booking_id: str, token: str | None, agent: bool) -> BookingView:
        return self.view(self.authorise(booking_id, token, agent))

    def rider_bookings(self, rider_id: str) -> list[BookingView]:
        """A registered rider's bookings, newest first (``RiderNotFound`` if unknown)."""
        self.repo.get_rider(rider_id)
        return [self.view(b) for b in self.repo.list_bookings_for_rider(rider_id)]

    def cancel(self, booking_id: str, token: str | None, agent: bool) -> BookingView:
        """Cancel; answered only once the cancellation is committed (else 503, try again)."""
        booking = self.authorise(booking_id, token, agent)
        if booking.status in (BookingStatus.CONFIRMED, BookingStatus.UNPLACED):
            self.runner.call(CancelRequested(booking.id))
        elif booking.status is BookingStatus.ON_BOARD:
            raise ConflictError("the rider is already on board")
        return self.view(self.repo.get_booking(booking_id))


def request_digest(body: Mapping[str, object]) -> str:
    """Tells a retry with the same Idempotency-Key from another use of the key."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _asked(offer: Offer, depart_after: int | None) -> int | None:
    """The time the rider asked for: an offer the fairness option made for a later pickup
    keeps the rider's own time, so that the wait is counted from it."""
    asked = offer.request.get("input", {}).get("depart_after")
    return asked if isinstance(asked, int) and depart_after is not None else depart_after


def _quoted(o: OfferMade, origin: Place, destination: Place) -> QuotedOffer:
    promise = o.promise
    return QuotedOffer(
        o.offer_id,
        origin,
        destination,
        promise.pickup_window.start,
        promise.pickup_window.end,
        o.pickup_eta,
        o.dropoff_eta,
        promise.latest_arrival,
        o.expires_at,
    )


def _offer_record(
    o: OfferMade, origin: Place, destination: Place, q: QuoteInput, quote_id: str, now: int
) -> Offer:
    """The offer as stored: the request (to quote it again) and the promise made."""
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
    return Offer(o.offer_id, quote_id, request, promise, o.expires_at, now, o.vehicle_id)


def _place_dict(p: Place) -> StoredPlace:
    return {"name": p.name, "lat": p.lat, "lon": p.lon, "stop_id": p.stop_id, "node": p.node}


def _place_from(d: StoredPlace) -> Place:
    return Place(d["name"], d["lat"], d["lon"], d.get("stop_id"), d.get("node"))


def _replay(stored: ConfirmResult) -> BookingAnswer:
    """The answer stored for the first attempt (``legacy``: stored in the API's words)."""
    if "pickup" in stored.response:
        return BookingAnswer(stored.booking_id, stored.status_code, None, stored.response)
    view = BookingView.from_json(cast(StoredView, stored.response))
    return BookingAnswer(stored.booking_id, stored.status_code, view)
