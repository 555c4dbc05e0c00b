from __future__ import annotations

import pytest

from dispatch.engine.adapters.worker import InlineSolver
from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRejected,
    BookingRequested,
    CancelRequested,
    EventRefused,
    PlanChanged,
    PositionReported,
    QuoteAnswered,
    QuoteRequested,
    SolveFinished,
    SolveRequested,
    StopEventKind,
    StopEventReported,
    Tick,
    TripSpec,
    TripStatusChanged,
)
from dispatch.engine.trips import CannotCancelError
from dispatch.model import BookingStatus, Plan, ShiftId, StopKind, Visit
from dispatch.solver.validate import validate_plan
from tests.engine.conftest import T0


def _quote(engine: Engine, qid: str, a: int, b: int, now: int, **kw: int) -> QuoteAnswered:
    spec = TripSpec(pickup_node=a, dropoff_node=b, passengers=kw.pop("passengers", 1), **kw)
    (answer,) = engine.handle(QuoteRequested(qid, spec), now)
    assert isinstance(answer, QuoteAnswered)
    return answer


def _book(engine: Engine, qid: str, a: int, b: int, now: int, **kw: int) -> BookingAccepted:
    answer = _quote(engine, qid, a, b, now, **kw)
    assert answer.offers, answer.reason
    commands = engine.handle(BookingRequested(f"b-{qid}", answer.offers[0].offer_id), now)
    accepted = commands[0]
    assert isinstance(accepted, BookingAccepted)
    assert any(isinstance(c, PlanChanged) for c in commands)
    return accepted


def _assert_valid(engine: Engine, now: int) -> Plan:
    live = engine.live_snapshot(now)
    plan = engine.current_plan(now)
    assert isinstance(plan, Plan)
    assert validate_plan(live.snapshot, plan) == []
    return plan


def test_quote_offers_promises_within_request(engine: Engine) -> None:
    answer = _quote(engine, "q1", 11, 55, T0, depart_after=T0 + 600)
    assert answer.offers
    for offer in answer.offers:
        window = offer.promise.pickup_window
        assert T0 + 600 <= window.start <= offer.pickup_eta <= window.end
        assert offer.dropoff_eta <= offer.promise.latest_arrival
        assert offer.expires_at == T0 + engine.params.offer_hold_s


def test_booking_becomes_a_promise_in_the_plan(engine: Engine) -> None:
    accepted = _book(engine, "q1", 11, 55, T0, depart_after=T0 + 600)
    plan = _assert_valid(engine, T0)
    route = plan.route_of(accepted.vehicle_id)  # type: ignore[arg-type]
    pickup = next(s for s in route.stops if s.request_id == "b-q1")
    assert accepted.promise.pickup_window.contains(pickup.start)


def test_offer_expires_and_cannot_be_used_twice(engine: Engine) -> None:
    answer = _quote(engine, "q1", 11, 55, T0)
    late = T0 + engine.params.offer_hold_s + 1
    (rejected,) = engine.handle(BookingRequested("b1", answer.offers[0].offer_id), late)
    assert isinstance(rejected, BookingRejected) and rejected.code == "expired"
    answer = _quote(engine, "q2", 11, 55, T0)
    engine.handle(BookingRequested("b2", answer.offers[0].offer_id), T0)
    (again,) = engine.handle(BookingRequested("b3", answer.offers[0].offer_id), T0)
    assert isinstance(again, BookingRejected) and again.code == "used"


def test_a_booking_id_is_never_given_twice(engine: Engine) -> None:
    first = _book(engine, "q1", 11, 55, T0, depart_after=T0 + 600)
    answer = _quote(engine, "q2", 20, 40, T0, depart_after=T0 + 900)
    (rejected,) = engine.handle(BookingRequested(first.booking_id, answer.offers[0].offer_id), T0)
    assert isinstance(rejected, BookingRejected) and rejected.code == "duplicate"
    trip = engine.trips[first.booking_id]
    assert (trip.spec.pickup_node, trip.spec.dropoff_node) == (11, 55)  # the first one stands
    _assert_valid(engine, T0)
    (unknown,) = engine.handle(BookingRequested("b4", "nope"), T0)
    assert isinstance(unknown, BookingRejected) and unknown.code == "unknown_offer"


