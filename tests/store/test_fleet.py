from __future__ import annotations

import pytest

from dispatch.store import Repository
from dispatch.store.errors import ShiftNotFound, VehicleNotFound
from dispatch.store.records import (
    Break,
    ShiftRecord,
    ShiftStatus,
    StopRecord,
    StopSource,
    VehicleRecord,
)
from tests.store.factories import NOW

BUS = VehicleRecord("bus-1", "Bus 1", 8, 1, 50.0185, 11.5018, device_token_hash="h1")


def shift(start: int, vehicle_id: str = "bus-1") -> ShiftRecord:
    return ShiftRecord(vehicle_id, start, start + 3600, 50.0185, 11.5018, 50.0185, 11.5018,
                       breaks=(Break(start + 600, start + 900),))  # fmt: skip


def test_vehicle_upsert_keeps_position_and_token(repo: Repository) -> None:
    repo.upsert_vehicle(BUS)
    assert repo.update_vehicle_position("bus-1", 50.02, 11.55, NOW)
    renamed = VehicleRecord("bus-1", "Bus Eins", 9, 2, 50.0, 11.5)
    repo.upsert_vehicle(renamed)
    stored = repo.get_vehicle("bus-1")
    assert (stored.name, stored.seats, stored.wheelchair_places) == ("Bus Eins", 9, 2)
    assert (stored.device_token_hash, stored.last_lat, stored.last_at) == ("h1", 50.02, NOW)
    assert [v.id for v in repo.list_vehicles()] == ["bus-1"]


def test_older_positions_are_ignored(repo: Repository) -> None:
    repo.upsert_vehicle(BUS)
    assert repo.update_vehicle_position("bus-1", 50.02, 11.55, NOW)
    assert not repo.update_vehicle_position("bus-1", 50.0, 11.0, NOW - 5)
    assert repo.get_vehicle("bus-1").last_lat == 50.02
    with pytest.raises(VehicleNotFound):
        repo.update_vehicle_position("nope", 50.0, 11.0, NOW)


def test_shifts(repo: Repository) -> None:
    repo.upsert_vehicle(BUS)
    first = repo.add_shift(shift(NOW))
    repo.add_shift(shift(NOW + 86_400))
    assert first.id is not None and first.breaks == (Break(NOW + 600, NOW + 900),)
    again = repo.add_shift(shift(NOW))
    assert again.id == first.id
    assert len(repo.list_shifts("bus-1")) == 2
    assert [s.start_at for s in repo.list_shifts(ending_after=NOW + 7200)] == [NOW + 86_400]
    assert [s.start_at for s in repo.list_shifts(starting_before=NOW + 10)] == [NOW]
    active = repo.set_shift_status(first.id, ShiftStatus.ACTIVE)
    assert active.status is ShiftStatus.ACTIVE
    with pytest.raises(ShiftNotFound):
        repo.set_shift_status(9999, ShiftStatus.ENDED)
    with pytest.raises(VehicleNotFound):
        repo.add_shift(shift(NOW, vehicle_id="nope"))


def test_stops_upsert(repo: Repository) -> None:
    stops = [StopRecord("s1", "Harsdorf", 50.0276, 11.5689, StopSource.PLACE, 1),
             StopRecord("s2", "Kirche", 50.02, 11.56, StopSource.OSM)]  # fmt: skip
    assert repo.upsert_stops(stops) == 2
    moved = StopRecord("s2", "Kirche Nord", 50.021, 11.561, StopSource.FILE, 7)
    repo.upsert_stops([moved])
    assert repo.list_stops() == [stops[0], moved]
