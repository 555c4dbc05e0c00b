"""What a driver's device receives for one plan version (built by the runtime's Sink).

The engine only knows road nodes and booking ids. The driver needs more: where the
stop is called, the promised window, how many people with how many wheelchairs, and
the road to drive there. This module turns a ``PlanChanged`` into that payload, in
the Sink's publishing thread, reading only what never changes once written in the
engine's state (a trip's promise and spec, a vehicle's depot and shift end; its last
position for the first leg), so a booking that is being committed right now is already
described. The rider's first name and notes live in the
database and are added by the driver API when it sends the plan.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any, Protocol

from dispatch.engine.events import PlanChanged
from dispatch.engine.state import Trip, VehicleState
from dispatch.model import BookingId, PlannedStop, Route, ShiftId, StopKind
from dispatch.roads.geometry import encode_polyline


class _Path(Protocol):
    @property
    def polyline(self) -> Sequence[tuple[float, float]]: ...


class RoadPaths(Protocol):
    """The part of the road network a plan payload needs."""

    def node_coords(self, node: int) -> tuple[float, float]: ...

    def route(self, source: int, target: int) -> _Path: ...


@dataclass(frozen=True, slots=True)
class NamedStop:
    """A virtual stop at a road node (its name is what the driver sees)."""

    stop_id: str
    name: str


class LegCache:
    """Encoded road polylines between two nodes, least recently used first out.

    Re-optimisation mostly reorders stops that were planned before, so most legs of a
    new plan version have been drawn already.
    """

    def __init__(self, paths: RoadPaths, size: int = 4096) -> None:
        self.paths = paths
        self.size = size
        self._legs: OrderedDict[tuple[int, int], str] = OrderedDict()

    def leg(self, source: int, target: int) -> str:
        key = (source, target)
        found = self._legs.get(key)
        if found is not None:
            self._legs.move_to_end(key)
            return found
        if source == target:
            encoded = encode_polyline([self.paths.node_coords(source)])
        else:
            encoded = encode_polyline(self.paths.route(source, target).polyline)
        self._legs[key] = encoded
        if len(self._legs) > self.size:
            self._legs.popitem(last=False)
        return encoded


class PlanPayloads:
    """Builds the stored stop list and the published payload of a plan version."""

    def __init__(
        self,
        paths: RoadPaths,
        zone: tzinfo,
        stop_at_node: Mapping[int, NamedStop],
        trips: Mapping[BookingId, Trip],
        vehicles: Mapping[ShiftId, VehicleState],
    ) -> None:
        self.paths, self.zone = paths, zone
        self.stop_at_node, self.trips, self.vehicles = stop_at_node, trips, vehicles
        self.legs = LegCache(paths)

    def stored_stops(self, c: PlanChanged) -> list[dict[str, Any]]:
        """The compact stop list kept in the database (enough to restore the visit order)."""
        out = []
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

    def published(self, c: PlanChanged, device_id: str, created_at: int) -> dict[str, Any]:
        """The ``plan`` message body for the driver (without rider names)."""
        vehicle = self.vehicles.get(c.vehicle_id)
        previous = vehicle.position_node if vehicle is not None else (c.nodes or (0,))[0]
        last_departure = c.route.departure
        stops: list[dict[str, Any]] = []
        for stop, node in zip(c.route.stops, c.nodes, strict=True):
            stops.append(self._visit(stop, node, previous, last_departure))
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
        self, stop: PlannedStop, node: int, previous: int, last_departure: int
    ) -> dict[str, Any]:
        booking_id = str(stop.request_id)
        trip = self.trips.get(stop.request_id)
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
            "route_to": self.legs.leg(previous, node),
        }

    def _break(
        self, stop: PlannedStop, trip: Trip, node: int, previous: int, last_departure: int
    ) -> dict[str, Any]:
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
            "route_to": self.legs.leg(previous, node),
        }

    def _depot(
        self, vehicle: VehicleState, previous: int, last_departure: int, end_arrival: int
    ) -> dict[str, Any]:
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
            "route_to": self.legs.leg(previous, vehicle.depot_node),
        }

    def iso(self, t: int | None) -> str | None:
        return None if t is None else datetime.fromtimestamp(t, self.zone).isoformat()


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
