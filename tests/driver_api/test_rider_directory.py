"""Plans reach the driver while the database does not answer (without the riders' names)."""

from __future__ import annotations

from typing import Any

from dispatch.store.errors import StoreUnavailable
from driver_api.riders import RiderDirectory


class LockedRepository:
    def get_booking(self, booking_id: str) -> Any:
        raise StoreUnavailable("the database is not answering")


def test_a_locked_database_leaves_the_names_out_and_does_not_fail() -> None:
    directory = RiderDirectory(LockedRepository())  # type: ignore[arg-type]
    payload = {"stops": [{"booking_id": "b1", "kind": "pickup", "name": "Harsdorf"}]}
    missing = directory.missing(payload)
    assert missing == ["b1"]
    directory.fetch(missing)  # no exception: the plan still goes out
    assert directory.enrich(payload) == payload
    assert directory.missing(payload) == ["b1"]  # asked again with the next plan
