"""Synthetic demand: plausible shape, valid format, the same day for the same seed."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from dispatch.errors import InputError, SnapError
from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network
from dispatch.roads.osm_file import NamedPoint
from dispatch.sim.demand import format_demand, parse_demand
from dispatch.sim.synth import SynthParams, synthesise, zones
from tests.sim.conftest import TZ

ALPINE = Path(__file__).parent.parent / "data" / "alpine.osm"

DAY = date(2026, 3, 2)


class Villages:
    """A town, two villages and a station on a line; every point is near a road."""

    places = (
        NamedPoint(1, "Town", "town", 50.00, 11.50, population=5000),
        NamedPoint(2, "Nord", "village", 50.05, 11.50),
        NamedPoint(3, "Süd", "village", 49.95, 11.50),
        NamedPoint(4, "Ost", "hamlet", 50.00, 11.58),
    )
    stops = (NamedPoint(9, "Town Bahnhof", "bus_stop", 50.001, 11.51),)

    def snap(self, lat: float, lon: float) -> object:
        return (lat, lon)


def test_same_seed_same_day_and_other_seed_other_day() -> None:
    params = SynthParams(50, DAY, seed=7)
    first = synthesise(Villages(), params, TZ)
    assert synthesise(Villages(), params, TZ) == first
    assert synthesise(Villages(), SynthParams(50, DAY, seed=8), TZ) != first


def test_requests_are_valid_and_inside_the_service_day() -> None:
    demand = synthesise(Villages(), SynthParams(200, DAY, seed=1), TZ)
    assert len(demand) == len({r.id for r in demand}) == 200
    assert parse_demand(format_demand(demand, TZ), TZ) == sorted(
        demand, key=lambda r: (r.booked_at, r.desired_time, r.id)
    )
    for r in demand:
        hour = datetime.fromtimestamp(r.desired_time, TZ).hour
        assert 6 <= hour <= 22 and r.booked_at <= r.desired_time
        assert 0 <= r.wheelchairs <= r.passengers


def test_mornings_lead_to_the_town_and_station_afternoons_back() -> None:
    demand = synthesise(Villages(), SynthParams(400, DAY, seed=2), TZ)

    def near_town(lat: float | None, stop: str | None) -> bool:
        return stop == "osm-9" or (lat is not None and abs(lat - 50.0) < 0.01)

    morning = [r for r in demand if datetime.fromtimestamp(r.desired_time, TZ).hour < 9]
    evening = [r for r in demand if 15 <= datetime.fromtimestamp(r.desired_time, TZ).hour < 18]
    to_town = sum(near_town(r.destination.lat, r.destination.stop_id) for r in morning)
    from_town = sum(near_town(r.origin.lat, r.origin.stop_id) for r in evening)
    assert to_town > 0.7 * len(morning) and from_town > 0.6 * len(evening)


def test_shares_of_wheelchairs_and_prebookings() -> None:
    params = SynthParams(1000, DAY, seed=3, wheelchair_share=0.1, prebooked_share=0.5)
    demand = synthesise(Villages(), params, TZ)
    wheelchair = sum(r.wheelchairs > 0 for r in demand) / len(demand)
    prebooked = sum(r.desired_time - r.booked_at >= 3600 for r in demand) / len(demand)
    assert math.isclose(wheelchair, 0.1, abs_tol=0.03)
    assert 0.5 <= prebooked <= 0.5 + 0.25 * 0.5 + 0.05  # arrive-by riders also book ahead


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"requests": -1}, "negative"), ({"wheelchair_share": 1.5}, "between 0 and 1")],
)
def test_bad_parameters(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, object] = {"requests": 10, "day": DAY, **kwargs}
    with pytest.raises(InputError, match=message):
        SynthParams(**args)  # type: ignore[arg-type]


@pytest.mark.realdata
def test_real_map_day_snaps_everywhere(real_network: RoadNetwork) -> None:
    demand = synthesise(real_network, SynthParams(80, DAY, seed=4), TZ)
    for r in demand:
        for place in (r.origin, r.destination):
            if place.lat is not None and place.lon is not None:
                real_network.snap(place.lat, place.lon)
            else:
                assert place.stop_id is not None and place.stop_id.startswith("osm-")


class WithAHut(Villages):
    """The villages, and a hut that lies far from any road (snapping it fails)."""

    places = (*Villages.places, NamedPoint(5, "Hütte", "hamlet", 46.0, 11.0))

    def snap(self, lat: float, lon: float) -> object:
        if lat < 49:
            raise SnapError(f"({lat}, {lon}) is 120 km from the nearest road")
        return (lat, lon)


def test_places_far_from_any_road_are_left_out_and_named() -> None:
    found = zones(WithAHut())
    assert found.skipped == ["Hütte"]
    assert "Hütte" not in {z.name for z in found.homes}
    demand = synthesise(WithAHut(), SynthParams(200, DAY, seed=3), TZ)
    for r in demand:
        for place in (r.origin, r.destination):
            assert place.lat is None or place.lat > 49


def test_too_few_reachable_places_is_a_clear_error() -> None:
    class OneVillage(WithAHut):
        places = (Villages.places[0], WithAHut.places[-1])

    with pytest.raises(InputError, match="fewer than two named places near a road"):
        zones(OneVillage())


def test_synth_on_a_map_with_an_unreachable_hut(tmp_path: Path) -> None:
    """On a real (hand-made) map: the hut is skipped and the replay takes every request."""
    network = load_road_network(OsmSource(path=ALPINE), cache_dir=tmp_path)
    found = zones(network)
    assert found.skipped == ["Alphütte"]
    demand = synthesise(network, SynthParams(30, DAY, seed=1), TZ)
    for r in demand:
        for place in (r.origin, r.destination):
            assert place.lat is not None and place.lon is not None
            network.snap(place.lat, place.lon)  # every place is usable by a replay


def test_the_synth_command_says_which_places_it_left_out(tmp_path: Path) -> None:
    out = tmp_path / "day.csv"
    command = [sys.executable, "-c", "from dispatch.cli import main; main()", "demand", "synth"]
    done = subprocess.run(
        [*command, "--osm", str(ALPINE), "--requests", "5", "--date", "2026-03-02", "-o", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "DISPATCH_OSM_CACHE": str(tmp_path / "cache")},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "5 requests on 2026-03-02" in done.stdout
    assert "1 place(s) more than 500 m from a drivable road were left out: Alphütte" in done.stdout
    assert len(out.read_text().splitlines()) == 6