def test_arrive_by_too_late_gives_reason(engine: Engine) -> None:
    answer = _quote(engine, "q1", 0, 99, T0, arrive_by=T0 + 60)
    assert answer.offers == ()
    assert "too late" in answer.reason


def test_full_fleet_refuses_with_alternatives(engine: Engine) -> None:
    answer = _quote(engine, "q1", 11, 55, T0, passengers=5, depart_after=T0)
    assert answer.offers == ()
    assert answer.reason


def test_cancel_removes_visits(engine: Engine) -> None:
    accepted = _book(engine, "q1", 11, 55, T0)
    commands = engine.handle(CancelRequested(accepted.booking_id), T0 + 10)
    assert any(
        isinstance(c, TripStatusChanged) and c.status is BookingStatus.CANCELLED for c in commands
    )
    vehicle = engine.vehicles[accepted.vehicle_id]
    assert all(v.request_id != accepted.booking_id for v in vehicle.visits)
    assert engine.handle(CancelRequested(accepted.booking_id), T0 + 20) == []


def test_ride_lifecycle_board_alight(engine: Engine) -> None:
    accepted = _book(engine, "q1", 11, 55, T0)
    vid, bid = accepted.vehicle_id, accepted.booking_id
    at = accepted.pickup_eta
    engine.handle(StopEventReported(vid, bid, StopEventKind.ARRIVED, at), at)
    commands = engine.handle(StopEventReported(vid, bid, StopEventKind.BOARDED, at), at)
    assert any(
        isinstance(c, TripStatusChanged) and c.status is BookingStatus.ON_BOARD for c in commands
    )
    _assert_valid(engine, at)
    with pytest.raises(CannotCancelError):
        engine.handle(CancelRequested(bid), at)
    drop = accepted.dropoff_eta
    commands = engine.handle(StopEventReported(vid, bid, StopEventKind.ALIGHTED, drop), drop)
    assert any(
        isinstance(c, TripStatusChanged) and c.status is BookingStatus.COMPLETED for c in commands
    )
    assert engine.vehicles[vid].visits == []


