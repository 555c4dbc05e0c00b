"""Standing orders roll forward: dates that come into the horizon get booked (in process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from dispatch.config import load_service_config
from dispatch.engine.adapters.worker import InlineSolver
from dispatch.service.runtime import Runtime, build_runtime
from dispatch.settings import Settings
from dispatch.store.records import Place, StandingOrder

pytestmark = pytest.mark.realdata


class Clock:
    def __init__(self, start: int) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[tuple[Runtime, Clock]]:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    config = load_service_config(None, osm_source=osm)
    today = datetime.now(config.zone).date()
    clock = Clock(
        int(datetime.combine(today, datetime.min.time(), config.zone).timestamp()) + 6 * 3600
    )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'so.sqlite'}", osm_cache=tmp_path / "cache"
    )
    built = build_runtime(settings, config, clock=clock, solver=InlineSolver())
    try:
        yield built, clock
    finally:
        built.stop()


def test_dates_entering_the_horizon_are_booked_by_housekeeping(
    runtime: tuple[Runtime, Clock],
) -> None:
    rt, clock = runtime
    assert rt.standing is not None
    horizon = rt.config.booking.prebooking_horizon_days
    today = datetime.fromtimestamp(clock.now, rt.config.zone).date()
    rider = rt.repo.create_rider("Hans", "0921 777 1212")
    stop = rt.stops.stops[0]
    far = next(s for s in rt.stops.stops if abs(s.lat - stop.lat) + abs(s.lon - stop.lon) > 0.03)
    order = StandingOrder(
        rider_id=rider.id,
        weekdays=tuple(range(7)),
        time_of_day="10:00",
        time_kind="depart_after",
        origin=Place(stop.name, stop.lat, stop.lon, stop.id),
        destination=Place(far.name, far.lat, far.lon, far.id),
        valid_from=today.isoformat(),
        valid_until=(today + timedelta(days=horizon + 5)).isoformat(),
    )
    stored, outcomes = rt.standing.create(order)
    assert [o.day for o in outcomes] == [today + timedelta(days=k) for k in range(horizon + 1)]
    booked = {o.day for o in outcomes if o.status == "booked"}
    assert booked, outcomes
    # Two days later, two more dates lie inside the horizon; housekeeping books them once.
    clock.now += 2 * 86400
    rt.housekeeping()
    rt.housekeeping()
    days = sorted(
        _day(rt, b.depart_after)
        for b in rt.repo.list_bookings_for_rider(rider.id)
        if b.standing_order_id == stored.id
    )
    assert len(days) == len(set(days)), "a date was booked twice"
    assert today + timedelta(days=horizon + 2) in days or any(
        o.day == today + timedelta(days=horizon + 2) and o.status == "not_served"
        for o in rt.standing.outcomes(stored)
    )
    assert max(days) <= today + timedelta(days=horizon + 2)


def _day(rt: Runtime, t: int | None) -> date:
    assert t is not None
    return datetime.fromtimestamp(t, rt.config.zone).date()
