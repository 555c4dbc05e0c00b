"""The database is the truth of who rides which bus: a restart puts every booking back.

The engine runs with the service's real persistence (``Harness``) on SQLite and
PostgreSQL. Every check reads the database directly and compares it with the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from dispatch.engine.events import SolveFinished, SolveRequested, Tick
from dispatch.engine.params import EngineParams
from dispatch.model import BookingStatus, Plan, RequestId, StopKind, Visit
from dispatch.solver.params import RideTimeRule
from dispatch.solver.plan import make_plan
from dispatch.solver.repair import insert_requests
from dispatch.store import Repository, open_database
from tests.databases import database_url
from tests.engine.conftest import T0
from tests.engine.harness import FLEET, Harness, counted_solve

__all__ = ["database_url"]

TRIPS = [(11, 48), (12, 77), (21, 65), (33, 90), (45, 3), (52, 28), (61, 17), (70, 36), (84, 41)]


@pytest.fixture
def repo(database_url: str) -> Iterator[Repository]:
    db = open_database(database_url)
    db.migrate()
    yield Repository(db, clock=lambda: T0)
    db.dispose()


@pytest.fixture
def harness(repo: Repository) -> Iterator[Harness]:
    h = Harness(repo, EngineParams(solver_time_limit_s=1.0, reoptimise_period_s=1))
    h.add_fleet()
    yield h
    h.close()


def book_trips(h: Harness, trips: list[tuple[int, int]] = TRIPS) -> list[str]:
    booked = []
    for k, (a, b) in enumerate(trips):
        offers = h.quote(a, b, T0 + 1800 + 300 * k)
        if offers:
            booking = h.book(offers[0])
            if booking:
                booked.append(booking)
    return booked


def visits_by_vehicle(h: Harness) -> dict[str, list[Visit]]:
    return {vid: list(v.visits) for vid, v in h.engine.vehicles.items()}


def assert_store_agrees(h: Harness) -> None:
    """Every open booking: the database's vehicle is the one whose plan holds it."""
    plans = h.repo.latest_plan_versions()
    for b in h.repo.list_open_bookings():
        holders = [
            vid
            for vid, v in h.engine.vehicles.items()
            if any(str(x.request_id) == b.id for x in v.visits)
        ]
        assert holders == [b.vehicle_id], (b.id, holders, b.vehicle_id)
        stored = [vid for vid, p in plans.items() if any(s["booking_id"] == b.id for s in p.stops)]
        assert stored == [b.vehicle_id], (b.id, stored)


def reoptimise(h: Harness, iterations: int = 200, seed: int = 1) -> Plan | None:
    """One real re-optimisation: Tick → solver (deterministic iterations) → SolveFinished."""
    h.now += 5
    requests = [c for c in h.call(Tick()) if isinstance(c, SolveRequested)]
    if not requests:
        return None
    r = requests[0]
    plan = counted_solve(r.snapshot, r.warm_start, h.params.objective, iterations, seed)
    h.call(SolveFinished(r.token, plan))
    return plan


def move_one_booking(h: Harness) -> str:
    """Adopt a plan that puts a bus1 booking on another bus (every valid plan is taken here)."""
    live = h.engine.live_snapshot(h.now)
    others = replace(
        live.snapshot, vehicles=tuple(v for v in live.snapshot.vehicles if v.id != "bus1")
    )
    for trip in [t for t in h.engine.trips.values() if t.vehicle_id == "bus1" and not t.is_break]:
        visits = {vid: [v for v in seq if str(v.request_id) != trip.booking_id]
                  for vid, seq in live.visits.items()}  # fmt: skip
        sequences, unserved = insert_requests(others, visits, [RequestId(trip.booking_id)])
        if unserved:
            continue
        plan = make_plan(live.snapshot, {**visits, **sequences})
        assert isinstance(plan, Plan)
        h.now += 5
        token = next(c for c in h.call(Tick()) if isinstance(c, SolveRequested)).token
        h.call(SolveFinished(token, plan))
        return trip.booking_id
    raise AssertionError("no booking of bus1 fits another bus")


def test_booking_plan_and_vehicle_are_stored_together(harness: Harness) -> None:
    booked = book_trips(harness)
    assert len(booked) >= 6
    assert_store_agrees(harness)
    assert {b.status for b in harness.repo.list_open_bookings()} == {BookingStatus.CONFIRMED}


def test_restart_puts_every_booking_back_in_the_same_order(harness: Harness) -> None:
    book_trips(harness)
    before = visits_by_vehicle(harness)
    versions = {vid: v.version for vid, v in harness.engine.vehicles.items()}
    again = harness.restart()
    try:
        assert visits_by_vehicle(again) == before
        assert again.engine.unplaced() == []
        assert all(again.engine.vehicles[vid].version > versions[vid] for vid in versions)
        assert_store_agrees(again)
    finally:
        again.close()


def test_restart_restores_each_bookings_promised_ride_limit(harness: Harness) -> None:
    """A changed ride-time rule applies to new bookings only: the promise stays as made."""
    book_trips(harness)
    promised = {b: t.max_ride_s for b, t in harness.engine.trips.items() if not t.is_break}
    assert promised
    harness.params = replace(harness.params, ride_time=RideTimeRule(factor=1.0, extra_s=0))
    again = harness.restart()
    try:
        restored = {b: t.max_ride_s for b, t in again.engine.trips.items() if not t.is_break}
        assert restored == promised
        stored = {b.id: b.max_ride_s for b in again.repo.list_open_bookings()}
        assert stored == promised
    finally:
        again.close()


