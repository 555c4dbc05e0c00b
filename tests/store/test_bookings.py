from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dispatch.model import BookingStatus
from dispatch.store import Repository
from dispatch.store.errors import (
    BookingNotFound,
    IdempotencyConflict,
    InvalidTransition,
    OfferAlreadyUsed,
    OfferExpired,
    OfferNotFound,
    StaleVersion,
)
from dispatch.store.records import ConfirmResult
from tests.store.factories import NOW, make_booking, make_offer, response_for


def confirm(repo: Repository, key: str | None = "k1", booking_id: str = "b1",
            offer_id: str = "o1", request_hash: str = "h1") -> ConfirmResult:  # fmt: skip
    return repo.confirm_booking(
        offer_id,
        make_booking(booking_id),
        idempotency_key=key,
        request_hash=request_hash,
        response_builder=response_for,
        now=NOW,
    )


def test_confirm_writes_booking_event_and_consumes_offer(repo: Repository) -> None:
    repo.save_offer(make_offer())
    result = confirm(repo)
    assert result == ConfirmResult("b1", 201, {"booking_id": "b1", "status": "confirmed"}, False)
    booking = repo.get_booking("b1")
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.origin.node == 347262760
    assert (booking.version, booking.created_at) == (1, NOW)
    assert [e.status for e in repo.booking_events("b1")] == [BookingStatus.CONFIRMED]
    assert repo.get_offer("o1").consumed_by == "b1"


def test_same_key_same_request_replays_the_stored_response(repo: Repository) -> None:
    repo.save_offer(make_offer())
    first = confirm(repo)
    again = confirm(repo, booking_id="b2")
    assert again.replayed and again.response == first.response and again.booking_id == "b1"
    assert [b.id for b in repo.list_open_bookings()] == ["b1"]


def test_same_key_other_request_is_a_conflict(repo: Repository) -> None:
    repo.save_offer(make_offer())
    confirm(repo)
    with pytest.raises(IdempotencyConflict):
        confirm(repo, booking_id="b2", request_hash="other")


def test_an_offer_is_consumed_once(repo: Repository) -> None:
    repo.save_offer(make_offer())
    confirm(repo, key="k1")
    with pytest.raises(OfferAlreadyUsed):
        confirm(repo, key="k2", booking_id="b2")
    with pytest.raises(OfferAlreadyUsed):
        confirm(repo, key=None, booking_id="b3")


def test_expired_and_unknown_offers_are_refused_without_writing(repo: Repository) -> None:
    repo.save_offer(make_offer(expires_at=NOW - 1))
    with pytest.raises(OfferExpired):
        confirm(repo)
    with pytest.raises(OfferNotFound):
        confirm(repo, offer_id="nope")
    assert repo.list_open_bookings() == []
    assert repo.get_offer("o1").consumed_by is None


def test_failing_response_builder_leaves_nothing_behind(repo: Repository) -> None:
    repo.save_offer(make_offer())

    def broken(_: object) -> dict[str, object]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        repo.confirm_booking("o1", make_booking(), idempotency_key="k1", request_hash="h",
                             response_builder=broken, now=NOW)  # fmt: skip
    assert repo.get_offer("o1").consumed_by is None
    with pytest.raises(BookingNotFound):
        repo.get_booking("b1")
    assert confirm(repo).replayed is False


def _race(repo: Repository, calls: int, same_key: bool) -> list[object]:
    barrier = threading.Barrier(calls)

    def attempt(i: int) -> object:
        barrier.wait()
        key = "k" if same_key else f"k{i}"
        try:
            return confirm(repo, key=key, booking_id=f"b{i}")
        except OfferAlreadyUsed as exc:
            return exc

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(attempt, range(calls)))


def test_concurrent_retries_with_one_key_make_one_booking(repo: Repository) -> None:
    repo.save_offer(make_offer())
    results = _race(repo, 8, same_key=True)
    assert all(isinstance(r, ConfirmResult) for r in results)
    confirmed = [r for r in results if isinstance(r, ConfirmResult)]
    assert sum(not r.replayed for r in confirmed) == 1
    assert len({r.booking_id for r in confirmed}) == 1
    assert len(repo.list_open_bookings()) == 1


def test_concurrent_confirms_of_one_offer_make_one_booking(repo: Repository) -> None:
    repo.save_offer(make_offer())
    results = _race(repo, 8, same_key=False)
    assert sum(isinstance(r, ConfirmResult) for r in results) == 1
    assert sum(isinstance(r, OfferAlreadyUsed) for r in results) == 7
    assert len(repo.list_open_bookings()) == 1


def test_status_changes_are_recorded_and_versioned(repo: Repository) -> None:
    repo.save_offer(make_offer())
    confirm(repo)
    on_board = repo.update_booking_status("b1", BookingStatus.ON_BOARD, NOW + 700, detail="bus-1")
    assert (on_board.version, on_board.boarded_at) == (2, NOW + 700)
    done = repo.update_booking_status("b1", BookingStatus.COMPLETED, NOW + 1500)
    assert done.version == 3 and repo.list_open_bookings() == []
    events = repo.booking_events("b1")
    assert [(e.status, e.at) for e in events] == [
        (BookingStatus.CONFIRMED, NOW),
        (BookingStatus.ON_BOARD, NOW + 700),
        (BookingStatus.COMPLETED, NOW + 1500),
    ]
    with pytest.raises(InvalidTransition):
        repo.cancel_booking("b1", NOW + 1600)


def test_optimistic_version_check(repo: Repository) -> None:
    repo.save_offer(make_offer())
    confirm(repo)
    with pytest.raises(StaleVersion):
        repo.cancel_booking("b1", NOW + 10, expected_version=7)
    cancelled = repo.cancel_booking("b1", NOW + 10, expected_version=1, detail="by rider")
    assert cancelled.status is BookingStatus.CANCELLED
    assert repo.booking_events("b1")[-1].detail == "by rider"
    same = repo.cancel_booking("b1", NOW + 20)
    assert same.version == 2


def test_unknown_booking(repo: Repository) -> None:
    with pytest.raises(BookingNotFound):
        repo.update_booking_status("nope", BookingStatus.ON_BOARD, NOW)


def test_bookings_by_rider_and_planned_times(repo: Repository) -> None:
    rider = repo.create_rider("Anna", "0921 12345")
    repo.save_offer(make_offer())
    repo.confirm_booking("o1", make_booking(rider_id=rider.id), idempotency_key=None,
                         request_hash="", response_builder=response_for, now=NOW)  # fmt: skip
    repo.update_planned_times([("b1", "bus-2", NOW + 800, NOW + 1800)], at=NOW + 5)
    (booking,) = repo.list_bookings_for_rider(rider.id)
    assert (booking.vehicle_id, booking.planned_pickup, booking.planned_dropoff) == (
        "bus-2", NOW + 800, NOW + 1800)  # fmt: skip
    assert booking.version == 1
    assert repo.list_bookings_for_rider("someone else") == []


def test_expired_offers_are_purged_but_consumed_ones_kept(repo: Repository) -> None:
    repo.save_offer(make_offer("o1"))
    repo.save_offer(make_offer("o2"))
    confirm(repo)
    assert repo.delete_expired_offers(before=NOW + 1000) == 1
    assert repo.get_offer("o1").consumed_by == "b1"
