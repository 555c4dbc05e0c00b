"""The service area's zones as polygons: from the definition, else the road network's hull.

Why the hull: riders may be picked up at any address the buses can reach, so the area a
trip planner should offer is the area the drivable network spans.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry import MultiPoint, Point, Polygon

from dispatch.config import ServiceConfig
from dispatch.roads.network import RoadNetwork


@dataclass(frozen=True, slots=True)
class Zone:
    id: str
    name: str
    polygon: Polygon  # x = lon, y = lat


def service_zones(config: ServiceConfig, network: RoadNetwork) -> list[Zone]:
    if config.publish.zones:
        return [
            Zone(z.id, z.name or z.id, Polygon([(lon, lat) for lat, lon in z.polygon]))
            for z in config.publish.zones
        ]
    graph = network.graph
    points = np.column_stack([graph.lon, graph.lat])
    hull = MultiPoint(points).convex_hull.buffer(0.002).simplify(0.0005)
    return [Zone("service-area", config.name, Polygon(hull.exterior.coords))]


def zone_of(zones: list[Zone], lat: float, lon: float) -> Zone | None:
    point = Point(lon, lat)
    return next((z for z in zones if z.polygon.covers(point)), None)
