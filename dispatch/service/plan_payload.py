"""What a driver's device receives for one plan version (built by the runtime's Sink).

The engine only knows road nodes and booking ids. The driver needs more: where the
stop is called, the promised window, how many people with how many wheelchairs, and
the road to drive there. This module turns a ``PlanChanged`` into that payload, in
the Sink's publishing thread. It never reads the engine's state: bookings, breaks and
the bus's position come from the view the engine thread published (``views``), which
already describes every plan version the Sink hands over (the engine thread publishes
the view before the sink stores and queues the version). The rider's first name and
notes live in the database and are added by the driver API when it sends the plan.

The road to each stop (``route_to``) is drawn by the driver API too, and only for a
driver who is connected (:func:`with_roads`): the published version names each leg by
its two road nodes (``leg``). Drawing legs is a shortest-path search per new leg; in
the production shape it so runs in the API worker that holds the driver's socket, not
in the engine's process, which answers quotes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import NotRequired, TypedDict

from dispatch.engine.events import PlanChanged
from dispatch.engine.views import EngineView, ShiftView, TripView
from dispatch.model import PlannedStop, Route, StopKind
from dispatch.roads.geometry import Geometry


class StoredStop(TypedDict):
    """One stop of a plan version as the database keeps it (enough to restore the order)."""

    booking_id: str
    kind: str
    node: int
    lat: float
    lon: float
    arrival: int
    start: int
    departure: int


class RiderNote(TypedDict):
    first_name: str
    notes: str


class PlanStopPayload(TypedDict):
    """One stop of the driver's ``plan`` message (``rider`` is added by the driver API)."""

    stop_id: str
    kind: str
    booking_id: str | None
    name: str
    virtual_stop_id: str | None
    lat: float
    lon: float
    eta: str | None
    service_start: str | None
    departure: str | None
    window_start: str | None
    window_end: str | None
    passengers: int
    wheelchairs: int
    rider: RiderNote | None
    travel_s: int
    #: The road from the previous stop (or the bus's position), as an encoded polyline:
    #: ``None`` in the published version, drawn when the version is sent to a driver.
    route_to: str | None
    #: The leg's road nodes (from, to), for drawing ``route_to``; not sent to drivers.
    leg: NotRequired[list[int]]


class PlanPayload(TypedDict):
    """The driver's ``plan`` message without its ``type`` (see ``driver_api.schemas``)."""

    vehicle_id: str
    shift_id: str
    version: int
    created_at: str | None
    stops: list[PlanStopPayload]


@dataclass(frozen=True, slots=True)
class NamedStop:
    """A virtual stop at a road node (its name is what the driver sees)."""

    stop_id: str
    name: str


