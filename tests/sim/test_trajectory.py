"""The trajectory checker: a valid hand-made day passes; each kind of violation is found.

The day (60 s a block, boarding 60 s, alighting 45 s): bus v leaves depot 0 at T0+0,
picks rider a (two people) up at node 1 (T0+60–120), drives to node 3 (T0+240), drops
them off (T0+240–285) and takes its 10-minute break there (the checker knows breaks
only as "nobody on board, as long as planned").
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dispatch.sim.trajectory import (
    Booking,
    Bus,
    Records,
    Rules,
    SegmentPoint,
    StopRow,
    check,
    summarise,
)
from tests.sim.grid import T0, grid_roads

RULES = Rules(
    boarding_s=60, alighting_s=45, wheelchair_extra_s=180, ride_factor=1.5, ride_extra_s=45
)


def valid() -> Records:
    timeline = [
        ("v", T0, 0),
        ("v", T0 + 60, 1),
        ("v", T0 + 120, 1),
        ("v", T0 + 180, 2),
        ("v", T0 + 240, 3),
        ("v", T0 + 285, 3),
        ("v", T0 + 300, 3),
        ("v", T0 + 900, 3),
    ]
    stops = [
        StopRow("v", "a", "pickup", 1, T0 + 60, T0 + 60, T0 + 120),
        StopRow("v", "a", "dropoff", 3, T0 + 240, T0 + 240, T0 + 285),
        StopRow("v", "break-0@v", "break", 3, T0 + 300, T0 + 300, T0 + 900),
    ]
    bookings = {"a": Booking("a", "served", 2, 0, 1, 3, T0, T0 + 600, T0 + 900)}
    buses = {"v": Bus("v", 4, 1, breaks=((T0 + 300, T0 + 900),))}
    return Records(RULES, buses, bookings, timeline, stops)


def kinds(records: Records) -> list[str]:
    return [v.kind for v in check(records, grid_roads())]


def test_a_valid_day_passes() -> None:
    assert check(valid(), grid_roads()) == []
    assert summarise([]).line() == "trajectory check: 0 violations"


def test_a_bus_faster_than_the_road() -> None:
    r = valid()
    r.timeline[3] = ("v", T0 + 130, 2)  # node 1 → 2 in 10 s, the road takes 60 s
    assert "too_fast" in kinds(r)


def test_time_running_backwards() -> None:
    r = valid()
    r.timeline[1] = ("v", T0 - 10, 1)
    assert "too_fast" in kinds(r)


def test_a_stop_shorter_than_boarding() -> None:
    r = valid()
    r.stops[0] = replace(r.stops[0], end=T0 + 90)
    r.timeline[2] = ("v", T0 + 90, 1)
    assert kinds(r) == ["short_stop"]


def test_a_break_shorter_than_planned() -> None:
    r = valid()
    r.stops[2] = replace(r.stops[2], end=T0 + 600)
    r.timeline[7] = ("v", T0 + 600, 3)
    assert kinds(r) == ["short_stop"]


def test_service_before_arrival() -> None:
    r = valid()
    r.stops[0] = replace(r.stops[0], start=T0 + 50)
    assert "early_service" in kinds(r)


def test_a_stop_where_the_bus_was_not() -> None:
    r = valid()
    r.stops[0] = replace(r.stops[0], node=2)
    assert "stop_elsewhere" in kinds(r)


def test_a_ride_shorter_than_the_direct_drive() -> None:
    """The stop log says the drop-off came 30 s after boarding; the drive takes 120 s."""
    r = valid()
    r.stops[1] = replace(r.stops[1], arrival=T0 + 150, start=T0 + 150)
    kinds_found = kinds(r)
    assert "ride_too_short" in kinds_found


def test_more_riders_than_seats() -> None:
    r = valid()
    r.buses["v"] = Bus("v", 1, 1, breaks=r.buses["v"].breaks)
    assert kinds(r) == ["capacity"]


def test_wheelchairs_need_wheelchair_places() -> None:
    r = valid()
    r.bookings["a"] = replace(r.bookings["a"], wheelchairs=1)
    r.buses["v"] = Bus("v", 4, 0, breaks=r.buses["v"].breaks)
    found = kinds(r)
    assert "capacity" in found
    assert "short_stop" in found  # a wheelchair needs 180 s more at each stop


def test_riders_on_board_during_a_break() -> None:
    r = valid()
    r.stops[1], r.stops[2] = (
        StopRow("v", "a", "dropoff", 3, T0 + 900, T0 + 900, T0 + 945),
        StopRow("v", "break-0@v", "break", 3, T0 + 240, T0 + 240, T0 + 900),
    )
    r.timeline[4:] = [("v", T0 + 240, 3), ("v", T0 + 900, 3), ("v", T0 + 945, 3)]
    r.bookings["a"] = replace(r.bookings["a"], latest_arrival=T0 + 2000)
    assert "break_not_empty" in kinds(r)


def test_a_broken_pickup_window() -> None:
    r = valid()
    r.bookings["a"] = replace(r.bookings["a"], window_start=T0 + 120)
    assert kinds(r) == ["pickup_window"]


def test_a_late_arrival() -> None:
    r = valid()
    r.bookings["a"] = replace(r.bookings["a"], latest_arrival=T0 + 200)
    assert kinds(r) == ["latest_arrival"]


def test_a_ride_longer_than_the_rule() -> None:
    r = valid()
    r.rules = replace(RULES, ride_factor=0.5, ride_extra_s=30)  # allows 90 s; the ride is 120 s
    assert kinds(r) == ["ride_time_rule"]


def test_a_pickup_without_drop_off() -> None:
    r = valid()
    del r.stops[1]
    assert "incomplete" in kinds(r)


def test_a_served_request_without_stops() -> None:
    r = valid()
    r.stops = [r.stops[2]]
    assert kinds(r) == ["incomplete"]


def test_nodes_off_the_map() -> None:
    r = valid()
    r.timeline[1] = ("v", T0 + 60, 1000)
    assert "too_fast" in kinds(r)


def test_the_summary_names_the_first_violations() -> None:
    r = valid()
    r.timeline[3] = ("v", T0 + 130, 2)
    summary = summarise(check(r, grid_roads()))
    assert summary.total >= 1
    assert "too_fast" in summary.line() and "the fastest drive takes 60 s" in summary.line()


def test_parallel_roads_keep_the_fastest() -> None:
    """A second, slower edge between the same nodes must not make the checker lenient."""
    roads = grid_roads()
    indptr = roads.indptr.copy()
    indices = np.insert(roads.indices, indptr[1], 1)  # another road 0 → 1 ...
    travel = np.insert(roads.travel_s, indptr[1], 600)  # ... taking 600 s
    indptr[1:] += 1
    slower = type(roads)(indptr, indices, travel)
    r = valid()
    r.timeline[1] = ("v", T0 + 59, 1)
    assert "too_fast" in [v.kind for v in check(r, slower)]


def test_points_on_a_segment_split_the_road() -> None:
    """An address 20 s along the two-way road 0 → 1 (60 s): reached from node 0 in 20 s,
    from node 1 in 40 s; it cannot be reached faster, and it is not a shortcut."""
    point = SegmentPoint(5000, 0, 1, 60, 20, 60, 40, offset_m=166)
    ok = Records(RULES, {}, {}, [("v", T0, 0), ("v", T0 + 20, 5000), ("v", T0 + 60, 1)], [])
    ok.points = [point]
    assert check(ok, grid_roads()) == []
    back = Records(RULES, {}, {}, [("v", T0, 1), ("v", T0 + 40, 5000)], [], [point])
    assert check(back, grid_roads()) == []
    fast = Records(RULES, {}, {}, [("v", T0, 0), ("v", T0 + 10, 5000)], [], [point])
    assert [v.kind for v in check(fast, grid_roads())] == ["too_fast"]
    unknown = Records(RULES, {}, {}, [("v", T0, 0), ("v", T0 + 60, 5001)], [], [point])
    assert [v.kind for v in check(unknown, grid_roads())] == ["too_fast"]
