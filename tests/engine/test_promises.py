"""Promise policies and offers that move other bookings, through the engine."""

from __future__ import annotations

import pytest

from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRequested,
    QuoteAnswered,
    QuoteRequested,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.params import EngineParams
from dispatch.model import TimeWindow
from tests.engine.conftest import T0, GridTravelTimes


def _engine(params: EngineParams) -> Engine:
    engine = Engine(GridTravelTimes(), params)
    engine.handle(VehicleAdded("bus", 4, 1, 0, T0, T0 + 8 * 3600), T0)
    return engine


def test_max_wait_only_promises_the_requested_time_up_to_the_maximum_wait() -> None:
    engine = _engine(EngineParams(promise_policy="max_wait", max_wait_s=900))
    spec = TripSpec(23, 77, 1, depart_after=T0 + 1800)
    (answer,) = engine.handle(QuoteRequested("q", spec), T0)
    assert isinstance(answer, QuoteAnswered)
    (offer,) = answer.offers  # one offer: every offer would promise the same window
    assert offer.promise.pickup_window == TimeWindow(T0 + 1800, T0 + 2700)


def test_the_window_policy_promises_ten_minutes_around_the_planned_pickup() -> None:
    engine = _engine(EngineParams(pickup_window_s=600))
    spec = TripSpec(23, 77, 1, depart_after=T0 + 1800)
    (answer,) = engine.handle(QuoteRequested("q", spec), T0)
    assert isinstance(answer, QuoteAnswered) and answer.offers
    for offer in answer.offers:
        window = offer.promise.pickup_window
        assert window.end - window.start <= 600
        assert window.start <= offer.pickup_eta <= window.end


def test_the_window_can_open_at_the_planned_pickup_instead_of_around_it() -> None:
    """``pickup_window_before_s=0``: the window runs from the planned pickup on."""
    engine = _engine(EngineParams(pickup_window_s=600, pickup_window_before_s=0))
    spec = TripSpec(23, 77, 1, depart_after=T0 + 1800)
    (answer,) = engine.handle(QuoteRequested("q", spec), T0)
    assert isinstance(answer, QuoteAnswered) and answer.offers
    for offer in answer.offers:
        window = offer.promise.pickup_window
        assert window.start == offer.pickup_eta
        assert window.end == min(offer.pickup_eta + 600, T0 + 1800 + 900)
    with pytest.raises(ValueError, match="pickup_window_before_s"):
        EngineParams(pickup_window_s=600, pickup_window_before_s=601)


def _book(engine: Engine, qid: str, spec: TripSpec, now: int) -> BookingAccepted | None:
    (answer,) = engine.handle(QuoteRequested(qid, spec), now)
    assert isinstance(answer, QuoteAnswered)
    if not answer.offers:
        return None
    commands = engine.handle(BookingRequested(f"b-{qid}", answer.offers[0].offer_id), now)
    accepted = commands[0]
    return accepted if isinstance(accepted, BookingAccepted) else None


def test_a_ride_that_fits_only_if_another_booking_moves_is_offered_and_booked() -> None:
    """Bus A (corner 0) holds a booking at the far corner (88 → 98, from T0+3300), taken
    before bus B (corner 99, on shift from T0+2700) was added. A new rider next to A
    (1 → 12, from T0+3000, at most 10 minutes' wait) is too early for B to reach and
    cannot share A with the far booking; it fits only if A's booking moves to B.
    Without moving bookings it is refused."""
    for reassign in (False, True):
        engine = Engine(GridTravelTimes(), EngineParams(quote_reassign=reassign, max_wait_s=600))
        engine.handle(VehicleAdded("A", 1, 0, 0, T0, T0 + 8 * 3600), T0)
        far = _book(engine, "far", TripSpec(88, 98, 1, depart_after=T0 + 3300), T0)
        assert far is not None and far.vehicle_id == "A"
        engine.handle(VehicleAdded("B", 1, 0, 99, T0 + 2700, T0 + 8 * 3600), T0)
        near = _book(engine, "near", TripSpec(1, 12, 1, depart_after=T0 + 3000), T0)
        if not reassign:
            assert near is None
            continue
        assert near is not None and near.vehicle_id == "A"
        assert engine.trips[far.booking_id].vehicle_id == "B"
        for vid in ("A", "B"):
            route = engine.vehicles[vid].route
            assert route is not None
        far_stops = [
            s for s in engine.vehicles["B"].route.stops if str(s.request_id) == far.booking_id
        ]
        window = far.promise.pickup_window
        assert window.start <= far_stops[0].start <= window.end  # its promise still kept
