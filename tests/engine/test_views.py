"""The views the engine thread publishes for readers: complete, immutable, cheap, undone.

Events go through ``apply_event`` with a view publisher, as in the service's engine thread.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterator
from typing import Any

import pytest

from dispatch.engine.events import CancelRequested, PositionReported
from dispatch.engine.params import EngineParams
from dispatch.engine.views import EngineView
from dispatch.model import BookingStatus, StopKind
from dispatch.store import Repository, open_database
from dispatch.store.errors import StoreUnavailable
from tests.engine.conftest import T0
from tests.engine.harness import Harness
from tests.engine.test_restore import book_trips
from tests.engine.test_undo import fail_next_write


@pytest.fixture
def harness(tmp_path: Any) -> Iterator[Harness]:
    db = open_database(f"sqlite:///{tmp_path / 'views.sqlite'}")
    db.migrate()
    h = Harness(Repository(db, clock=lambda: T0), EngineParams())
    h.add_fleet()
    yield h
    h.close()
    db.dispose()


def view(h: Harness) -> EngineView:
    return h.views.board.current


def test_a_booking_shows_in_the_view_with_its_bus_stops_and_promise(harness: Harness) -> None:
    (booking,) = book_trips(harness, [(11, 48)])
    trip = view(harness).trips[booking]
    assert trip.status is BookingStatus.CONFIRMED and trip.shift_id is not None
    assert trip.promise == harness.engine.trips[booking].promise
    shift = view(harness).shifts[trip.shift_id]
    vehicle = harness.engine.vehicles[trip.shift_id]
    assert shift.plan_version == vehicle.version and shift.route is vehicle.route
    served = [(s.trip.booking_id, s.stop.kind, s.node) for s in shift.stops]
    assert served == [(booking, StopKind.PICKUP, 11), (booking, StopKind.DROPOFF, 48)]
    assert shift.late_s == 0 and not shift.late
    assert set(view(harness).shifts) == set(harness.engine.vehicles)
    assert view(harness).unplaced == ()


def test_views_cannot_be_changed_by_readers(harness: Harness) -> None:
    (booking,) = book_trips(harness, [(11, 48)])
    current = view(harness)
    with pytest.raises(dataclasses.FrozenInstanceError):
        current.trips[booking].status = BookingStatus.CANCELLED  # type: ignore[misc]
    with pytest.raises(TypeError):
        current.trips[booking] = current.trips[booking]  # type: ignore[index]
    with pytest.raises(TypeError):
        del current.shifts["bus1"]  # type: ignore[attr-defined]


def test_a_position_rebuilds_only_its_own_shift(harness: Harness) -> None:
    book_trips(harness, [(11, 48)])
    before = view(harness)
    harness.call(PositionReported("bus2", 98, harness.now))
    after = view(harness)
    assert after is not before and after.shifts["bus2"].position_node == 98
    assert before.shifts["bus2"].position_node == 99  # the old view stays as it was
    assert after.shifts["bus1"] is before.shifts["bus1"]
    assert after.trips is before.trips  # no trip changed


def test_a_bus_that_never_reported_says_so(harness: Harness) -> None:
    """The dispatcher must not read a depot at shift start as a bus's "last report"."""
    assert not any(s.reported for s in view(harness).shifts.values())
    harness.call(PositionReported("bus2", 99, harness.now))  # where it already "was"
    shifts = view(harness).shifts
    assert shifts["bus2"].reported and not shifts["bus1"].reported


def test_a_cancellation_leaves_the_view_and_its_plan(harness: Harness) -> None:
    (booking,) = book_trips(harness, [(11, 48)])
    shift_id = view(harness).trips[booking].shift_id
    assert shift_id is not None
    harness.call(CancelRequested(booking))
    assert booking not in view(harness).trips
    assert all(s.trip.booking_id != booking for s in view(harness).shifts[shift_id].stops)


def test_an_event_the_database_refused_is_not_shown(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    book_trips(harness, [(11, 48)])
    offer = harness.quote(21, 65, T0 + 3600)[0]
    before = view(harness)
    fail_next_write(harness, monkeypatch)
    with pytest.raises(StoreUnavailable):
        harness.book(offer)
    assert dict(view(harness).trips) == dict(before.trips)
    assert {k: s.stops for k, s in view(harness).shifts.items()} == {
        k: s.stops for k, s in before.shifts.items()
    }


def test_a_view_travels_to_another_process_whole(harness: Harness) -> None:
    book_trips(harness, [(11, 48), (12, 77)])
    current = view(harness)
    copy = pickle.loads(pickle.dumps(current))
    assert dict(copy.trips) == dict(current.trips)
    assert dict(copy.shifts) == dict(current.shifts)
    assert (copy.solving, copy.unplaced) == (current.solving, current.unplaced)