def test_no_show_only_after_window_and_wait(engine: Engine) -> None:
    accepted = _book(engine, "q1", 11, 55, T0 + 1200 // 2, depart_after=T0 + 1800)
    vid, bid = accepted.vehicle_id, accepted.booking_id
    early = accepted.promise.pickup_window.start
    (refused,) = engine.handle(StopEventReported(vid, bid, StopEventKind.NO_SHOW, early), early)
    assert isinstance(refused, EventRefused)
    later = early + engine.params.no_show_wait_s
    commands = engine.handle(StopEventReported(vid, bid, StopEventKind.NO_SHOW, later), later)
    assert any(
        isinstance(c, TripStatusChanged) and c.status is BookingStatus.NO_SHOW for c in commands
    )


def test_events_for_wrong_vehicle_are_refused(engine: Engine) -> None:
    accepted = _book(engine, "q1", 11, 55, T0)
    other = "bus1" if accepted.vehicle_id == "bus2" else "bus2"
    (refused,) = engine.handle(
        StopEventReported(other, accepted.booking_id, StopEventKind.BOARDED, T0), T0
    )
    assert isinstance(refused, EventRefused)


def test_late_vehicle_keeps_a_valid_relaxed_plan(engine: Engine) -> None:
    accepted = _book(engine, "q1", 11, 55, T0)
    late = accepted.promise.pickup_window.end + 900
    engine.handle(PositionReported(accepted.vehicle_id, 99, late), late)
    live = engine.live_snapshot(late)
    assert accepted.vehicle_id in live.relaxed
    _assert_valid(engine, late)


def test_reoptimisation_round_trip_keeps_promises(engine: Engine) -> None:
    now = T0
    bookings = [
        _book(engine, f"q{k}", a, b, now, depart_after=T0 + 300 * k)
        for k, (a, b) in enumerate([(11, 55), (12, 56), (88, 22), (33, 77), (14, 41)])
    ]
    commands = engine.handle(Tick(), now + 10)
    (request,) = [c for c in commands if isinstance(c, SolveRequested)]
    outcome = InlineSolver().solve(request.snapshot, request.warm_start, 0.5)
    engine.handle(SolveFinished(request.token, outcome.plan, outcome.seconds), now + 12)
    plan = _assert_valid(engine, now + 12)
    served = {s.request_id for r in plan.routes for s in r.stops}
    assert {b.booking_id for b in bookings} <= served


def test_same_events_same_commands() -> None:
    from tests.engine.conftest import GridTravelTimes

    def run() -> list[object]:
        from dispatch.engine.events import VehicleAdded
        from dispatch.engine.params import EngineParams

        eng = Engine(GridTravelTimes(), EngineParams())
        eng.handle(VehicleAdded("v", 4, 1, 0, T0, T0 + 36000), T0)
        out: list[object] = []
        for k in range(5):
            out += eng.handle(QuoteRequested(f"q{k}", TripSpec(10 + k, 90 - k, 1)), T0 + k)
        return out

    assert run() == run()


def test_quotes_at_the_same_instant_see_every_booking_made_before(engine: Engine) -> None:
    """Quotes share one snapshot per instant; a booking in between must not be missed."""
    answers = [_quote(engine, f"q{k}", 11, 55, T0, depart_after=T0 + 600) for k in range(3)]
    booked = []
    for k, answer in enumerate(answers):
        commands = engine.handle(BookingRequested(f"b{k}", answer.offers[0].offer_id), T0)
        if isinstance(commands[0], BookingAccepted):
            booked.append(f"b{k}")
        # A fresh quote at the very same instant, after the booking, must see it.
        _quote(engine, f"again{k}", 12, 56, T0, depart_after=T0 + 600)
    assert booked
    placed = {str(v.request_id) for state in engine.vehicles.values() for v in state.visits}
    assert set(booked) <= placed
    _assert_valid(engine, T0)


def test_cancel_between_quotes_at_the_same_instant_frees_the_seat(engine: Engine) -> None:
    accepted = _book(engine, "q1", 11, 55, T0, depart_after=T0 + 600)
    engine.handle(CancelRequested(accepted.booking_id), T0)
    _quote(engine, "q2", 11, 55, T0, depart_after=T0 + 600)
    placed = {str(v.request_id) for state in engine.vehicles.values() for v in state.visits}
    assert accepted.booking_id not in placed
    live = engine.live_snapshot(T0)
    assert accepted.booking_id not in {str(r.id) for r in live.snapshot.requests}


def _one_bus() -> Engine:
    from dispatch.engine.events import VehicleAdded
    from dispatch.engine.params import EngineParams
    from tests.engine.conftest import GridTravelTimes

    eng = Engine(GridTravelTimes(), EngineParams(lock_ahead_s=900))
    eng.handle(VehicleAdded("bus", 4, 1, 0, T0, T0 + 12 * 3600), T0)
    return eng


def test_a_pickup_hours_ahead_is_not_locked_so_earlier_rides_fit_before_it() -> None:
    engine = _one_bus()
    later = _book(engine, "late", 5, 9, T0, depart_after=T0 + 3 * 3600)
    live = engine.live_snapshot(T0 + 60)
    (bus,) = live.snapshot.vehicles
    assert bus.locked == ()  # three hours ahead: the bus may serve others first
    soon = _book(engine, "soon", 1, 3, T0 + 60, depart_after=T0 + 300)
    assert soon.vehicle_id == later.vehicle_id
    route = engine.vehicles["bus"].route
    assert route is not None and str(route.stops[0].request_id) == "b-soon"
    _assert_valid(engine, T0 + 60)


def test_the_next_stop_is_locked_once_the_bus_must_leave_for_it() -> None:
    engine = _one_bus()
    _book(engine, "q", 5, 9, T0, depart_after=T0 + 1200)
    live = engine.live_snapshot(T0 + 60)
    (bus,) = live.snapshot.vehicles
    assert [str(v.request_id) for v in bus.locked] == ["b-q"]


def test_an_ended_shift_takes_no_more_bookings_and_cannot_end_with_stops_left() -> None:
    from dispatch.engine.events import ShiftEndReported

    engine = _one_bus()
    booked = _book(engine, "q", 5, 9, T0, depart_after=T0 + 600)
    (refused,) = engine.handle(ShiftEndReported("bus"), T0 + 60)
    assert isinstance(refused, EventRefused) and "still to be served" in refused.reason
    engine.handle(CancelRequested(booked.booking_id), T0 + 60)
    assert engine.handle(ShiftEndReported("bus"), T0 + 60) == []
    assert not _quote(engine, "late", 5, 9, T0 + 120, depart_after=T0 + 900).offers
    (unknown,) = engine.handle(ShiftEndReported("nobody"), T0 + 120)
    assert isinstance(unknown, EventRefused)


def _bus_with_break(start: int, end: int) -> Engine:
    from dispatch.engine.events import VehicleAdded
    from dispatch.engine.params import EngineParams
    from tests.engine.conftest import GridTravelTimes

    eng = Engine(GridTravelTimes(), EngineParams(break_flex_s=600))
    eng.handle(VehicleAdded("bus", 4, 1, 0, T0, T0 + 12 * 3600, breaks=((start, end),)), T0)
    return eng


def test_a_planned_break_is_kept_free_of_rides_at_the_depot() -> None:
    brk = (T0 + 2 * 3600, T0 + 2 * 3600 + 1800)
    engine = _bus_with_break(*brk)
    route = engine.vehicles["bus"].route
    assert route is not None and [str(s.request_id) for s in route.stops] == ["break-0@bus"]
    # Rides before and after the break; none may overlap it.
    _book(engine, "a", 5, 9, T0, depart_after=T0 + 3600)
    _book(engine, "b", 9, 5, T0, depart_after=brk[0] - 300)
    _book(engine, "c", 5, 55, T0, depart_after=brk[1] + 300)
    # During the break nothing can be offered (the bus is at the depot, pausing).
    assert not _quote(engine, "d", 5, 9, T0, depart_after=brk[0] + 300).offers
    plan = _assert_valid(engine, T0)
    (route,) = plan.routes
    stop = next(s for s in route.stops if str(s.request_id) == "break-0@bus")
    assert stop.location == engine.table.index(0)  # at the depot
    assert brk[0] <= stop.start <= brk[0] + 600
    assert stop.departure - stop.start == brk[1] - brk[0]
    on_board = set()
    for s in route.stops:  # nobody rides along during the break
        if s is stop:
            assert not on_board - {"break-0@bus"}
        if s.kind.value == "pickup":
            on_board.add(str(s.request_id))
        else:
            on_board.discard(str(s.request_id))


def test_the_driver_takes_the_break_and_it_is_done() -> None:
    brk = (T0 + 1800, T0 + 3600)
    engine = _bus_with_break(*brk)
    at = brk[0]
    for kind in (StopEventKind.ARRIVED, StopEventKind.DEPARTED):
        out = engine.handle(StopEventReported("bus", "break-0@bus", kind, at), at)
        assert not any(isinstance(c, EventRefused) for c in out)
        assert not any(isinstance(c, TripStatusChanged) for c in out)  # no rider's booking
        at = brk[1]
    assert engine.vehicles["bus"].visits == []
    (again,) = engine.handle(
        StopEventReported("bus", "break-0@bus", StopEventKind.DEPARTED, at), at
    )
    assert isinstance(again, EventRefused)
    (boarded,) = _bus_with_break(*brk).handle(
        StopEventReported("bus", "break-0@bus", StopEventKind.BOARDED, at), at
    )
    assert isinstance(boarded, EventRefused)


def test_a_break_that_is_over_is_not_planned_for_a_late_shift_vehicle() -> None:
    from dispatch.engine.events import VehicleAdded

    engine = Engine(__import__("tests.engine.conftest").engine.conftest.GridTravelTimes())
    engine.handle(
        VehicleAdded("bus", 4, 1, 0, T0, T0 + 8 * 3600, breaks=((T0, T0 + 600),)), T0 + 900
    )
    assert engine.vehicles["bus"].visits == []


def test_no_ride_is_planned_across_a_break() -> None:
    """A rider from 1 to 20 could ride along via the depot (0) during a short break."""
    from dispatch.engine.events import VehicleAdded
    from dispatch.engine.params import EngineParams
    from dispatch.engine.trips import quote_request
    from dispatch.solver.insertion import feasible_insertions
    from tests.engine.conftest import GridTravelTimes

    brk = (T0 + 3600, T0 + 3900)
    engine = Engine(GridTravelTimes(), EngineParams(break_flex_s=0))
    engine.handle(VehicleAdded("bus", 4, 1, 0, T0, T0 + 8 * 3600, breaks=(brk,)), T0)
    spec = TripSpec(1, 20, 1, depart_after=brk[0] - 150)
    request, _ = quote_request("q", spec, T0, engine.table, engine.params)
    live = engine.live_snapshot(T0, extra=(request,))
    every = feasible_insertions(live.snapshot, live.visits, request, engine.params.objective)
    assert every
    for insertion in every:  # before the break, or after it: never through it
        assert insertion.dropoff_start <= brk[0] or insertion.pickup_start >= brk[1]
    answer = _quote(engine, "ride", 1, 20, T0, depart_after=brk[0] - 150)
    assert answer.offers
    engine.handle(BookingRequested("b-ride", answer.offers[0].offer_id), T0)
    _assert_valid(engine, T0)


def test_a_planned_break_is_a_break_stop_in_every_plan() -> None:
    """The plan says which stop is a break (no caller tells it by its id)."""
    brk = (T0 + 2 * 3600, T0 + 2 * 3600 + 1800)
    engine = _bus_with_break(*brk)
    route = engine.vehicles["bus"].route
    assert route is not None and [s.kind for s in route.stops] == [StopKind.BREAK]
    _book(engine, "a", 5, 9, T0, depart_after=T0 + 3600)
    plan = _assert_valid(engine, T0)
    kinds = [s.kind for r in plan.routes for s in r.stops]
    assert kinds.count(StopKind.BREAK) == 1 and kinds.count(StopKind.DROPOFF) == 1


def test_a_plan_stored_before_breaks_had_their_own_kind_keeps_its_break() -> None:
    """Older databases stored a break's stop as a drop-off; a restart reads it as the break."""
    from dispatch.engine.restore import restored_visits

    engine = _bus_with_break(T0 + 1800, T0 + 3600)
    (brk,) = engine.trips
    kept = restored_visits(engine.trips, ShiftId("bus"), [(brk, StopKind.DROPOFF)])
    assert kept == [Visit(brk, StopKind.BREAK)]


def test_a_snapshot_before_the_shift_starts_reuses_each_bus_and_agrees_with_a_fresh_one() -> None:
    """Before its shift, a bus's part of the snapshot does not depend on the time, so it is
    kept from second to second; whatever is kept, the vehicles equal a snapshot built from
    nothing, before the start, at the start and after it."""
    from dispatch.engine.events import VehicleAdded
    from dispatch.engine.params import EngineParams
    from dispatch.engine.snapshot import build_live_snapshot
    from tests.engine.conftest import GridTravelTimes

    engine = Engine(GridTravelTimes(), EngineParams(solver_time_limit_s=1.0))
    start = T0 + 86_400
    engine.handle(VehicleAdded("bus", 4, 1, 0, start, start + 12 * 3600), T0)
    for k, (a, b) in enumerate(((1, 9), (23, 45), (5, 70))):
        _book(engine, f"q{k}", a, b, T0 + k, depart_after=start + 1800 * k)
    first = engine.live_snapshot(T0 + 10).snapshot.vehicles[0]
    assert engine.live_snapshot(T0 + 3600).snapshot.vehicles[0] is first
    for now in (T0 + 20, start - 1, start, start + 600, start + 2000):
        kept = engine.live_snapshot(now).snapshot.vehicles
        fresh = build_live_snapshot(
            now,
            list(engine.vehicles.values()),
            engine.open_trips(),
            engine.table,
            lock_ahead_s=engine.params.lock_ahead_s,
        ).snapshot.vehicles
        assert kept == fresh, now
    running = engine.live_snapshot(start + 600).snapshot.vehicles[0]
    assert first.locked == () and [str(v.request_id) for v in running.locked] == ["b-q0"]
