"""Route geometry: paths, polylines and the map of the roads, in one encoding, one cache.

Everything drawn on a map uses Google's encoded polyline format (precision 5, about a
metre) through :func:`encode_polyline` and :func:`decode_polyline`: the roads of the
offline maps (rider, dispatcher and driver pages alike), the legs of a driver's plan and
the dispatcher's line from a bus through its next stops. :class:`Geometry` is the one
cache of a running service: the road map, built once, and the most recently used legs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from dispatch.roads.graph import RoadGraph


@dataclass(frozen=True, slots=True)
class RoutePath:
    """The fastest path between two nodes, with its polyline ``[(lat, lon), ...]``."""

    nodes: tuple[int, ...]
    polyline: tuple[tuple[float, float], ...]
    travel_s: int
    distance_m: int


def encode_polyline(points: Sequence[tuple[float, float]], precision: int = 5) -> str:
    """Google's encoded polyline format: compact, and every map library reads it."""
    factor = 10**precision
    out: list[str] = []
    last_lat = last_lon = 0
    for lat, lon in points:
        ilat, ilon = round(lat * factor), round(lon * factor)
        for delta in (ilat - last_lat, ilon - last_lon):
            _encode_value(delta, out)
        last_lat, last_lon = ilat, ilon
    return "".join(out)


def _encode_value(value: int, out: list[str]) -> None:
    value = ~(value << 1) if value < 0 else value << 1
    while value >= 0x20:
        out.append(chr((0x20 | (value & 0x1F)) + 63))
        value >>= 5
    out.append(chr(value + 63))


def decode_polyline(text: str, precision: int = 5) -> list[tuple[float, float]]:
    """The inverse of :func:`encode_polyline`."""
    factor = 10**precision
    values: list[int] = []
    shift = result = 0
    for char in text:
        b = ord(char) - 63
        result |= (b & 0x1F) << shift
        shift += 5
        if b < 0x20:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift = result = 0
    points: list[tuple[float, float]] = []
    lat = lon = 0
    for k in range(0, len(values) - 1, 2):
        lat += values[k]
        lon += values[k + 1]
        points.append((lat / factor, lon / factor))
    return points


Point = tuple[float, float]


class _Path(Protocol):
    @property
    def polyline(self) -> Sequence[Point]: ...


class RoadPaths(Protocol):
    """What the geometry needs of the road network."""

    @property
    def graph(self) -> RoadGraph: ...

    def node_coords(self, node: int) -> Point: ...

    def route(self, source: int, target: int) -> _Path: ...


@dataclass(frozen=True, slots=True)
class EncodedMap:
    """The road map as JSON (``body``), gzipped, and its entity tag, for HTTP caching."""

    body: bytes
    gzipped: bytes
    etag: str


def road_map(graph: RoadGraph) -> dict[str, object]:
    """Every road once (a two-way road is not repeated) as an encoded polyline, the bounds
    ``[south, west, north, east]`` and the named places (villages, hamlets) for labels."""
    roads: list[str] = []
    seen: set[tuple[int, int]] = set()
    for a in range(graph.n_nodes):
        for e in range(int(graph.indptr[a]), int(graph.indptr[a + 1])):
            b = int(graph.indices[e])
            if (b, a) in seen:
                continue
            seen.add((a, b))
            roads.append(encode_polyline(_edge_points(graph, a, e, b)))
    lat, lon = graph.lat, graph.lon
    return {
        "bounds": [float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max())],
        "roads": roads,
        "places": [
            {
                "name": p.name,
                "lat": round(p.lat, 5),
                "lon": round(p.lon, 5),
                "kind": p.kind,
                "population": p.population,
            }
            for p in graph.places
        ],
    }


def _edge_points(graph: RoadGraph, a: int, edge: int, b: int) -> list[Point]:
    lo, hi = int(graph.geom_ptr[edge]), int(graph.geom_ptr[edge + 1])
    points = [(float(graph.lat[a]), float(graph.lon[a]))]
    points += zip(graph.geom_lat[lo:hi].tolist(), graph.geom_lon[lo:hi].tolist(), strict=True)
    points.append((float(graph.lat[b]), float(graph.lon[b])))
    return points


@dataclass(slots=True)
class _Leg:
    """A cached leg: its points, and (once asked for) their encoding."""

    points: tuple[Point, ...]
    encoded: str | None = None


class Geometry:
    """The service's one geometry cache: the road map and the legs between two nodes.

    Re-optimisation mostly reorders stops that were planned before, and the dispatcher's
    map redraws the same buses every few seconds, so most legs have been drawn already.
    Thread-safe: the plan publisher and HTTP handlers share it.
    """

    def __init__(self, paths: RoadPaths, size: int = 4096) -> None:
        self.paths = paths
        self.size = size
        self._legs: OrderedDict[tuple[int, int], _Leg] = OrderedDict()
        self._lock = threading.Lock()
        self._map: EncodedMap | None = None
        self._map_lock = threading.Lock()

    def leg_points(self, source: int, target: int) -> tuple[Point, ...]:
        """The road between two nodes as points (a single point when they are the same)."""
        return self._leg(source, target).points

    def leg(self, source: int, target: int) -> str:
        """The road between two nodes, encoded (a driver's plan carries each leg so)."""
        found = self._leg(source, target)
        if found.encoded is None:  # two threads may both encode it: the same text
            found.encoded = encode_polyline(found.points)
        return found.encoded

    def _leg(self, source: int, target: int) -> _Leg:
        key = (source, target)
        with self._lock:
            found = self._legs.get(key)
            if found is not None:
                self._legs.move_to_end(key)
                return found
        if source == target:
            points: tuple[Point, ...] = (self.paths.node_coords(source),)
        else:
            points = tuple(self.paths.route(source, target).polyline)
        found = _Leg(points)
        with self._lock:
            self._legs[key] = found
            while len(self._legs) > self.size:
                self._legs.popitem(last=False)
        return found

    def line(self, nodes: Sequence[int]) -> str:
        """One encoded polyline along the roads through ``nodes`` in order ("" for none)."""
        points: list[Point] = []
        for a, b in pairwise(nodes):
            if a != b:
                leg = self.leg_points(a, b)
                points += leg[1:] if points and leg and points[-1] == leg[0] else leg
        return encode_polyline(points)

    def encoded_map(self) -> EncodedMap:
        """:func:`road_map` as JSON, built on first use (seconds on a large map), then kept."""
        with self._map_lock:
            if self._map is None:
                body = json.dumps(road_map(self.paths.graph), separators=(",", ":")).encode()
                tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                self._map = EncodedMap(body, gzip.compress(body, 6), tag)
            return self._map
