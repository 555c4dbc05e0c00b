"""The plan payload a driver receives: polylines, names, windows, depot, delays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from dispatch.engine.events import PlanChanged, Promise, TripSpec, VehicleAdded
from dispatch.engine.params import EngineParams
from dispatch.engine.state import Trip, VehicleState
from dispatch.engine.trips import break_trip
from dispatch.engine.views import EngineView, ViewBuilder
from dispatch.model import PlannedStop, RequestId, Route, StopKind, TimeWindow, VehicleId
from dispatch.roads.geometry import Geometry, decode_polyline, encode_polyline
from dispatch.service.plan_payload import (
    NamedStop,
    PlanPayloads,
    delayed_route,
    needs_roads,
    with_roads,
)

T0 = 1_800_000_000


def test_polyline_matches_googles_reference_example() -> None:
    points = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
    assert encode_polyline(points) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    assert decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@") == points


@given(st.lists(st.tuples(st.floats(-89, 89), st.floats(-179, 179)), max_size=30))
def test_polyline_round_trip_within_precision(points: list[tuple[float, float]]) -> None:
    back = decode_polyline(encode_polyline(points))
    assert len(back) == len(points)
    for (a, b), (c, d) in zip(points, back, strict=True):
        assert abs(a - c) <= 0.5e-5 + 1e-9 and abs(b - d) <= 0.5e-5 + 1e-9


@dataclass
class _Path:
    polyline: Sequence[tuple[float, float]]


class LineRoads:
    """Nodes on a line of longitudes: node n at (50.0, 11.0 + n / 100)."""

    routes = 0

    def node_coords(self, node: int) -> tuple[float, float]:
        return 50.0, 11.0 + node / 100

    def route(self, source: int, target: int) -> _Path:
        self.routes += 1
        step = 1 if target >= source else -1
        return _Path([self.node_coords(n) for n in range(source, target + step, step)])


def _stop(rid: str, kind: StopKind, arrival: int, start: int, service: int = 60) -> PlannedStop:
    return PlannedStop(RequestId(rid), kind, 0, arrival, start, start + service, (1, 0))


def _payloads() -> tuple[PlanPayloads, LineRoads]:
    trip = Trip(
        "b1",
        TripSpec(3, 7, 2, 1),
        Promise(TimeWindow(T0 + 600, T0 + 1200), T0 + 3000),
        3000,
        60,
        60,
    )
    vehicle = VehicleState("bus-1@2027-01-15", 8, 1, 0, T0, T0 + 36000, 1, T0)
    pause = break_trip(
        VehicleAdded(vehicle.vehicle_id, 8, 1, 0, T0, T0 + 36000), 0, T0 + 1500, T0 + 2100,
        EngineParams(),
    )  # fmt: skip
    roads = LineRoads()
    view = _view({"b1": trip, pause.booking_id: pause}, vehicle)
    payloads = PlanPayloads(
        Geometry(roads),  # type: ignore[arg-type]
        UTC,
        {3: NamedStop("osm-3", "Kirche")},
        lambda: view,
    )
    return payloads, roads


def _view(trips: dict[str, Trip], vehicle: VehicleState) -> EngineView:
    """What the engine thread would publish for these trips and this vehicle."""
    engine = SimpleNamespace(
        vehicles={vehicle.vehicle_id: vehicle},
        trips=trips,
        solving=None,
        state_version=1,
        open_trips=lambda: trips,
    )
    return ViewBuilder().build(engine)  # type: ignore[arg-type]


def _change(with_break: bool = False) -> PlanChanged:
    stops = [
        _stop("b1", StopKind.PICKUP, T0 + 120, T0 + 600),
        _stop("b1", StopKind.DROPOFF, T0 + 900, T0 + 900),
    ]
    nodes = [3, 7]
    if with_break:  # the planned break, at the depot (node 0)
        stops.append(_stop("break-0@bus-1@2027-01-15", StopKind.BREAK, T0 + 1500, T0 + 1500, 600))
        nodes.append(0)
    end = stops[-1].departure + 600 if with_break else T0 + 1500
    route = Route(VehicleId("bus-1@2027-01-15"), T0, tuple(stops), end)
    return PlanChanged("bus-1@2027-01-15", 5, route, tuple(nodes))


def test_published_plan_has_names_windows_load_legs_break_and_depot() -> None:
    payloads, _ = _payloads()
    published = payloads.published(_change(with_break=True), "bus-1", T0)
    plan = with_roads(published, payloads.geometry)
    assert plan["vehicle_id"] == "bus-1" and plan["shift_id"] == "bus-1@2027-01-15"
    kinds = [s["kind"] for s in plan["stops"]]
    assert kinds == ["pickup", "dropoff", "break", "depot"]
    pickup, dropoff = plan["stops"][0], plan["stops"][1]
    assert pickup["stop_id"] == "b1/pickup" and pickup["name"] == "Kirche"
    assert pickup["virtual_stop_id"] == "osm-3"
    assert (pickup["passengers"], pickup["wheelchairs"]) == (2, 1)
    assert pickup["window_start"] == "2027-01-15T08:10:00+00:00"
    assert dropoff["window_start"] is None and dropoff["window_end"] == "2027-01-15T08:50:00+00:00"
    # the first leg starts where the vehicle is (node 1), the next where the pickup is
    assert decode_polyline(pickup["route_to"])[0] == (50.0, 11.01)
    assert decode_polyline(pickup["route_to"])[-1] == (50.0, 11.03)
    assert decode_polyline(dropoff["route_to"])[-1] == (50.0, 11.07)
    assert decode_polyline(plan["stops"][-1]["route_to"])[-1] == (50.0, 11.0)
    assert pickup["travel_s"] == 120 and dropoff["travel_s"] == 900 - 660
    pause = plan["stops"][2]
    assert pause["stop_id"] == "break-0@bus-1@2027-01-15/break" and pause["booking_id"] is None
    assert (pause["passengers"], pause["service_start"], pause["departure"]) == (
        0,
        "2027-01-15T08:25:00+00:00",
        "2027-01-15T08:35:00+00:00",
    )


def test_legs_are_drawn_once_and_only_for_a_driver() -> None:
    payloads, roads = _payloads()
    published = payloads.published(_change(), "bus-1", T0)
    assert roads.routes == 0  # publishing a version draws no road
    assert all(s["route_to"] is None for s in published["stops"]) and needs_roads(published)
    sent = with_roads(published, payloads.geometry)
    drawn = roads.routes
    assert drawn == 3 and not needs_roads(sent) and all(s["route_to"] for s in sent["stops"])
    assert "leg" in published["stops"][0]  # the published version stays as it was
    with_roads(payloads.published(_change(), "bus-1", T0 + 5), payloads.geometry)
    assert roads.routes == drawn


def test_stored_stops_keep_the_visit_order_for_a_restart() -> None:
    payloads, _ = _payloads()
    stored = payloads.stored_stops(_change())
    assert [(s["booking_id"], s["kind"]) for s in stored] == [("b1", "pickup"), ("b1", "dropoff")]


def test_delay_carries_forward_minus_planned_waiting() -> None:
    route = _change().route
    # 10 minutes late at the first stop: the plan waited 480 s there, so the pickup starts
    # 120 s late, and the drop-off (no waiting planned) is 120 s late too.
    late = delayed_route(route, T0 + 720)
    assert [s.start for s in late.stops] == [T0 + 720, T0 + 1020]
    assert late.end_arrival == T0 + 1620
    # early: nothing moves earlier than planned
    early = delayed_route(route, T0 + 60)
    assert [s.start for s in early.stops] == [s.start for s in route.stops]
