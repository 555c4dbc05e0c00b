"""Reports from buses never move a bus ahead of the clock; late reports never move it back.

And a bus on its way is seen where it really is: it passed its reported node at the
reported time and drives on, so its arrival at the next stop is not pushed back by the
seconds since that report; a boarding under way cannot be held back by a new plan.
"""

from __future__ import annotations

import logging

import pytest

from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRequested,
    EventRefused,
    PositionReported,
    QuoteAnswered,
    QuoteRequested,
    StopEventKind,
    StopEventReported,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.params import EngineParams
from dispatch.model import StopKind
from dispatch.solver.params import RideTimeRule
from tests.engine.conftest import BLOCK_S, T0, GridTravelTimes


def _engine() -> Engine:
    engine = Engine(GridTravelTimes(), EngineParams())
    engine.handle(VehicleAdded("bus", 4, 1, 0, T0, T0 + 8 * 3600), T0)
    return engine


def _book(
    engine: Engine, qid: str, a: int, b: int, now: int, after: int | None = None
) -> BookingAccepted:
    spec = TripSpec(a, b, 1, depart_after=now if after is None else after)
    (answer,) = engine.handle(QuoteRequested(qid, spec), now)
    assert isinstance(answer, QuoteAnswered) and answer.offers, answer.reason
    (accepted, *_) = engine.handle(BookingRequested(f"b-{qid}", answer.offers[0].offer_id), now)
    assert isinstance(accepted, BookingAccepted)
    return accepted


def test_a_position_from_the_future_is_taken_as_now(caplog: pytest.LogCaptureFixture) -> None:
    engine = _engine()
    with caplog.at_level(logging.INFO, logger="dispatch.engine"):
        engine.handle(PositionReported("bus", 5, T0 + 3600), T0 + 60)
    vehicle = engine.vehicles["bus"]
    assert (vehicle.position_node, vehicle.position_at) == (5, T0 + 60)
    assert "ahead of the clock" in caplog.text
    view = engine.live_snapshot(T0 + 60).snapshot.vehicles[0]
    assert view.available_from == T0 + 60


def test_an_older_position_arriving_late_is_refused() -> None:
    engine = _engine()
    engine.handle(PositionReported("bus", 5, T0 + 120), T0 + 120)
    (refused,) = engine.handle(PositionReported("bus", 3, T0 + 60), T0 + 130)
    assert isinstance(refused, EventRefused) and "older" in refused.reason
    assert engine.vehicles["bus"].position_node == 5


def test_a_stop_event_from_the_future_is_taken_as_now() -> None:
    engine = _engine()
    accepted = _book(engine, "q", 1, 3, T0)
    pickup = accepted.pickup_eta
    engine.handle(
        StopEventReported("bus", accepted.booking_id, StopEventKind.ARRIVED, pickup), pickup
    )
    later = pickup + 60
    engine.handle(
        StopEventReported("bus", accepted.booking_id, StopEventKind.BOARDED, later + 900), later
    )
    trip = engine.trips[accepted.booking_id]
    assert trip.boarded_at == later
    assert engine.vehicles["bus"].position_at == later
    view = engine.live_snapshot(later).snapshot.vehicles[0]
    assert view.available_from == later


def test_a_moving_bus_is_not_pushed_back_by_the_time_since_its_last_report() -> None:
    """The bus passed node 2 at T0+120 on its way to node 5 (3 blocks further): it gets
    there at T0+300, whenever the dispatcher looks, as long as that is not later."""
    engine = _engine()
    accepted = _book(engine, "q", 5, 9, T0)
    assert accepted.pickup_eta == T0 + 5 * BLOCK_S
    engine.handle(PositionReported("bus", 2, T0 + 120), T0 + 150)
    live = engine.live_snapshot(T0 + 150)
    view = live.snapshot.vehicles[0]
    assert view.locked and view.available_from == T0 + 120
    plan = engine.current_plan(T0 + 150)
    assert plan.routes[0].stops[0].arrival == T0 + 300  # type: ignore[union-attr]
    # A device that stopped reporting: the bus cannot be there before now.
    later = T0 + 400
    view = engine.live_snapshot(later).snapshot.vehicles[0]
    assert view.available_from == later - 3 * BLOCK_S


def test_a_boarding_under_way_is_not_held_back_by_a_new_plan() -> None:
    """Rider a boards at node 1 from T0+60 (direct 120 s, ride limit 270 s). Rider b
    waits at node 2, on the way, but only from 400 s later: fetching b between a's pickup
    and drop-off is cheapest, and would keep a's ride short only by starting a's boarding
    later. a's boarding is under way, so b is fetched after a's drop-off instead."""
    engine = Engine(GridTravelTimes(), EngineParams(ride_time=RideTimeRule(1.0, 150)))
    engine.handle(VehicleAdded("bus", 4, 1, 0, T0, T0 + 8 * 3600), T0)
    a = _book(engine, "a", 1, 3, T0)
    start = a.pickup_eta
    engine.handle(StopEventReported("bus", a.booking_id, StopEventKind.ARRIVED, start), start)
    b = _book(engine, "b", 2, 3, start + 30, after=start + 400)
    route = engine.vehicles["bus"].route
    assert route is not None
    visits = [(str(s.request_id), s.kind) for s in route.stops]
    assert visits.index((b.booking_id, StopKind.PICKUP)) > visits.index(
        (a.booking_id, StopKind.DROPOFF)
    )
    assert route.stops[0].start == start
