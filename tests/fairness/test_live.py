"""The fairness option in the live service (in process, with a real SQLite file): a
wheelchair user's request that no bus can take within the maximum wait gets an offer with
a later pickup while wheelchair users trail that day — and is refused as before while they
do not; the dispatcher view shows the day's gap and the bound."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dispatch.config import load_service_config
from dispatch.engine.adapters.worker import InlineSolver
from dispatch.service.booking import PlaceInput, QuotedOffer, QuoteInput, RiderContact
from dispatch.service.runtime import Runtime, build_runtime
from dispatch.service.unmet import quote_and_record
from dispatch.settings import Settings
from dispatch.store.history import UnmetRequest
from rider_api.app import create_app
from rider_api.auth import StaffTokens

pytestmark = pytest.mark.realdata

AGENT = "agent-token-fairness-01"
NEUDROSSENFELD = (50.0185111, 11.5017849)  # the bus's depot
HARSDORF = (50.0276079, 11.5689206)  # a few minutes' drive east
#: One bus with one wheelchair place, on shift from 08:00; a promised wait of 5 minutes,
#: so a pickup in Harsdorf at 08:00 is out of reach, one at 08:15 is not.
SERVICE = """
name = "Rufbus fairness test"
time_zone = "Europe/Berlin"
[hours]
daily = ["06:00", "22:00"]
[booking]
max_wait_min = 5
fairness_max_gap = 0.0
fairness_extra_wait_min = 15
[[fleet.vehicles]]
id = "bus-1"
name = "Rufbus 1"
seats = 8
wheelchair_places = 1
depot = { lat = 50.0185111, lon = 11.5017849 }
[[fleet.shifts]]
vehicle = "bus-1"
weekdays = "daily"
start = "08:00"
end = "20:00"
"""


class Clock:
    def __init__(self, start: int) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def live(tmp_path: Path, osm_cache: Path) -> Iterator[Runtime]:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    definition = tmp_path / "service.toml"
    definition.write_text(SERVICE, encoding="utf-8")
    config = load_service_config(definition, osm_source=osm)
    clock = Clock(_at(config.zone, datetime.now(config.zone).date(), time(6, 0)))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'fair.sqlite'}", osm_cache=osm_cache)
    built = build_runtime(settings, config, clock=clock, solver=InlineSolver())
    try:
        yield built
    finally:
        built.stop()


def _at(zone: Any, day: date, at: time) -> int:
    return int(datetime.combine(day, at, zone).timestamp())


def _today(rt: Runtime) -> date:
    return datetime.fromtimestamp(rt.clock(), rt.config.zone).date()


def _request(rt: Runtime, at: time, wheelchairs: int, origin: tuple[float, float]) -> QuoteInput:
    destination = NEUDROSSENFELD if origin == HARSDORF else HARSDORF
    return QuoteInput(
        PlaceInput(lat=origin[0], lon=origin[1]),
        PlaceInput(lat=destination[0], lon=destination[1]),
        depart_after=_at(rt.config.zone, _today(rt), at),
        passengers=1,
        wheelchairs=wheelchairs,
    )


def _unmet(rt: Runtime, wheelchairs: int) -> None:
    when = _at(rt.config.zone, _today(rt), time(7, 0))
    rt.repo.record_unmet(
        UnmetRequest(rt.clock(), when, *HARSDORF, *NEUDROSSENFELD, 1, wheelchairs, "app", "full")
    )


def _window_start(offer: QuotedOffer, zone: tzinfo) -> datetime:
    return datetime.fromtimestamp(offer.window_start, zone)


def test_a_trailing_group_gets_a_later_offer_and_only_then(live: Runtime) -> None:
    rt = live
    assert rt.booking.fairness is not None, "the service definition's option reaches the service"
    wheelchair_at_8 = _request(rt, time(8, 0), 1, HARSDORF)
    asked_at = datetime.fromtimestamp(wheelchair_at_8.depart_after or 0, rt.config.zone)

    # Wheelchair users and others are equally (un)served today: refused as without the option.
    _unmet(rt, wheelchairs=1)
    _unmet(rt, wheelchairs=0)
    refused = quote_and_record(rt.booking, wheelchair_at_8, "app")
    assert refused.offers == () and refused.alternatives, refused
    gap = rt.booking.fairness.gap(_today(rt))
    assert (gap.wheelchair_share, gap.others_share, gap.asks_again) == (0.0, 0.0, False)

    # Another rider is served: now wheelchair users (0 of 2) trail the others (1 of 2).
    other = rt.booking.quote(_request(rt, time(12, 0), 0, NEUDROSSENFELD))
    made = rt.booking.book(other.offers[0].offer_id, RiderContact("A"), "k-a", {})
    assert made.status_code == 201
    assert rt.booking.fairness.gap(_today(rt)).trailing_by == 0.5

    answer = quote_and_record(rt.booking, wheelchair_at_8, "app")
    assert answer.offers, "the option asks the refused request again, 15 minutes later"
    offer = answer.offers[0]
    assert (_window_start(offer, rt.config.zone) - asked_at).total_seconds() >= 15 * 60
    booked = rt.booking.book(offer.offer_id, RiderContact("W"), "k-w", {})
    booking = booked.view
    assert booked.status_code == 201 and booking is not None
    assert booking.status == "confirmed" and booking.wheelchairs == 1
    stored = rt.repo.get_booking(booking.booking_id)
    assert stored.depart_after == wheelchair_at_8.depart_after, "the wait counts from the ask"
    _restarts_with_the_promise(rt, booking.booking_id)
    assert len(rt.repo.unmet_between(0, 1 << 40)) == 3, "only the refused request was unmet"

    # Served 1 of 3 against 1 of 2 — still trailing; the view shows the gap and the bound.
    app = create_app(lambda: rt, StaffTokens(agents=[AGENT]))
    with TestClient(app) as client:
        view = client.get("/v1/ops/fairness", headers={"Authorization": f"Bearer {AGENT}"}).json()
    option = view["fairness_option"]
    assert option["max_gap"] == 0.0 and option["extra_wait_min"] == 15
    assert option["wheelchair_share"] == pytest.approx(1 / 3, abs=1e-3)
    assert option["others_share"] == 0.5 and option["asks_again"] is True
    assert option["trailing_by"] == pytest.approx(0.5 - 1 / 3, abs=1e-3)


def _restarts_with_the_promise(rt: Runtime, booking_id: str) -> None:
    """After a restart the booking is on its bus again with the promise it was given."""
    before = rt.runner.engine.trips[booking_id]
    again = build_runtime(rt.settings, rt.config, clock=rt.clock, solver=InlineSolver())
    try:
        after = again.runner.engine.trips[booking_id]
        assert (after.promise, after.vehicle_id) == (before.promise, before.vehicle_id)
        assert after.spec.depart_after == before.spec.depart_after - 15 * 60
        visits = again.runner.engine.vehicles[after.vehicle_id or ""].visits
        assert [v.request_id for v in visits].count(booking_id) == 2, visits
    finally:
        again.stop()


def test_without_the_option_the_view_says_it_is_off(
    live: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live.booking, "fairness", None)
    wheelchair_at_8 = _request(live, time(8, 0), 1, HARSDORF)
    assert live.booking.quote(wheelchair_at_8).offers == (), "out of reach without the option"
    app = create_app(lambda: live, StaffTokens(agents=[AGENT]))
    with TestClient(app) as client:
        view = client.get("/v1/ops/fairness", headers={"Authorization": f"Bearer {AGENT}"})
    assert view.status_code == 200 and view.json()["fairness_option"] is None
