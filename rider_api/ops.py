"""Read-only views for the dispatcher and the maps: the fleet now, and the road network.

``GET /v1/ops/fleet`` (agent or admin token) shows every vehicle of today's shifts
with its position, its current plan, whether it runs late and whether its driver's
device is connected, today's bookings with their states, and the latest re-optimisations.

The engine thread is the only writer of the live state. This module only reads it:
``list(dict.values())`` copies the vehicle table in one step under the interpreter
lock and every field read is a single attribute load, so a view may be a moment old
but never half-updated (a vehicle's route is a frozen ``Route``, replaced whole).

``GET /v1/map/roads`` (public: it is OpenStreetMap data) is the service's road network
as delta-encoded polylines, small enough to draw an offline map in the browser.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from dispatch.engine.state import VehicleState
from dispatch.errors import InputError
from dispatch.model import BookingId, BookingStatus, PlannedStop, StopKind, vehicle_of
from dispatch.roads.network import RoadNetwork
from dispatch.service.runtime import Runtime
from dispatch.store.records import Booking
from rider_api.deps import BearerToken, BookingIdPath, CurrentAgent, OptionalPrincipal
from rider_api.openapi import problems

router = APIRouter(prefix="/v1", tags=["dispatcher"])

#: How many of a vehicle's next stops the dispatcher sees (and the route is drawn to).
NEXT_STOPS = 4
#: Coordinates are sent as integers in units of 1e-5 degrees (about a metre).
SCALE = 100_000


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# ---- the road network -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncodedRoads:
    body: bytes
    gzipped: bytes
    etag: str


def encode_roads(network: RoadNetwork) -> dict[str, Any]:
    """Each road once (two-way roads are not repeated), as ``[lat0, lon0, dlat1, dlon1, ...]``,
    and the map's named places (villages, hamlets) to label the map with."""
    g = network.graph
    lines: list[list[int]] = []
    seen: set[tuple[int, int]] = set()
    for a in range(g.n_nodes):
        for k in range(int(g.indptr[a]), int(g.indptr[a + 1])):
            b = int(g.indices[k])
            key = (min(a, b), max(a, b))
            if key in seen:
                continue
            seen.add(key)
            inner = range(int(g.geom_ptr[k]), int(g.geom_ptr[k + 1]))
            points = [(g.lat[a], g.lon[a])]
            points += [(g.geom_lat[i], g.geom_lon[i]) for i in inner]
            points.append((g.lat[b], g.lon[b]))
            lines.append(_delta(points))
    lat, lon = g.lat, g.lon
    return {
        "scale": SCALE,
        "bbox": [float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max())],
        "lines": lines,
        "places": [
            {
                "name": p.name,
                "lat": round(p.lat, 5),
                "lon": round(p.lon, 5),
                "kind": p.kind,
                "population": p.population,
            }
            for p in network.places
        ],
    }


def _delta(points: list[tuple[Any, Any]]) -> list[int]:
    out: list[int] = []
    prev_lat = prev_lon = 0
    for lat, lon in points:
        qlat, qlon = round(float(lat) * SCALE), round(float(lon) * SCALE)
        if out and qlat == prev_lat and qlon == prev_lon:
            continue
        out += [qlat - prev_lat, qlon - prev_lon]
        prev_lat, prev_lon = qlat, qlon
    return out


_roads_lock = threading.Lock()


