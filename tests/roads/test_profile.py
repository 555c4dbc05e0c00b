from __future__ import annotations

import pytest

from dispatch.roads.profile import RoadProfile, bus_may_use, oneway_direction, parse_maxspeed


@pytest.mark.parametrize(
    ("text", "kmh"),
    [
        ("50", 50),
        ("30 mph", 30 * 1.609344),
        ("DE:urban", 50),
        ("DE:rural", 100),
        ("none", 130),
        ("fast", None),
    ],
)
def test_parse_maxspeed(text: str, kmh: float | None) -> None:
    assert parse_maxspeed(text) == (pytest.approx(kmh) if kmh is not None else None)


@pytest.mark.parametrize(
    ("tags", "allowed"),
    [
        ({}, True),
        ({"access": "no"}, False),
        ({"access": "no", "psv": "yes"}, True),
        ({"access": "private", "bus": "designated"}, True),
        ({"motor_vehicle": "no"}, False),
        ({"motor_vehicle": "no", "bus": "yes"}, True),
        ({"access": "yes", "bus": "no"}, False),
    ],
)
def test_access_rules(tags: dict[str, str], allowed: bool) -> None:
    assert bus_may_use(tags) is allowed


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"oneway": "yes"}, 1),
        ({"oneway": "-1"}, -1),
        ({"junction": "roundabout"}, 1),
        ({"highway": "motorway"}, 1),
        ({"oneway": "yes", "oneway:bus": "no"}, 0),
        ({}, 0),
    ],
)
def test_oneway(tags: dict[str, str], direction: int) -> None:
    assert oneway_direction(tags) == direction


def test_speed_is_capped_and_profile_validated() -> None:
    profile = RoadProfile()
    assert profile.speed_kmh("motorway", "130") == profile.max_speed_kmh
    assert profile.speed_kmh("residential", None) == 30
    with pytest.raises(ValueError):
        RoadProfile(max_speed_kmh=0)
    assert RoadProfile().key() == RoadProfile().key() != RoadProfile(include_service=True).key()
