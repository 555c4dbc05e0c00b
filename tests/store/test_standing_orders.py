from __future__ import annotations

from dataclasses import replace

import pytest

from dispatch.errors import InputError
from dispatch.store import Repository
from dispatch.store.errors import StandingOrderNotFound
from dispatch.store.records import Place, StandingOrder


def order(rider_id: str) -> StandingOrder:
    return StandingOrder(
        rider_id=rider_id,
        weekdays=(0, 2, 4),
        time_of_day="07:30",
        time_kind="arrive_by",
        origin=Place("Harsdorf", 50.0276, 11.5689, stop_id="s1"),
        destination=Place("Dialyse Bayreuth", 49.95, 11.58),
        valid_from="2026-12-01",
        valid_until="2027-06-30",
        exceptions=("2026-12-25",),
    )


def test_standing_order_crud(repo: Repository) -> None:
    rider = repo.create_rider("Anna", "0921 123456")
    created = repo.create_standing_order(order(rider.id))
    assert created.id is not None
    assert repo.get_standing_order(created.id) == created
    paused = repo.update_standing_order(replace(created, active=False, exceptions=("2027-01-01",)))
    assert not paused.active and paused.exceptions == ("2027-01-01",)
    assert repo.list_standing_orders(rider.id) == []
    assert repo.list_standing_orders(rider.id, active_only=False) == [paused]
    repo.delete_standing_order(created.id)
    with pytest.raises(StandingOrderNotFound):
        repo.get_standing_order(created.id)


@pytest.mark.parametrize(
    "change",
    [
        {"weekdays": ()},
        {"weekdays": (7,)},
        {"time_of_day": "25:00"},
        {"time_kind": "whenever"},
        {"valid_until": "2026-01-01"},
        {"exceptions": ("someday",)},
        {"passengers": 0},
    ],
)
def test_bad_standing_orders_are_refused(repo: Repository, change: dict[str, object]) -> None:
    rider = repo.create_rider("Anna")
    with pytest.raises(InputError):
        repo.create_standing_order(replace(order(rider.id), **change))  # type: ignore[arg-type]
