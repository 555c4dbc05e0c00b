from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dispatch.store import Repository
from dispatch.store.errors import DuplicateError
from dispatch.store.records import PlanVersion, StopEvent
from tests.store.factories import NOW, make_booking, make_offer, response_for


def test_latest_plan_version_per_vehicle(repo: Repository) -> None:
    stops = [{"booking_id": "b1", "kind": "pickup", "arrival": NOW + 60}]
    for vehicle, version in [("bus-1", 1), ("bus-1", 2), ("bus-2", 1), ("bus-1", 3)]:
        repo.save_plan_version(PlanVersion(vehicle, version, NOW + version, stops))
    latest = repo.latest_plan_versions()
    assert {v: p.version for v, p in latest.items()} == {"bus-1": 3, "bus-2": 1}
    assert latest["bus-1"].stops == stops
    newest = repo.latest_plan_version("bus-1")
    assert newest is not None and newest.version == 3
    assert repo.latest_plan_version("bus-9") is None
    with pytest.raises(DuplicateError):
        repo.save_plan_version(PlanVersion("bus-1", 2, NOW, []))


def _booked(repo: Repository) -> None:
    repo.save_offer(make_offer())
    repo.confirm_booking("o1", make_booking(), idempotency_key=None, request_hash="",
                         response_builder=response_for, now=NOW)  # fmt: skip


def test_stop_events_are_deduplicated_per_vehicle(repo: Repository) -> None:
    _booked(repo)
    event = StopEvent("bus-1", "b1", "pickup", "boarded", NOW, client_message_id="m1")
    assert repo.record_stop_event(event)
    assert not repo.record_stop_event(event)
    assert repo.record_stop_event(StopEvent("bus-2", "b1", "pickup", "boarded", NOW, "m1"))
    assert repo.record_stop_event(StopEvent("bus-1", None, "depot", "arrived", NOW))
    assert repo.record_stop_event(StopEvent("bus-1", None, "depot", "arrived", NOW))
    assert len(repo.list_stop_events(vehicle_id="bus-1")) == 3
    assert len(repo.list_stop_events(booking_id="b1")) == 2


def test_concurrent_duplicate_stop_events_store_one(repo: Repository) -> None:
    _booked(repo)
    barrier = threading.Barrier(6)
    event = StopEvent("bus-1", "b1", "dropoff", "alighted", NOW, client_message_id="m9")

    def deliver(_: int) -> bool:
        barrier.wait()
        return repo.record_stop_event(event)

    with ThreadPoolExecutor(6) as pool:
        stored = list(pool.map(deliver, range(6)))
    assert stored.count(True) == 1
    assert repo.list_stop_events(vehicle_id="bus-1") == [event]
