"""Snap coordinates to the road graph with KD-trees on locally projected metres."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from dispatch.errors import SnapError
from dispatch.roads.compile import EARTH_RADIUS_M
from dispatch.roads.graph import RoadGraph

DEFAULT_MAX_SNAP_M = 500.0


@dataclass(frozen=True, slots=True)
class SnappedPoint:
    """A point moved onto the graph: the node, its coordinates, and how far it moved."""

    node: int
    distance_m: float
    lat: float
    lon: float


class Snapper:
    """Nearest graph node for any coordinate; far-away points are an error.

    Coordinates are projected equirectangularly around the region's centre, which is
    exact to well under a metre across a rural district. Two trees: junction nodes to
    snap to, and every road node to tell how far the nearest road is.
    """

    def __init__(self, graph: RoadGraph, max_distance_m: float = DEFAULT_MAX_SNAP_M) -> None:
        if max_distance_m <= 0:
            raise ValueError("max_distance_m must be positive")
        self.graph = graph
        self.max_distance_m = max_distance_m
        self.lat0 = float(np.mean(graph.lat))
        self.lon0 = float(np.mean(graph.lon))
        self._kx = math.radians(1) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))
        self._ky = math.radians(1) * EARTH_RADIUS_M
        self._nodes = cKDTree(self.project(graph.lat, graph.lon))
        self._roads = cKDTree(self.project(graph.road_lat, graph.road_lon))

    def project(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * self._kx
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * self._ky
        return np.column_stack([x, y])

    def snap(self, lat: float, lon: float) -> SnappedPoint:
        nodes, dist = self.snap_many(np.array([lat]), np.array([lon]))
        node = int(nodes[0])
        return SnappedPoint(
            node, float(dist[0]), float(self.graph.lat[node]), float(self.graph.lon[node])
        )

    def snap_many(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Nodes and snap distances for arrays of points; raises on the first far point."""
        lat_a, lon_a = (
            np.atleast_1d(np.asarray(lat, dtype=np.float64)),
            np.atleast_1d(np.asarray(lon, dtype=np.float64)),
        )
        if lat_a.shape != lon_a.shape:
            raise ValueError("lat and lon must have the same length")
        bad = ~(
            np.isfinite(lat_a) & np.isfinite(lon_a) & (np.abs(lat_a) <= 90) & (np.abs(lon_a) <= 180)
        )
        if bad.any():
            k = int(np.argmax(bad))
            raise SnapError(f"point {lat_a[k]},{lon_a[k]} is not a valid latitude,longitude")
        xy = self.project(lat_a, lon_a)
        road_dist, _ = self._roads.query(xy)
        far = road_dist > self.max_distance_m
        if far.any():
            k = int(np.argmax(far))
            raise SnapError(
                f"point {lat_a[k]:.6f},{lon_a[k]:.6f} is {road_dist[k]:.0f} m from the nearest road "
                f"(limit {self.max_distance_m:.0f} m)"
            )
        dist, nodes = self._nodes.query(xy)
        return nodes.astype(np.int64), dist
