from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from dispatch.sim.demand import COLUMNS, DemandFormatError, format_demand, parse_demand

TZ = ZoneInfo("Europe/Berlin")
HEADER = ",".join(COLUMNS) + "\n"


def test_parses_stops_coordinates_and_lead_time() -> None:
    text = HEADER + (
        "r1,,2026-03-02T07:30,,stop-1,,,,50.01,11.52,2,1,60\n"
        "r2,2026-03-02T06:00:00+01:00,,2026-03-02T08:00,,50.02,11.50,stop-2,,,1,0,\n"
    )
    r1, r2 = sorted(parse_demand(text, TZ), key=lambda r: r.id)
    assert r1.origin.stop_id == "stop-1" and r1.destination.lat == 50.01
    assert r1.depart_after is not None and r1.booked_at == r1.depart_after - 3600
    assert (r1.passengers, r1.wheelchairs) == (2, 1)
    assert r2.arrive_by is not None and r2.depart_after is None
    assert r2.booked_at == r2.arrive_by - 2 * 3600


def test_round_trip_through_format() -> None:
    text = HEADER + "r1,,2026-03-02T07:30,,stop-1,,,stop-2,,,1,0,15\n"
    parsed = parse_demand(text, TZ)
    assert parse_demand(format_demand(parsed, TZ), TZ) == parsed


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("r,,,,s1,,,s2,,,1,0,", "line 2, depart_after/arrive_by: give exactly one"),
        ("r,,2026-03-02T07:30,2026-03-02T08:00,s1,,,s2,,,1,0,", "give exactly one"),
        ("r,,tomorrow,,s1,,,s2,,,1,0,", "line 2, depart_after: 'tomorrow' is not an ISO 8601"),
        ("r,,2026-03-02T07:30,,s1,,,s2,,,0,0,", "line 2, passengers: 0 must be between 1 and 20"),
        ("r,,2026-03-02T07:30,,s1,,,s2,,,two,0,", "passengers: 'two' is not a whole number"),
        ("r,,2026-03-02T07:30,,s1,,,s2,,,1,2,", "wheelchairs: 2 must be between 0 and 1"),
        (
            "r,,2026-03-02T07:30,,,50.0,,s2,,,1,0,",
            "origin: give a stop id or both origin_lat and origin_lon",
        ),
        (
            "r,,2026-03-02T07:30,,s1,50.0,11.0,s2,,,1,0,",
            "origin: give a stop id or coordinates, not both",
        ),
        ("r,,2026-03-02T07:30,,s1,,,,95,11,1,0,", "destination_lat: 95 must be between -90 and 90"),
        (
            "r,2026-03-02T09:00,2026-03-02T07:30,,s1,,,s2,,,1,0,",
            "booked_at: the booking is made after",
        ),
        ("r,,2026-03-02T07:30,,s1,,,s2,,,1,0,-5", "lead_min: -5 must be at least 0"),
    ],
)
def test_bad_rows_name_line_field_and_reason(row: str, message: str) -> None:
    with pytest.raises(DemandFormatError) as info:
        parse_demand(HEADER + row + "\n", TZ)
    assert message in str(info.value)


def test_all_errors_reported_together_and_duplicates_found() -> None:
    good = "a,,2026-03-02T07:30,,s1,,,s2,,,1,0,\n"
    rows = good + good + "b,,x,,s1,,,s2,,,1,0,\n"
    with pytest.raises(DemandFormatError) as info:
        parse_demand(HEADER + rows, TZ)
    assert len(info.value.errors) == 2
    assert "line 3, id: duplicate id 'a'" in info.value.errors[0]
    assert "line 4, depart_after" in info.value.errors[1]


def test_empty_file_and_unknown_columns() -> None:
    with pytest.raises(DemandFormatError, match="empty"):
        parse_demand("", TZ)
    with pytest.raises(DemandFormatError, match="unknown column"):
        parse_demand("id,when\n1,2\n", TZ)
