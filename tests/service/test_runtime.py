"""After a restart each bus plans from its last stored position, not from its depot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.engine.engine import Engine
from dispatch.engine.events import VehicleAdded
from dispatch.engine.params import EngineParams
from dispatch.errors import SnapError
from dispatch.roads.snap import SnappedPoint
from dispatch.service.runtime import position_events
from dispatch.store.records import VehicleRecord
from tests.engine.conftest import T0, GridTravelTimes

DAY = datetime.fromtimestamp(T0, UTC).date()


def snap(lat: float, lon: float) -> SnappedPoint:
    if lat > 60:
        raise SnapError("outside the service area")
    return SnappedPoint(int(lat) % 10 * 10 + int(lon) % 10, 3.0, lat, lon)


def vehicle(vid: str, lat: float | None, lon: float | None, at: int | None) -> VehicleRecord:
    return VehicleRecord(vid, vid, 4, 1, 50.0, 11.0, None, lat, lon, at)


def test_last_positions_go_back_to_todays_shifts() -> None:
    vehicles = [
        vehicle("bus-1", 54.0, 17.0, T0 + 600),  # node 47
        vehicle("bus-2", None, None, None),  # never reported
        vehicle("bus-3", 52.0, 13.0, T0 - 2 * 86400),  # on a day without a shift
        vehicle("bus-4", 70.0, 11.0, T0 + 600),  # off the road network
    ]
    days = {(v, DAY) for v in ("bus-1", "bus-2", "bus-3", "bus-4")}
    days.add(("bus-1", DAY + timedelta(days=1)))
    events = position_events(vehicles, snap, UTC, days)
    assert [(e.vehicle_id, e.node, e.at) for e in events] == [
        (f"bus-1@{DAY.isoformat()}", 47, T0 + 600)
    ]
    engine = Engine(GridTravelTimes(), EngineParams())
    shift = f"bus-1@{DAY.isoformat()}"
    engine.handle(VehicleAdded(shift, 4, 1, 0, T0, T0 + 12 * 3600), T0 + 700)
    for event in events:
        engine.handle(event, T0 + 700)
    assert engine.vehicles[shift].position_node == 47
    assert engine.vehicles[shift].position_at == T0 + 600
