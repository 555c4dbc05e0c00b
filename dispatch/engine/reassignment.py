"""Offers that move other bookings to make room (when plain insertion finds none).

A quote that finds no place by insertion tries :func:`insert_with_reassignment`: one or
two bookings near the request move to another position or bus (their promises kept) and
the request takes the room they leave. The offer remembers the new sequences and the
sequences they were made from; booking it applies them if those vehicles' plans are
unchanged (and still feasible with the promise), and otherwise falls back to insertion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch.engine import trips as trip_rules
from dispatch.engine.events import BookingAccepted, BookingRequested, Command, OfferMade
from dispatch.engine.snapshot import LiveSnapshot
from dispatch.engine.state import OfferRecord
from dispatch.model import Request, RequestId, Route, ShiftId, StopKind, Visit
from dispatch.solver.reassign import insert_with_reassignment, reassignment_offer
from dispatch.solver.schedule import Infeasibility, build_route

if TYPE_CHECKING:
    from dispatch.engine.events import QuoteRequested
    from dispatch.engine.live import LiveState


def reassigned_offer(
    engine: LiveState,
    event: QuoteRequested,
    request: Request,
    max_ride: int,
    live: LiveSnapshot,
    now: int,
) -> OfferMade | None:
    """One offer that moves other bookings, or ``None`` if no such move serves the request."""
    found = insert_with_reassignment(live.snapshot, live.visits, request, engine.params.objective)
    if found is None:
        return None
    offer = reassignment_offer(
        live.snapshot, found, request, trip_rules.promise_params(engine.params)
    )
    if offer is None:
        return None
    record = trip_rules.offer_record(event, 0, offer, request, max_ride, now, engine.params)
    record.reassignment = dict(found.sequences)
    record.based_on = {vid: tuple(live.visits.get(vid, ())) for vid in found.sequences}
    engine.offers[record.offer_id] = record
    return OfferMade(
        record.offer_id,
        record.vehicle_id,
        record.promise,
        offer.pickup_start,
        offer.dropoff_start,
        record.expires_at,
    )


def book_reassigned(
    engine: LiveState, event: BookingRequested, offer: OfferRecord, now: int
) -> list[Command] | None:
    """Apply the offer's moves if they still hold; ``None``: book it by insertion instead."""
    assert offer.reassignment is not None and offer.based_on is not None
    for vid, before in offer.based_on.items():
        vehicle = engine.vehicles.get(vid)
        if vehicle is None or tuple(vehicle.visits) != before:
            return None
    rid = event.booking_id
    request = trip_rules.promised_request(offer, rid)
    live = engine.live_snapshot(now, extra=(request,))
    sequences = {
        vid: booking_visits(seq, offer.request.id, rid) for vid, seq in offer.reassignment.items()
    }
    routes = _timed(live, sequences)
    if routes is None:
        return None
    offer.used = True
    carrier = next(vid for vid, seq in sequences.items() if Visit(rid, StopKind.PICKUP) in seq)
    trip = trip_rules.trip_from_offer(event.booking_id, offer, carrier)
    engine.trips[trip.booking_id] = trip
    changed: list[Command] = []
    for vid, route in routes.items():
        for visit in sequences[vid]:
            engine.trips[visit.request_id].vehicle_id = vid
        vehicle = engine.vehicles[vid]
        changed.append(engine.set_route(vehicle, list(sequences[vid]), route, vid in live.relaxed))
    engine.mark_dirty(now)
    route = routes[carrier]
    starts = [s.start for s in route.stops if s.request_id == rid]
    accepted = BookingAccepted(
        event.booking_id,
        event.offer_id,
        carrier,
        trip.spec,
        trip.promise,
        pickup_eta=starts[0],
        dropoff_eta=starts[-1],
        max_ride_s=trip.max_ride_s,
    )
    return [accepted, *changed]


def booking_visits(
    sequence: tuple[Visit, ...], quoted: RequestId, booked: RequestId
) -> tuple[Visit, ...]:
    """The quote's visits under the booking's id."""
    return tuple(Visit(booked, v.kind) if v.request_id == quoted else v for v in sequence)


def _timed(
    live: LiveSnapshot, sequences: dict[ShiftId, tuple[Visit, ...]]
) -> dict[ShiftId, Route] | None:
    """Every changed vehicle's route, timed and within capacity, or ``None``."""
    routes = {}
    for vid, seq in sequences.items():
        view = live.snapshot.vehicle_by_id.get(vid)
        if view is None:
            return None
        route = build_route(live.snapshot, view, seq)
        if isinstance(route, Infeasibility):
            return None
        routes[vid] = route
    return routes
