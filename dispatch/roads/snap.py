"""Snap coordinates to the road graph with KD-trees on locally projected metres."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from dispatch.errors import SnapError
from dispatch.roads.compile import EARTH_RADIUS_M
from dispatch.roads.graph import RoadGraph
from dispatch.roads.points import RoadPoints

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
    exact to well under a metre across a rural district. Two trees: junction nodes, and
    points sampled along every road segment (to find the nearest segment, and to tell
    how far the nearest road is).
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
        self.points = RoadPoints(graph)
        self._segments = SegmentIndex(graph, self)

    def project(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.float64]:
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * self._kx
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * self._ky
        return np.column_stack([x, y])

    def snap(self, lat: float, lon: float) -> SnappedPoint:
        """The nearest point on a drivable segment (a location, see ``points.py``)."""
        nodes, dist = self.snap_many(np.array([lat]), np.array([lon]))
        node = int(nodes[0])
        xy = self.project(np.array([lat]), np.array([lon]))[0]
        found = self._segments.nearest(float(xy[0]), float(xy[1]))
        if found is None or found[2] >= dist[0]:
            return SnappedPoint(
                node, float(dist[0]), float(self.graph.lat[node]), float(self.graph.lon[node])
            )
        edge, share, distance = found
        location = self.points.encode(edge, round(share * int(self.graph.distance_m[edge])))
        p_lat, p_lon = self.points.coords(location)
        return SnappedPoint(location, distance, p_lat, p_lon)

    def snap_many(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Nearest junctions and their distances for arrays of points (bulk work such as
        benchmarks; addresses use :meth:`snap`); raises on the first far point."""
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
        road_dist = self._segments.distances(xy)
        far = road_dist > self.max_distance_m
        if far.any():
            k = int(np.argmax(far))
            raise SnapError(
                f"point {lat_a[k]:.6f},{lon_a[k]:.6f} is {road_dist[k]:.0f} m from the nearest road "
                f"(limit {self.max_distance_m:.0f} m)"
            )
        dist, nodes = self._nodes.query(xy)
        return nodes.astype(np.int64), dist


class SegmentIndex:
    """Every segment of the graph's edges, sampled every ``SAMPLE_M`` for a KD-tree."""

    def __init__(self, graph: RoadGraph, snapper: Snapper) -> None:
        self.graph = graph
        xs: list[float] = []
        ys: list[float] = []
        owner: list[int] = []
        self.shapes: list[npt.NDArray[np.float64]] = []
        points = RoadPoints(graph)
        for edge in range(graph.n_edges):
            line = np.array(points.polyline(edge))
            xy = snapper.project(line[:, 0], line[:, 1])
            self.shapes.append(xy)
            for a, b in itertools.pairwise(xy):
                steps = max(1, int(np.hypot(*(b - a)) // SAMPLE_M) + 1)
                for k in range(steps + 1):
                    q = a + (b - a) * (k / steps)
                    xs.append(float(q[0]))
                    ys.append(float(q[1]))
                    owner.append(edge)
        self._owner = np.array(owner, dtype=np.int64)
        self._tree = cKDTree(np.column_stack([xs, ys])) if owner else None

    def distances(self, xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Metres from each point to the nearest road segment."""
        if self._tree is None:
            return np.full(len(xy), np.inf)
        near, _ = self._tree.query(xy)  # a sample: never nearer than the segment itself
        out = np.asarray(near, dtype=np.float64)
        for k in np.nonzero(out > SAMPLE_M)[0].tolist():
            found = self.nearest(float(xy[k, 0]), float(xy[k, 1]))
            if found is not None:
                out[k] = found[2]
        return out

    def nearest(self, x: float, y: float) -> tuple[int, float, float] | None:
        """(edge, share of its length, distance in metres) of the nearest segment point."""
        if self._tree is None:
            return None
        k = min(CANDIDATES, len(self._owner))
        _, idx = self._tree.query([x, y], k=k)
        best: tuple[int, float, float] | None = None
        for edge in dict.fromkeys(self._owner[np.atleast_1d(idx)].tolist()):
            share, distance = _project(self.shapes[edge], np.array([x, y]))
            if best is None or distance < best[2]:
                best = (int(edge), share, distance)
        return best


#: Segments are sampled this often (metres) for the search of the nearest one.
SAMPLE_M = 20.0
#: Nearest samples whose segments are measured exactly.
CANDIDATES = 12


def _project(shape: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Share of the shape's length at the point nearest to ``q``, and the distance."""
    a, b = shape[:-1], shape[1:]
    ab = b - a
    lengths = np.hypot(ab[:, 0], ab[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip(np.einsum("ij,ij->i", q - a, ab) / (lengths**2), 0.0, 1.0)
    t = np.nan_to_num(t)
    foot = a + ab * t[:, None]
    dist = np.hypot(*(foot - q).T)
    k = int(np.argmin(dist))
    total = float(lengths.sum())
    along = float(lengths[:k].sum() + t[k] * lengths[k])
    return (along / total if total > 0 else 0.0), float(dist[k])
