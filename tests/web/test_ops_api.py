"""The dispatcher's and the maps' read-only API: fleet view (staff only) and road network."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from dispatch.roads.geometry import decode_polyline, road_map
from dispatch.roads.network import OsmSource, load_road_network
from tests.web.conftest import TOMORROW, ZONE, Server, agent_headers, book_via_api

DATA = Path(__file__).resolve().parents[1] / "data"


def _decode(payload: dict[str, object]) -> list[list[tuple[float, float]]]:
    return [decode_polyline(line) for line in payload["roads"]]  # type: ignore[attr-defined]


def test_roads_are_each_road_once_from_junction_to_junction(tmp_path: Path) -> None:
    network = load_road_network(OsmSource(path=DATA / "village.osm"), cache_dir=tmp_path)
    g = network.graph

    def at(node: int) -> tuple[float, float]:
        return (round(float(g.lat[node]) * 1e5) / 1e5, round(float(g.lon[node]) * 1e5) / 1e5)

    roads = {
        frozenset({a, int(b)})
        for a in range(g.n_nodes)
        for b in g.indices[g.indptr[a] : g.indptr[a + 1]]
    }
    lines = _decode(road_map(network.graph))
    assert len(lines) == len(roads)
    assert Counter(frozenset({line[0], line[-1]}) for line in lines) == Counter(
        frozenset(at(n) for n in road) for road in roads
    )
    inner_points = int(g.geom_ptr[-1])
    assert sum(len(line) for line in lines) > 2 * len(roads) or inner_points == 0


realdata = pytest.mark.realdata


@realdata
def test_map_roads_is_public_compressed_and_cacheable(server: Server) -> None:
    plain = httpx.get(f"{server.url}/v1/map/roads", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    payload = plain.json()
    south, west, north, east = payload["bounds"]
    points = [p for line in _decode(payload) for p in line]
    assert points and all(
        south - 1e-4 <= lat <= north + 1e-4 and west - 1e-4 <= lon <= east + 1e-4
        for lat, lon in points
    )
    with httpx.stream(
        "GET", f"{server.url}/v1/map/roads", headers={"Accept-Encoding": "gzip"}
    ) as zipped:
        raw = b"".join(zipped.iter_raw())
        assert zipped.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(raw)) == payload
    assert len(raw) < len(plain.content) * 0.8  # encoded polylines are compact already
    again = httpx.get(
        f"{server.url}/v1/map/roads", headers={"If-None-Match": plain.headers["etag"]}
    )
    assert again.status_code == 304


@realdata
def test_fleet_needs_a_staff_token(server: Server) -> None:
    assert httpx.get(f"{server.url}/v1/ops/fleet").status_code == 401
    wrong = httpx.get(
        f"{server.url}/v1/ops/fleet", headers={"Authorization": "Bearer nope-nope-nope-nope"}
    )
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")


@realdata
def test_fleet_shows_a_days_vehicles_plans_and_bookings(server: Server) -> None:
    booked = book_via_api(server, hour=10)
    fleet = httpx.get(
        f"{server.url}/v1/ops/fleet",
        params={"day": TOMORROW.isoformat()},
        headers=agent_headers(),
        timeout=30,
    ).json()
    assert fleet["day"] == TOMORROW.isoformat()
    assert fleet["vehicles"] and all(v["name"].startswith("Rufbus") for v in fleet["vehicles"])
    assert not any(v["in_service"] or v["lost_contact"] for v in fleet["vehicles"])
    assert not any(v["position"]["reported"] for v in fleet["vehicles"]), "nobody drove yet"
    serving = [
        v
        for v in fleet["vehicles"]
        if any(s["booking_id"] == booked["booking_id"] for s in v["next_stops"])
    ]
    assert len(serving) == 1, fleet["vehicles"]
    stops = [s for s in serving[0]["next_stops"] if s["booking_id"] == booked["booking_id"]]
    assert [s["kind"] for s in stops] == ["pickup", "dropoff"]
    assert stops[0]["name"] == booked["pickup"]["name"]
    assert len(decode_polyline(serving[0]["route"])) >= 2
    listed = {b["booking_id"]: b for b in fleet["bookings"]}
    assert listed[booked["booking_id"]]["status"] == "confirmed"
    assert isinstance(fleet["reoptimisations"], list)
    # The operator's log has one line for the booking: its stops, never the rider or an address.
    line = next((x for x in server.log.read_text().splitlines() if booked["booking_id"] in x), "")
    assert f"booking {booked['booking_id']} confirmed: 1 rider(s) from 'Neudrossenfeld" in line
    assert "to an address, pickup " in line and "Erna" not in line and "50.03" not in line


@realdata
def test_the_riders_bus_is_shown_only_once_it_is_on_its_way(server: Server) -> None:
    booked = book_via_api(server, hour=14)
    where = f"{server.url}/v1/bookings/{booked['booking_id']}/vehicle"
    assert httpx.get(where).status_code == 401
    assert httpx.get(where, headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    mine = {"Authorization": f"Bearer {booked['access_token']}"}
    assert httpx.get(where, headers=mine).json() == {"vehicle": None}, (
        "tomorrow's bus is not out yet"
    )
    assert httpx.get(where, headers=agent_headers()).json() == {"vehicle": None}
    # Without staff rights an unknown id answers as a booking without its token would:
    # nobody can probe which ids exist. Staff learn that it does not exist.
    for path in ("/v1/bookings/b_nope/vehicle", "/v1/bookings/b_nope"):
        assert httpx.get(f"{server.url}{path}").status_code == 401
        assert httpx.get(f"{server.url}{path}", headers=mine).status_code == 401
        assert httpx.get(f"{server.url}{path}", headers=agent_headers()).status_code == 404
    gone = httpx.post(f"{server.url}/v1/bookings/b_nope/cancel", headers=mine)
    assert gone.status_code == 401


class _Subscribers:
    def __init__(self, connected: bool) -> None:
        self.connected = connected

    def subscriber_count(self, vehicle_id: str) -> int:
        return 1 if self.connected else 0


def _runtime(now: int, departure: int, connected: bool, status: object = None) -> object:
    from datetime import UTC
    from types import MappingProxyType, SimpleNamespace

    from dispatch.engine.events import Promise, TripSpec
    from dispatch.engine.views import EngineView, ShiftView, StopView, TripView
    from dispatch.model import (
        BookingStatus,
        PlannedStop,
        RequestId,
        Route,
        StopKind,
        TimeWindow,
        VehicleId,
    )

    pickup = PlannedStop(RequestId("b1"), StopKind.PICKUP, 0, 1_000, 1_000, 1_060, (1, 0))  # type: ignore[arg-type]
    route = Route(VehicleId("bus-1@d"), departure, (pickup,), 2_000)
    trip = TripView(
        "b1",
        TripSpec(3, 7, 1),
        Promise(TimeWindow(900, 1_500), 3_000),
        status or BookingStatus.CONFIRMED,  # type: ignore[arg-type]
        "bus-1@d",
        is_break=False,
    )
    shift = ShiftView(
        "bus-1@d", 0, 0, 10_000, 0, now, 1, False, route, (StopView(pickup, 3, trip),)
    )
    view = EngineView(
        MappingProxyType({"bus-1@d": shift}), MappingProxyType({"b1": trip}), False, ()
    )
    return SimpleNamespace(
        views=SimpleNamespace(current=view),
        clock=lambda: now,
        publisher=_Subscribers(connected),
        connected=lambda shift_id: connected,
        network=SimpleNamespace(node_coords=lambda node: (50.0, 11.5)),
        config=SimpleNamespace(zone=UTC),
    )


@pytest.mark.parametrize(
    ("now", "departure", "connected", "on_its_way"),
    [
        (900, 880, True, True),  # set off for the rider's pickup, device online
        (900, 880, False, False),  # nobody drives the bus: its "position" is the depot
        (500, 880, True, False),  # the pickup is next, but the bus leaves for it later
    ],
)
def test_on_its_way_only_when_the_bus_has_set_off_with_its_device_connected(
    now: int, departure: int, connected: bool, on_its_way: bool
) -> None:
    from rider_api.ops import bus_on_its_way

    where = bus_on_its_way(_runtime(now, departure, connected), "b1")  # type: ignore[arg-type]
    assert (where is not None) is on_its_way


@pytest.mark.realdata
def test_the_service_clock_of_a_live_service(server: Server) -> None:
    from datetime import datetime

    clock = httpx.get(f"{server.url}/v1/clock").json()
    assert clock["demo"] is False and clock["speedup"] == 1.0
    assert clock["time_zone"] == ZONE
    now = datetime.fromisoformat(clock["now"])
    assert now.utcoffset() is not None and abs(now.timestamp() - datetime.now().timestamp()) < 60
