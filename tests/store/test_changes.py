"""The engine's one transaction per decision (``apply_changes``): a booking with its key,
plans and planned times, and every way a confirmation can lose a race."""

from __future__ import annotations

import pytest

from dispatch.model import BookingId, BookingStatus, ShiftId
from dispatch.store import Repository
from dispatch.store.changes import AlreadyConfirmed, Assignment, ChangeBatch, Confirmation
from dispatch.store.errors import (
    BookingNotFound,
    IdempotencyConflict,
    OfferAlreadyUsed,
    OfferExpired,
    OfferNotFound,
)
from dispatch.store.records import Booking, PlanVersion
from tests.store.factories import NOW, make_booking, make_offer

SHIFT = ShiftId("bus-1@2026-05-28")


def batch(
    booking_id: str = "b1",
    offer_id: str = "o1",
    key: str | None = "k1",
    request_hash: str = "h1",
    seen: list[Booking] | None = None,
    **more: object,
) -> ChangeBatch:
    def answer(b: Booking) -> dict[str, object]:
        if seen is not None:
            seen.append(b)
        return {"booking_id": b.id, "status": b.status.value, "access_token": "secret-" + b.id}

    confirmation = Confirmation(offer_id, make_booking(booking_id), key, request_hash, answer)
    return ChangeBatch(at=NOW, confirmation=confirmation, **more)  # type: ignore[arg-type]


def test_the_answer_is_built_from_exactly_what_was_stored(repo: Repository) -> None:
    repo.save_offer(make_offer())
    seen: list[Booking] = []
    result = repo.apply_changes(batch(seen=seen))
    assert result is not None and not result.replayed and result.status_code == 201
    assert seen == [repo.get_booking("b1")]  # the record the answer saw is the stored row
    assert [e.status for e in repo.booking_events("b1")] == [BookingStatus.CONFIRMED]
    assert repo.get_offer("o1").consumed_by == "b1"
    stored = repo.stored_confirmation("k1", "h1")
    assert stored is not None and stored.response == result.response  # token unsealed again


def test_plans_and_planned_times_are_written_with_the_booking(repo: Repository) -> None:
    repo.save_offers([make_offer("o1"), make_offer("o2")])
    repo.apply_changes(batch())
    stops = [{"booking_id": "b2", "kind": "pickup"}]
    moved = Assignment(BookingId("b1"), ShiftId("bus-2@2026-05-28"), NOW + 700, NOW + 1900)
    later = Assignment(BookingId("b1"), ShiftId("bus-2@2026-05-28"), None, NOW + 2000)
    plans = [PlanVersion(SHIFT, 3, NOW, stops)]
    repo.apply_changes(batch("b2", "o2", "k2", plans=plans, assignments=[moved]))
    b1 = repo.get_booking("b1")
    assert (b1.vehicle_id, b1.planned_pickup, b1.planned_dropoff) == (
        "bus-2@2026-05-28",
        NOW + 700,
        NOW + 1900,
    )
    assert b1.version == 1  # plan details, not a state change
    assert repo.latest_plan_version(SHIFT) == PlanVersion(SHIFT, 3, NOW, stops)
    repo.apply_changes(ChangeBatch(at=NOW + 5, assignments=[later]))
    b1 = repo.get_booking("b1")
    assert (b1.planned_pickup, b1.planned_dropoff, b1.updated_at) == (
        NOW + 700, NOW + 2000, NOW + 5
    )  # fmt: skip


def test_a_second_attempt_with_the_key_gets_the_first_answer(repo: Repository) -> None:
    """Two attempts with one key that both got past the API's look-up: the later one finds
    the offer used up, and gets the first attempt's stored answer."""
    repo.save_offer(make_offer())
    first = repo.apply_changes(batch())
    with pytest.raises(AlreadyConfirmed) as caught:
        repo.apply_changes(batch("b2"))
    assert caught.value.stored.replayed and caught.value.stored.response == first.response  # type: ignore[union-attr]
    with pytest.raises(BookingNotFound):
        repo.get_booking("b2")


def test_a_key_stored_with_another_offer_answers_too(repo: Repository) -> None:
    """The key's row exists although this attempt's offer is free: the key's primary key
    fails the transaction, nothing of it is kept, and the stored answer comes back."""
    repo.save_offers([make_offer("o1"), make_offer("o2")])
    first = repo.apply_changes(batch())
    with pytest.raises(AlreadyConfirmed) as caught:
        repo.apply_changes(batch("b2", "o2"))
    assert caught.value.stored.booking_id == "b1"
    assert caught.value.stored.response == first.response  # type: ignore[union-attr]
    assert repo.get_offer("o2").consumed_by is None
    with pytest.raises(BookingNotFound):
        repo.get_booking("b2")


def test_the_key_with_another_request_is_a_conflict(repo: Repository) -> None:
    repo.save_offers([make_offer("o1"), make_offer("o2")])
    repo.apply_changes(batch())
    with pytest.raises(IdempotencyConflict):
        repo.apply_changes(batch("b2", "o2", request_hash="other"))
    assert repo.get_offer("o2").consumed_by is None


def test_an_offer_used_by_another_rider_is_refused(repo: Repository) -> None:
    repo.save_offer(make_offer())
    repo.apply_changes(batch())
    with pytest.raises(OfferAlreadyUsed):
        repo.apply_changes(batch("b2", key="k2"))
    with pytest.raises(OfferAlreadyUsed):
        repo.apply_changes(batch("b3", key=None))
    assert [b.id for b in repo.list_open_bookings()] == ["b1"]


def test_expired_and_unknown_offers_write_nothing(repo: Repository) -> None:
    repo.save_offer(make_offer(expires_at=NOW - 1))
    plans = [PlanVersion(SHIFT, 1, NOW, [])]
    with pytest.raises(OfferExpired):
        repo.apply_changes(batch(plans=plans))
    with pytest.raises(OfferNotFound):
        repo.apply_changes(batch(offer_id="nope", plans=plans))
    assert repo.get_offer("o1").consumed_by is None
    assert repo.latest_plan_version(SHIFT) is None
    assert repo.stored_confirmation("k1", "h1") is None
    assert repo.list_open_bookings() == []


def test_an_offer_valid_to_the_second_is_still_taken(repo: Repository) -> None:
    repo.save_offer(make_offer(expires_at=NOW))
    assert repo.apply_changes(batch()) is not None