class PlanPayloads:
    """Builds the stored stop list and the published payload of a plan version."""

    def __init__(
        self,
        geometry: Geometry,
        zone: tzinfo,
        stop_at_node: Mapping[int, NamedStop],
        view: Callable[[], EngineView],
    ) -> None:
        self.geometry, self.paths, self.zone = geometry, geometry.paths, zone
        self.stop_at_node, self.view = stop_at_node, view

    def stored_stops(self, c: PlanChanged) -> list[StoredStop]:
        """The compact stop list kept in the database (enough to restore the visit order)."""
        out: list[StoredStop] = []
        for stop, node in zip(c.route.stops, c.nodes, strict=True):
            lat, lon = self.paths.node_coords(node)
            out.append(
                {
                    "booking_id": str(stop.request_id),
                    "kind": stop.kind.value,
                    "node": node,
                    "lat": lat,
                    "lon": lon,
                    "arrival": stop.arrival,
                    "start": stop.start,
                    "departure": stop.departure,
                }
            )
        return out

    def published(self, c: PlanChanged, device_id: str, created_at: int) -> PlanPayload:
        """The ``plan`` message body for the driver (without rider names)."""
        view = self.view()
        vehicle = view.shifts.get(c.vehicle_id)
        previous = vehicle.position_node if vehicle is not None else (c.nodes or (0,))[0]
        last_departure = c.route.departure
        stops: list[PlanStopPayload] = []
        for stop, node in zip(c.route.stops, c.nodes, strict=True):
            trip = view.trips.get(stop.request_id)
            stops.append(self._visit(stop, trip, node, previous, last_departure))
            previous, last_departure = node, stop.departure
        if vehicle is not None:
            stops.append(self._depot(vehicle, previous, last_departure, c.route.end_arrival))
        return {
            "vehicle_id": device_id,
            "shift_id": c.vehicle_id,
            "version": c.version,
            "created_at": self.iso(created_at),
            "stops": stops,
        }

    def _visit(
        self,
        stop: PlannedStop,
        trip: TripView | None,
        node: int,
        previous: int,
        last_departure: int,
    ) -> PlanStopPayload:
        booking_id = str(stop.request_id)
        lat, lon = self.paths.node_coords(node)
        named = self.stop_at_node.get(node)
        window_start = window_end = None
        if trip is not None and stop.kind is StopKind.BREAK:
            return self._break(stop, trip, node, previous, last_departure)
        if trip is not None and stop.kind is StopKind.PICKUP:
            window_start = trip.promise.pickup_window.start
            window_end = trip.promise.pickup_window.end
        elif trip is not None:
            window_end = trip.promise.latest_arrival
        return {
            "stop_id": f"{booking_id}/{stop.kind.value}",
            "kind": stop.kind.value,
            "booking_id": booking_id,
            "name": named.name if named is not None else _coords_name(lat, lon),
            "virtual_stop_id": named.stop_id if named is not None else None,
            "lat": lat,
            "lon": lon,
            "eta": self.iso(stop.arrival),
            "service_start": self.iso(stop.start),
            "departure": self.iso(stop.departure),
            "window_start": self.iso(window_start),
            "window_end": self.iso(window_end),
            "passengers": trip.spec.passengers if trip is not None else 0,
            "wheelchairs": trip.spec.wheelchairs if trip is not None else 0,
            "rider": None,
            "travel_s": max(0, stop.arrival - last_departure),
            "route_to": None,
            "leg": [previous, node],
        }

    def _break(
        self, stop: PlannedStop, trip: TripView, node: int, previous: int, last_departure: int
    ) -> PlanStopPayload:
        """A planned break at the depot: when it may start, and until when it lasts."""
        lat, lon = self.paths.node_coords(node)
        named = self.stop_at_node.get(node)
        return {
            "stop_id": f"{trip.booking_id}/{stop.kind.value}",
            "kind": stop.kind.value,
            "booking_id": None,
            "name": f"Break ({named.name})" if named is not None else "Break (depot)",
            "virtual_stop_id": named.stop_id if named is not None else None,
            "lat": lat,
            "lon": lon,
            "eta": self.iso(stop.arrival),
            "service_start": self.iso(stop.start),
            "departure": self.iso(stop.departure),
            "window_start": self.iso(trip.promise.pickup_window.start),
            "window_end": self.iso(trip.promise.pickup_window.end),
            "passengers": 0,
            "wheelchairs": 0,
            "rider": None,
            "travel_s": max(0, stop.arrival - last_departure),
            "route_to": None,
            "leg": [previous, node],
        }

    def _depot(
        self, vehicle: ShiftView, previous: int, last_departure: int, end_arrival: int
    ) -> PlanStopPayload:
        lat, lon = self.paths.node_coords(vehicle.depot_node)
        named = self.stop_at_node.get(vehicle.depot_node)
        return {
            "stop_id": "depot",
            "kind": "depot",
            "booking_id": None,
            "name": f"Depot ({named.name})" if named is not None else "Depot",
            "virtual_stop_id": named.stop_id if named is not None else None,
            "lat": lat,
            "lon": lon,
            "eta": self.iso(end_arrival),
            "service_start": self.iso(end_arrival),
            "departure": None,
            "window_start": None,
            "window_end": self.iso(vehicle.shift_end),
            "passengers": 0,
            "wheelchairs": 0,
            "rider": None,
            "travel_s": max(0, end_arrival - last_departure),
            "route_to": None,
            "leg": [previous, vehicle.depot_node],
        }

    def iso(self, t: int | None) -> str | None:
        return None if t is None else _iso(t, self.zone)


def with_roads(payload: PlanPayload, geometry: Geometry) -> PlanPayload:
    """The payload as a driver gets it: each stop with the road to it, without its leg's
    node ids (blocking: legs not drawn before are shortest-path searches)."""
    stops: list[PlanStopPayload] = []
    for stop in payload["stops"]:
        drawn: PlanStopPayload = {**stop}
        leg = drawn.pop("leg", None)
        if leg is not None and drawn["route_to"] is None:
            drawn["route_to"] = geometry.leg(leg[0], leg[1])
        stops.append(drawn)
    return {**payload, "stops": stops}


def needs_roads(payload: PlanPayload) -> bool:
    return any("leg" in stop for stop in payload["stops"])


@lru_cache(maxsize=1 << 16)
def _iso(t: int, zone: tzinfo) -> str:
    """A plan's times repeat from version to version: each is formatted once."""
    return datetime.fromtimestamp(t, zone).isoformat()


def _coords_name(lat: float, lon: float) -> str:
    return f"{lat:.5f}, {lon:.5f}"


def delayed_route(route: Route, first_arrival: int) -> Route:
    """The route's times if the vehicle reaches its first stop at ``first_arrival``.

    A delay carries forward minus the waiting the plan had (a stop never starts before
    its planned start, so being early changes nothing).
    """
    stops: list[PlannedStop] = []
    arrival = first_arrival
    for k, stop in enumerate(route.stops):
        start = max(arrival, stop.start)
        departure = start + (stop.departure - stop.start)
        stops.append(replace(stop, arrival=arrival, start=start, departure=departure))
        if k + 1 < len(route.stops):
            arrival = departure + (route.stops[k + 1].arrival - stop.departure)
    end = stops[-1].departure + (route.end_arrival - route.stops[-1].departure) if stops else 0
    return replace(route, stops=tuple(stops), end_arrival=max(end, route.end_arrival))