def _encoded_roads(runtime: Runtime, app_state: Any) -> EncodedRoads:
    with _roads_lock:
        cached = getattr(app_state, "encoded_roads", None)
        if isinstance(cached, EncodedRoads):
            return cached
        body = json.dumps(encode_roads(runtime.network), separators=(",", ":")).encode()
        encoded = EncodedRoads(
            body, gzip.compress(body, 6), '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        )
        app_state.encoded_roads = encoded
        return encoded


@router.get(
    "/map/roads",
    summary="The road network for an offline map",
    responses={304: {"description": "Not modified (the ETag given in If-None-Match)"}},
)
async def roads(
    request: Request,
    accept_encoding: str | None = Header(default=None),
    if_none_match: str | None = Header(default=None),
) -> Response:
    """``{"scale", "bbox": [south, west, north, east], "lines": [[lat0, lon0, dlat, dlon, ...]],
    "places": [{"name", "lat", "lon", "kind", "population"}]}``: line coordinates are integers in
    units of ``1/scale`` degrees, each after the first relative to the previous point; places
    are OSM's named places (``kind`` city, town, village, suburb, hamlet, isolated_dwelling)."""
    encoded = await run_in_threadpool(_encoded_roads, _runtime(request), request.app.state)
    headers = {"ETag": encoded.etag, "Cache-Control": "public, max-age=3600"}
    if if_none_match == encoded.etag:
        return Response(status_code=304, headers=headers)
    headers["Vary"] = "Accept-Encoding"
    if accept_encoding and "gzip" in accept_encoding:
        headers["Content-Encoding"] = "gzip"
        return Response(encoded.gzipped, media_type="application/json", headers=headers)
    return Response(encoded.body, media_type="application/json", headers=headers)


# ---- the fleet --------------------------------------------------------------------------


class RouteLines:
    """Polylines from a vehicle's position through its next stops, cached per plan version."""

    def __init__(self, network: RoadNetwork, size: int = 256) -> None:
        self.network = network
        self.size = size
        self._cache: OrderedDict[tuple[Any, ...], list[list[float]]] = OrderedDict()
        self._lock = threading.Lock()

    def line(self, nodes: list[int]) -> list[list[float]]:
        key = tuple(nodes)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        points: list[list[float]] = []
        for a, b in pairwise(nodes):
            if a != b:
                points += [
                    [round(p[0], 5), round(p[1], 5)] for p in self.network.route(a, b).polyline
                ]
        with self._lock:
            self._cache[key] = points
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return points


def _route_lines(request: Request, runtime: Runtime) -> RouteLines:
    lines = getattr(request.app.state, "route_lines", None)
    if not isinstance(lines, RouteLines):
        lines = RouteLines(runtime.network)
        request.app.state.route_lines = lines
    return lines


#: Days before or after today the dispatcher view may show.
MAX_DAYS_AWAY = 366


def check_day(day: date, today: date, what: str = "day") -> date:
    """``day`` if it lies within a year of ``today``; else an ``InputError`` naming ``what``."""
    if abs((day - today).days) > MAX_DAYS_AWAY:
        raise InputError(f"{what}: give a date within {MAX_DAYS_AWAY} days of today")
    return day


def _day_bounds(runtime: Runtime, now: int, day: date | None) -> tuple[int, int]:
    zone = runtime.config.zone
    today = datetime.fromtimestamp(now, zone).date()
    chosen = check_day(day, today) if day is not None else today
    start = datetime.combine(chosen, time(0), zone)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())


def fleet_view(
    runtime: Runtime, lines: RouteLines, now: int, day: date | None = None
) -> dict[str, Any]:
    """What the dispatcher sees: vehicles and bookings of ``day`` (today), re-optimisations."""
    day_start, day_end = _day_bounds(runtime, now, day)
    bookings = runtime.repo.list_bookings_between(day_start, day_end)
    by_id = {b.id: b for b in bookings}
    vehicles = [
        v
        for v in list(runtime.engine.vehicles.values())
        if v.shift_start < day_end and v.shift_end > max(now, day_start)
    ]
    vehicles.sort(key=lambda v: (vehicle_of(v.vehicle_id), v.shift_start))
    names = {v.id: v.name or v.id for v in runtime.config.fleet.vehicles}
    return {
        "now": runtime.booking.iso(now),
        "day": datetime.fromtimestamp(day_start, runtime.config.zone).date().isoformat(),
        "vehicles": [_vehicle(runtime, lines, v, now, names, by_id) for v in vehicles],
        "bookings": [_booking(runtime, b) for b in bookings],
        "reoptimisations": [
            {
                "at": runtime.booking.iso(int(a["at"])),
                "drive_saved_s": int(a["drive_saved_s"]),
                "vehicles_changed": int(a["vehicles_changed"]),
                "bookings_moved": int(a.get("bookings_moved", 0)),
            }
            for a in reversed(list(runtime.sink.adoptions)[-10:])
        ],
        "incidents": [
            {
                "booking_id": i.booking_id,
                "kind": i.kind,
                "detail": i.detail,
                "since": runtime.booking.iso(i.opened_at),
            }
            for i in runtime.repo.list_incidents()
        ],
    }


def _vehicle(
    runtime: Runtime,
    lines: RouteLines,
    v: VehicleState,
    now: int,
    names: dict[str, str],
    bookings: dict[BookingId, Booking],
) -> dict[str, Any]:
    base = vehicle_of(v.vehicle_id)
    lat, lon = runtime.network.node_coords(v.position_node)
    in_service = v.shift_start <= now < v.shift_end
    # A driver's device that is online listens for its shift vehicle's plan versions.
    connected = runtime.publisher.subscriber_count(v.vehicle_id) > 0
    route = v.route  # one attribute read: a frozen Route, consistent in itself
    planned = [p for p in (_planned(runtime, s) for s in (route.stops if route else ())) if p]
    late_s = max([p.late_s for p in planned] or [0])
    upcoming = planned[:NEXT_STOPS]
    return {
        "vehicle_id": v.vehicle_id,
        "name": names.get(base, base),
        "shift_start": runtime.booking.iso(v.shift_start),
        "shift_end": runtime.booking.iso(v.shift_end),
        "in_service": in_service,
        "position": {"lat": lat, "lon": lon, "at": runtime.booking.iso(v.position_at)},
        "connected": connected,
        "lost_contact": in_service and not connected,
        "late": bool(v.relaxed) or late_s > 0,
        "late_s": late_s,
        "plan_version": v.version,
        "stops_left": len(planned),
        "next_stops": [_stop(runtime, p, bookings) for p in upcoming],
        "route": lines.line([v.position_node, *(p.node for p in upcoming)]) if upcoming else [],
    }


