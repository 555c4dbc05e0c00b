"""The demo's log: one readable line per bus event, in demo time, and a summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dispatch.demo.narration import event_line, every_s, summary_line

PLAN = {
    "stops": [
        {"stop_id": "b1/pickup", "kind": "pickup", "booking_id": "b1", "name": "Harsdorf",
         "eta": "2026-12-01T07:14:00+01:00", "passengers": 2, "wheelchairs": 0,
         "rider": {"first_name": "Erna", "notes": ""}},
        {"stop_id": "b1/dropoff", "kind": "dropoff", "booking_id": "b1", "name": "Waldau",
         "eta": "2026-12-01T07:30:00+01:00", "passengers": 2, "wheelchairs": 0,
         "rider": {"first_name": "Erna", "notes": ""}},
        {"stop_id": "brk-1", "kind": "break", "booking_id": None, "name": "Break (Neudrossenfeld)",
         "eta": "2026-12-01T09:00:00+01:00", "departure": "2026-12-01T09:30:00+01:00"},
        {"stop_id": "depot", "kind": "depot", "booking_id": None, "name": "Depot"},
    ]
}  # fmt: skip
SEVEN_FOURTEEN = 1_796_105_640  # 2026-12-01 07:14 in Berlin


@dataclass
class FakeBus:
    vehicle_id: str = "bus-1"
    plan: dict[str, Any] | None = field(default_factory=lambda: PLAN)
    served: set[str] = field(default_factory=set)

    def clock(self) -> int:
        return SEVEN_FOURTEEN


def test_one_line_per_event_in_demo_time() -> None:
    bus = FakeBus()
    assert event_line(bus, "b1/pickup", "arrived") == (
        "07:14 bus-1 arrived at Harsdorf to pick up Erna with 1 more"
    )
    assert (
        event_line(bus, "b1/pickup", "boarded")
        == "07:14 bus-1 picked up Erna with 1 more at Harsdorf"
    )
    assert (
        event_line(bus, "b1/dropoff", "alighted")
        == "07:14 bus-1 dropped off Erna with 1 more at Waldau"
    )
    assert event_line(bus, "b1/pickup", "no_show") == (
        "07:14 bus-1 reported Erna with 1 more as a no-show at Harsdorf"
    )
    assert event_line(bus, "b1/dropoff", "departed") is None, "said already by 'dropped off'"
    assert event_line(bus, "brk-1", "arrived") == (
        "07:14 bus-1 starts its break (Break (Neudrossenfeld), until 09:30)"
    )
    assert event_line(bus, "brk-1", "departed") == "07:14 bus-1 ends its break"


def test_summary_counts_riders_on_board_and_what_each_bus_does() -> None:
    riding = FakeBus("bus-2", served={"b1/pickup"})
    idle = FakeBus("bus-3", plan={"stops": []})
    line = summary_line([FakeBus(), riding, idle], booked=12, refused=2)
    assert line.startswith("07:14 summary: 12 rides booked, 2 without offer, 2 riders on board;")
    assert "bus-1 → Harsdorf (2 stops left)" in line
    assert "bus-2 → Waldau (1 stop left)" in line and "bus-3 idle" in line


def test_summaries_come_every_few_demo_minutes_but_not_as_a_flood() -> None:
    assert every_s(5, speedup=1) == 300
    assert every_s(5, speedup=10) == 30
    assert every_s(5, speedup=100) == 30


def test_summary_says_one_rider_and_one_ride_in_the_singular() -> None:
    one = {"stop_id": "b9/dropoff", "kind": "dropoff", "booking_id": "b9", "passengers": 1}
    bus = FakeBus("bus-2", plan={"stops": [{**one, "name": "Waldau"}]})
    line = summary_line([bus], booked=1, refused=0)
    assert "summary: 1 ride booked, 0 without offer, 1 rider on board;" in line
