"""A decision the database did not take is taken back: the engine is as it was before.

Each case makes the next write fail (as a locked or lost database does), checks that
the engine's state — every vehicle's plan, every trip, the offer — is unchanged and the
database holds nothing of it, and that the same request then succeeds (no burned offer).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dispatch.engine.events import (
    CancelRequested,
    StopEventKind,
    StopEventReported,
)
from dispatch.engine.params import EngineParams
from dispatch.model import BookingStatus
from dispatch.store import Repository, open_database
from dispatch.store.errors import StoreUnavailable
from tests.engine.conftest import T0
from tests.engine.harness import Harness
from tests.engine.test_restore import book_trips, move_one_booking


@pytest.fixture
def harness(tmp_path: Any) -> Iterator[Harness]:
    db = open_database(f"sqlite:///{tmp_path / 'undo.sqlite'}")
    db.migrate()
    h = Harness(Repository(db, clock=lambda: T0), EngineParams(reoptimise_period_s=1))
    h.add_fleet()
    yield h
    h.close()
    db.dispose()


def fail_next_write(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    real = h.repo.apply_changes
    calls = {"n": 0}

    def flaky(batch: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StoreUnavailable("the database is not answering")
        return real(batch)

    monkeypatch.setattr(h.repo, "apply_changes", flaky)


def engine_state(h: Harness) -> tuple[object, ...]:
    vehicles = {vid: (tuple(v.visits), v.route, v.at_stop, v.position_node, v.position_at)
                for vid, v in h.engine.vehicles.items()}  # fmt: skip
    trips = {tid: (t.status, t.vehicle_id, t.boarded_at) for tid, t in h.engine.trips.items()}
    offers = {oid: o.used for oid, o in h.engine.offers.items()}
    return vehicles, trips, offers


def test_a_booking_that_is_not_committed_leaves_no_trace_and_the_offer_stays_free(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    book_trips(harness, [(11, 48), (12, 77)])
    offer = harness.quote(21, 65, T0 + 3600)[0]
    before = engine_state(harness)
    fail_next_write(harness, monkeypatch)
    with pytest.raises(StoreUnavailable):
        harness.book(offer)
    assert engine_state(harness) == before
    assert len(harness.repo.list_open_bookings()) == 2
    assert harness.repo.get_offer(offer.offer_id).consumed_by is None
    booked = harness.book(offer)  # the same offer, once the database answers again
    assert booked is not None and harness.repo.get_booking(booked).vehicle_id


def test_a_cancellation_that_is_not_committed_is_refused(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    (booking,) = book_trips(harness, [(11, 48)])
    before = engine_state(harness)
    fail_next_write(harness, monkeypatch)
    with pytest.raises(StoreUnavailable):
        harness.call(CancelRequested(booking))
    assert engine_state(harness) == before
    assert harness.engine.trips[booking].status is BookingStatus.CONFIRMED
    assert harness.repo.get_booking(booking).status is BookingStatus.CONFIRMED
    harness.call(CancelRequested(booking))
    assert harness.repo.get_booking(booking).status is BookingStatus.CANCELLED
    assert harness.engine.trips[booking].status is BookingStatus.CANCELLED


def test_a_boarding_that_is_not_committed_is_refused(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    (booking,) = book_trips(harness, [(11, 48)])
    trip = harness.engine.trips[booking]
    harness.now = trip.promise.pickup_window.start
    vehicle = str(trip.vehicle_id)
    harness.call(StopEventReported(vehicle, booking, StopEventKind.ARRIVED, harness.now))
    before = engine_state(harness)
    fail_next_write(harness, monkeypatch)
    with pytest.raises(StoreUnavailable):
        harness.call(StopEventReported(vehicle, booking, StopEventKind.BOARDED, harness.now))
    assert engine_state(harness) == before
    harness.call(StopEventReported(vehicle, booking, StopEventKind.BOARDED, harness.now))
    assert harness.repo.get_booking(booking).status is BookingStatus.ON_BOARD


def test_an_adoption_that_is_not_committed_leaves_every_bus_as_it_was(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.params = EngineParams(reoptimise_period_s=1, min_improvement=-1e12)
    harness.engine.params = harness.params
    book_trips(harness)
    before = engine_state(harness)
    versions = {vid: v.version for vid, v in harness.engine.vehicles.items()}
    stored = {b.id: b.vehicle_id for b in harness.repo.list_open_bookings()}
    fail_next_write(harness, monkeypatch)
    with pytest.raises(StoreUnavailable):
        move_one_booking(harness)
    vehicles, trips, _offers = engine_state(harness)
    assert (vehicles, trips) == before[:2]
    assert {b.id: b.vehicle_id for b in harness.repo.list_open_bookings()} == stored
    # Version numbers handed out are not handed out again.
    assert all(harness.engine.vehicles[v].version >= versions[v] for v in versions)
