"""A Hypothesis state machine over the engine with the service's real persistence.

Riders quote, book and cancel; drivers board, drop off and report no-shows; the fleet
is re-optimised (also while bookings come in), writes fail now and then, and the service
restarts from the database. After every step:

- every confirmed booking is on exactly one bus's plan (pickup and drop-off), every rider
  on board on their bus (the drop-off), and on no other;
- a rider who boarded stays on that bus until dropped off, restarts included;
- the database and the engine agree: same open bookings and statuses, each booking's
  stored vehicle is the one whose latest stored plan holds it;
- a restart restores every bus's stop order exactly.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from dispatch.engine.events import (
    OPEN_STATUSES,
    CancelRequested,
    OfferMade,
    SolveFinished,
    SolveRequested,
    StopEventKind,
    StopEventReported,
    Tick,
)
from dispatch.engine.params import EngineParams
from dispatch.engine.state import Trip
from dispatch.engine.trips import CannotCancelError
from dispatch.model import BookingStatus
from dispatch.store import Repository, open_database
from dispatch.store.errors import StoreUnavailable
from tests.engine.conftest import T0
from tests.engine.harness import Harness, counted_solve
from tests.engine.test_restore import assert_store_agrees, visits_by_vehicle

NODES = st.integers(0, 99)


class EngineMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.db = open_database(f"sqlite:///{Path(self.folder.name) / 'machine.sqlite'}")
        self.db.migrate()
        params = EngineParams(reoptimise_period_s=1, reoptimise_debounce_s=0)
        self.h = Harness(Repository(self.db, clock=lambda: T0), params)
        self.h.add_fleet()
        self.offers: list[OfferMade] = []
        self.boarded: dict[str, str] = {}
        self.fail_writes = False
        real = self.h.repo.apply_changes

        def apply_changes(batch: Any) -> Any:
            if self.fail_writes:
                raise StoreUnavailable("injected: the database is not answering")
            return real(batch)

        self.h.repo.apply_changes = apply_changes  # type: ignore[method-assign]

    def teardown(self) -> None:
        if hasattr(self, "h"):
            self.h.close()
            self.db.dispose()
            self.folder.cleanup()

    # ---- riders --------------------------------------------------------------------

    @rule(a=NODES, b=NODES, lead=st.integers(0, 4 * 3600), passengers=st.integers(1, 3))
    def quote(self, a: int, b: int, lead: int, passengers: int) -> None:
        if a != b:
            self.offers = (self.h.quote(a, b, self.h.now + lead, passengers) + self.offers)[:6]

    @precondition(lambda self: self.offers)
    @rule(data=st.data())
    def book(self, data: st.DataObject) -> None:
        offer = data.draw(st.sampled_from(self.offers))
        self.h.book(offer)

    @precondition(lambda self: self._trips(BookingStatus.CONFIRMED))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        trip = data.draw(st.sampled_from(self._trips(BookingStatus.CONFIRMED)))
        self.h.call(CancelRequested(trip.booking_id))
        assert self.h.repo.get_booking(trip.booking_id).status is BookingStatus.CANCELLED

    @precondition(lambda self: self._trips(BookingStatus.ON_BOARD))
    @rule(data=st.data())
    def cancel_on_board_is_refused(self, data: st.DataObject) -> None:
        trip = data.draw(st.sampled_from(self._trips(BookingStatus.ON_BOARD)))
        try:
            self.h.call(CancelRequested(trip.booking_id))
        except CannotCancelError:
            return
        raise AssertionError("a rider on board was cancelled")

    # ---- drivers -------------------------------------------------------------------

    @precondition(lambda self: self._placed(BookingStatus.CONFIRMED))
    @rule(data=st.data())
    def board(self, data: st.DataObject) -> None:
        trip = data.draw(st.sampled_from(self._placed(BookingStatus.CONFIRMED)))
        self.h.now = max(self.h.now, trip.promise.pickup_window.start)
        vehicle = str(trip.vehicle_id)
        for event in (StopEventKind.ARRIVED, StopEventKind.BOARDED):
            self.h.call(StopEventReported(vehicle, trip.booking_id, event, self.h.now))
        if trip.status is BookingStatus.ON_BOARD:
            self.boarded[trip.booking_id] = vehicle

    @precondition(lambda self: self._placed(BookingStatus.ON_BOARD))
    @rule(data=st.data())
    def alight(self, data: st.DataObject) -> None:
        trip = data.draw(st.sampled_from(self._placed(BookingStatus.ON_BOARD)))
        vehicle = str(trip.vehicle_id)
        self.h.call(StopEventReported(vehicle, trip.booking_id, StopEventKind.ALIGHTED, self.h.now))
        assert trip.status is BookingStatus.COMPLETED
        self.boarded.pop(trip.booking_id)

    @precondition(lambda self: self._placed(BookingStatus.CONFIRMED))
    @rule(data=st.data())
    def no_show(self, data: st.DataObject) -> None:
        trip = data.draw(st.sampled_from(self._placed(BookingStatus.CONFIRMED)))
        wait = self.h.params.no_show_wait_s
        self.h.now = max(self.h.now, trip.promise.pickup_window.start + wait)
        vehicle = str(trip.vehicle_id)
        self.h.call(StopEventReported(vehicle, trip.booking_id, StopEventKind.NO_SHOW, self.h.now))
        assert trip.status is BookingStatus.NO_SHOW

    # ---- dispatcher, time, faults, restarts -----------------------------------------

    @rule(seconds=st.integers(1, 1800))
    def time_passes(self, seconds: int) -> None:
        self.h.now += seconds

    @rule(seed=st.integers(0, 3), meanwhile=st.booleans(), data=st.data())
    def reoptimise(self, seed: int, meanwhile: bool, data: st.DataObject) -> None:
        self.h.now += 2
        requests = [c for c in self.h.call(Tick()) if isinstance(c, SolveRequested)]
        if not requests:
            return
        r = requests[0]
        plan = counted_solve(r.snapshot, r.warm_start, self.h.params.objective, 40, seed)
        if meanwhile and self.offers:  # a rider books while the solver runs
            self.h.book(data.draw(st.sampled_from(self.offers)))
        self.h.call(SolveFinished(r.token, plan))
        assert self.h.engine.solving is None

    @precondition(lambda self: self._trips(BookingStatus.CONFIRMED) or self.offers)
    @rule(data=st.data())
    def a_write_fails(self, data: st.DataObject) -> None:
        """The database does not take a booking or cancellation: nothing changes."""
        before = _engine_state(self.h)
        self.fail_writes = True
        try:
            trips = self._trips(BookingStatus.CONFIRMED)
            if trips and data.draw(st.booleans()):
                trip = data.draw(st.sampled_from(trips))
                with pytest.raises(StoreUnavailable):
                    self.h.call(CancelRequested(trip.booking_id))
            elif self.offers:
                offer = data.draw(st.sampled_from(self.offers))
                with contextlib.suppress(StoreUnavailable):
                    self.h.book(offer)
        finally:
            self.fail_writes = False
        assert _engine_state(self.h) == before

    @rule()
    def restart(self) -> None:
        before = visits_by_vehicle(self.h)
        self.h = self.h.restart()
        self.offers = []  # offers live in the engine's memory only
        assert visits_by_vehicle(self.h) == before

    # ---- invariants ----------------------------------------------------------------

    @invariant()
    def every_open_booking_is_on_exactly_one_bus(self) -> None:
        if not hasattr(self, "h"):
            return
        for trip in self.h.engine.trips.values():
            if trip.status not in OPEN_STATUSES or trip.is_break:
                continue
            holders = [
                vid
                for vid, v in self.h.engine.vehicles.items()
                if any(x.request_id == trip.booking_id for x in v.visits)
            ]
            assert holders == [trip.vehicle_id], (trip.booking_id, holders)
            visits = self.h.engine.vehicles[holders[0]].visits
            assert all(v in visits for v in trip.visits())

    @invariant()
    def riders_on_board_stay_on_their_bus(self) -> None:
        if not hasattr(self, "h"):
            return
        for booking_id, vehicle in self.boarded.items():
            trip = self.h.engine.trips[booking_id]
            assert trip.status is BookingStatus.ON_BOARD
            assert trip.vehicle_id == vehicle

    @invariant()
    def store_and_engine_agree(self) -> None:
        if not hasattr(self, "h"):
            return
        assert_store_agrees(self.h)
        stored = {b.id: b.status.value for b in self.h.repo.list_open_bookings()}
        engine = {
            t.booking_id: t.status.value
            for t in self.h.engine.trips.values()
            if t.status in OPEN_STATUSES and not t.is_break
        }
        assert stored == engine

    def _trips(self, status: BookingStatus) -> list[Trip]:
        return [t for t in self.h.engine.trips.values() if t.status is status and not t.is_break]

    def _placed(self, status: BookingStatus) -> list[Trip]:
        return [t for t in self._trips(status) if t.vehicle_id is not None]


def _engine_state(h: Harness) -> tuple[object, ...]:
    vehicles = {vid: tuple(v.visits) for vid, v in h.engine.vehicles.items()}
    trips = {tid: (t.status, t.vehicle_id) for tid, t in h.engine.trips.items()}
    offers = {oid: o.used for oid, o in h.engine.offers.items()}
    return vehicles, trips, offers


EngineMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_engine_state_machine = EngineMachine.TestCase