def test_bookings_moved_by_reoptimisation_are_restored_on_their_new_bus(harness: Harness) -> None:
    harness.params = EngineParams(solver_time_limit_s=1.0, reoptimise_period_s=1,
                                  min_improvement=-1e12)  # fmt: skip
    harness.engine.params = harness.params
    book_trips(harness)
    moved = move_one_booking(harness)
    assert harness.engine.trips[moved].vehicle_id != "bus1"
    assert harness.repo.get_booking(moved).vehicle_id == harness.engine.trips[moved].vehicle_id
    assert_store_agrees(harness)
    before = visits_by_vehicle(harness)
    again = harness.restart()
    try:
        assert visits_by_vehicle(again) == before
        assert again.engine.unplaced() == []
        assert_store_agrees(again)
    finally:
        again.close()


def test_real_reoptimisation_keeps_store_and_engine_in_step(harness: Harness) -> None:
    book_trips(harness)
    for seed in range(3):
        reoptimise(harness, seed=seed)
        assert_store_agrees(harness)
    before = visits_by_vehicle(harness)
    again = harness.restart()
    try:
        assert visits_by_vehicle(again) == before
        assert_store_agrees(again)
    finally:
        again.close()


def test_a_booking_no_bus_can_take_becomes_an_incident_and_is_placed_again(
    harness: Harness,
) -> None:
    rush = [(11, 88), (19, 81), (91, 18), (99, 12), (55, 5), (50, 59)]
    booked = []
    for a, b in rush:  # all at the same time, three seats each
        offers = harness.quote(a, b, T0 + 1800, passengers=3)
        booked += [harness.book(offers[0])] if offers else []
    assert len([b for b in booked if b]) >= 3
    tiny = tuple(v for v in FLEET if v.vehicle_id == "bus3")  # one bus with 3 seats is left
    alone = harness.restart(tiny)
    try:
        unplaced = set(alone.engine.unplaced())
        assert unplaced, "a single small bus cannot take the whole day"
        stored = {b.id: b for b in alone.repo.list_open_bookings()}
        assert {b for b, x in stored.items() if x.status is BookingStatus.UNPLACED} == unplaced
        assert all(stored[b].vehicle_id is None for b in unplaced)
        assert {i.booking_id for i in alone.repo.list_incidents()} == unplaced
        placed = set(stored) - unplaced
        assert_store_agrees_for(alone, placed)
        reoptimise(alone)  # does not freeze on the unplaced ones
        assert alone.engine.solving is None
    finally:
        alone.sink.close()
    back = alone.restart(FLEET)
    try:
        assert back.engine.unplaced() == []
        assert all(b.status is BookingStatus.CONFIRMED for b in back.repo.list_open_bookings())
        assert back.repo.list_incidents() == []
        assert_store_agrees(back)
    finally:
        back.close()


def assert_store_agrees_for(h: Harness, booking_ids: set[str]) -> None:
    for b in h.repo.list_open_bookings():
        if b.id in booking_ids:
            vehicle = h.engine.trips[b.id].vehicle_id
            assert vehicle == b.vehicle_id
            assert any(x.request_id == b.id for x in h.engine.vehicles[vehicle].visits)


def test_on_board_riders_stay_on_their_bus_across_restarts(harness: Harness) -> None:
    from dispatch.engine.events import StopEventKind, StopEventReported

    booked = book_trips(harness)
    trip = harness.engine.trips[booked[0]]
    harness.now = trip.promise.pickup_window.start
    vehicle = str(trip.vehicle_id)
    harness.call(StopEventReported(vehicle, trip.booking_id, StopEventKind.ARRIVED, harness.now))
    harness.call(StopEventReported(vehicle, trip.booking_id, StopEventKind.BOARDED, harness.now))
    assert harness.repo.get_booking(trip.booking_id).status is BookingStatus.ON_BOARD
    again = harness.restart()
    try:
        drop = Visit(RequestId(trip.booking_id), StopKind.DROPOFF)
        assert drop in again.engine.vehicles[vehicle].visits
        assert again.engine.trips[trip.booking_id].vehicle_id == vehicle
        assert_store_agrees(again)
    finally:
        again.close()


def test_a_planned_break_is_stored_as_a_break_and_comes_back_in_its_place(
    repo: Repository,
) -> None:
    fleet = (replace(FLEET[0], breaks=((T0 + 2 * 3600, T0 + 2 * 3600 + 1800),)), *FLEET[1:])
    h = Harness(repo, EngineParams(solver_time_limit_s=1.0))
    h.add_fleet(fleet)
    try:
        book_trips(h)
        before = visits_by_vehicle(h)
        assert [v.kind for v in before["bus1"]].count(StopKind.BREAK) == 1
        stored = repo.latest_plan_versions()["bus1"].stops
        assert [s["kind"] for s in stored].count("break") == 1
        again = h.restart(fleet)
    finally:
        h.close()
    try:
        assert visits_by_vehicle(again) == before
    finally:
        again.close()