@dataclass(frozen=True, slots=True)
class _Planned:
    stop: PlannedStop
    node: int
    late_s: int


def _planned(runtime: Runtime, stop: PlannedStop) -> _Planned | None:
    """A plan stop with its road node and how late it is against the booking's promise."""
    trip = runtime.engine.trips.get(stop.request_id)
    if trip is None:
        return None
    if stop.kind is StopKind.PICKUP:
        late = stop.start - trip.promise.pickup_window.end
        return _Planned(stop, trip.spec.pickup_node, max(0, late))
    late = stop.arrival - trip.promise.latest_arrival
    return _Planned(stop, trip.spec.dropoff_node, max(0, late))


def _stop(runtime: Runtime, p: _Planned, bookings: dict[BookingId, Booking]) -> dict[str, Any]:
    booking = bookings.get(p.stop.request_id)
    pickup = p.stop.kind is StopKind.PICKUP
    name = None
    if booking is not None:
        name = booking.origin.name if pickup else booking.destination.name
    is_break = p.stop.kind is StopKind.BREAK
    lat, lon = runtime.network.node_coords(p.node)
    return {
        "booking_id": None if is_break else str(p.stop.request_id),
        "kind": p.stop.kind.value,
        "name": name,
        "lat": lat,
        "lon": lon,
        "arrival": runtime.booking.iso(p.stop.arrival),
        # When the stop is served: a bus early for a pickup window waits for it.
        "service_start": runtime.booking.iso(p.stop.start),
        "late_s": p.late_s,
    }


def _booking(runtime: Runtime, b: Booking) -> dict[str, Any]:
    iso = runtime.booking.iso
    return {
        "booking_id": b.id,
        "status": b.status.value,
        "pickup": {
            "name": b.origin.name,
            "window_start": iso(b.pickup_window_start),
            "window_end": iso(b.pickup_window_end),
        },
        "dropoff": {"name": b.destination.name, "latest_arrival": iso(b.latest_arrival)},
        "pickup_eta": iso(b.planned_pickup),
        "passengers": b.passengers,
        "wheelchairs": b.wheelchairs,
        "vehicle_id": b.vehicle_id,
    }


@router.get("/ops/fleet", summary="The fleet now (dispatcher view)", responses=problems(401, 403))
async def fleet(
    request: Request,
    _staff: CurrentAgent,
    day: Annotated[date | None, Query(description="A service day (default: today)")] = None,
) -> dict[str, Any]:
    """Vehicles of the day's shifts (position, plan, late, lost contact), the day's
    bookings, the latest re-optimisations, and open incidents (confirmed bookings that no
    bus's plan holds: call the rider, cancel or rebook)."""
    runtime = _runtime(request)
    lines = _route_lines(request, runtime)
    return await run_in_threadpool(fleet_view, runtime, lines, runtime.clock(), day)


# ---- the rider's bus --------------------------------------------------------------------


def bus_on_its_way(runtime: Runtime, booking_id: BookingId) -> dict[str, Any] | None:
    """Where the booking's bus is, once it really drives to the rider or carries them.

    "On its way" means: the driver's device is connected (so the position is live, not the
    depot of a bus nobody drives yet), the rider's pickup is the bus's next stop, and the
    plan has the bus leave for it now (not a pickup an hour ahead, waited for at the depot).
    """
    trip = runtime.engine.trips.get(booking_id)
    if trip is None or trip.vehicle_id is None:
        return None
    vehicle = runtime.engine.vehicles.get(trip.vehicle_id)
    now = runtime.clock()
    if vehicle is None or not vehicle.shift_start <= now < vehicle.shift_end:
        return None
    if runtime.publisher.subscriber_count(vehicle.vehicle_id) == 0:
        return None
    route = vehicle.route
    next_stop = route.stops[0] if route and route.stops else None
    heading_here = (
        route is not None
        and next_stop is not None
        and str(next_stop.request_id) == booking_id
        and next_stop.kind is StopKind.PICKUP
        and route.departure <= now
    )
    if not heading_here and trip.status is not BookingStatus.ON_BOARD:
        return None
    lat, lon = runtime.network.node_coords(vehicle.position_node)
    return {"lat": lat, "lon": lon, "at": runtime.booking.iso(vehicle.position_at)}


@router.get(
    "/bookings/{booking_id}/vehicle",
    summary="The rider's bus, once it is on its way",
    responses=problems(401, 404),
)
async def booking_vehicle(
    request: Request, booking_id: BookingIdPath, token: BearerToken, staff: OptionalPrincipal
) -> dict[str, Any]:
    """``{"vehicle": {"lat", "lon", "at"} | null}``: the bus's last reported position while it
    drives to the pickup or carries the rider. Booking access token or staff token."""
    runtime = _runtime(request)

    def load() -> dict[str, Any]:
        booking = runtime.booking.authorise(booking_id, token, staff is not None)
        return {"vehicle": bus_on_its_way(runtime, booking.id)}

    return await run_in_threadpool(load)
