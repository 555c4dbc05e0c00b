"""Points on road segments: where people really are, as locations of the road network.

Snapping an address to the nearest junction can move it hundreds of metres along a
long country road (and make a bus drive to the junction and back). Routing engines snap
to the nearest point on a drivable segment instead and count the partial segment's
travel time; so does this.

A point on a segment is a location id like a node's, so everything that works with
nodes (the engine's location table, the solver, the simulated buses) works with it
unchanged. Ids at or above the graph's node count encode the segment and the offset:

    id = n_nodes + edge × OFFSET_RANGE + metres from the edge's start

so they need no registry and mean the same after a restart (the compiled graph is
keyed by the map file's content). A point on a two-way road is always stored on the
direction whose start node has the lower index.

The travel time from a point to anywhere is the best of leaving it at either end of
its segment (only forwards on a one-way street), plus the partial segment; two points
on the same segment reach each other directly along it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dispatch.roads.graph import RoadGraph

#: Offsets in metres along an edge: up to about 1,000 km.
OFFSET_RANGE = 1 << 20


@dataclass(frozen=True, slots=True)
class Link:
    """Reaching a point from a node or a node from a point: seconds and metres."""

    node: int
    seconds: int
    metres: int


@dataclass(frozen=True, slots=True)
class SegmentPoint:
    """A decoded point: its edge (``start`` → ``end``), offset and how it connects."""

    location: int
    edge: int
    start: int
    end: int
    offset_m: int
    #: Seconds from the edge's start to the point (and on the reverse edge from its start).
    seconds_in: int
    reverse_edge: int | None
    reverse_seconds_in: int | None
    exits: tuple[Link, ...]
    entries: tuple[Link, ...]


class RoadPoints:
    """Encodes, decodes and connects points on the road graph's segments."""

    def __init__(self, graph: RoadGraph) -> None:
        self.graph = graph
        self.n_nodes = graph.n_nodes
        self._cache: dict[int, SegmentPoint] = {}
        self._coords: dict[int, tuple[float, float]] = {}
        starts = np.repeat(np.arange(graph.n_nodes), np.diff(graph.indptr))
        self.edge_start = starts.astype(np.int64)
        self.edge_end = np.asarray(graph.indices, dtype=np.int64)
        #: The edge in the opposite direction, or -1 (a one-way street).
        self.reverse_of = _reverse_edges(self.edge_start, self.edge_end, graph.n_nodes)

    def check(self, locations: npt.NDArray[np.int64]) -> None:
        """Raise IndexError unless every id is a point this graph can have."""
        if not locations.size:
            return
        edge, offset = np.divmod(locations - self.n_nodes, OFFSET_RANGE)
        bad = (edge >= self.graph.n_edges) | (offset <= 0)
        if not bad.any():
            bad = offset >= self.graph.distance_m[edge]
        if bad.any():
            loc = int(locations[int(np.argmax(bad))])
            raise IndexError(f"location {loc} is not a point on this road graph")

    def arrays(
        self, locations: npt.NDArray[np.int64], leaving: bool
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """For points (vectorised): the two linked nodes (-1: none), seconds and metres.

        ``leaving``: the nodes a point is left towards (exits); else reached from.
        """
        g = self.graph
        edge, offset = np.divmod(locations - self.n_nodes, OFFSET_RANGE)
        travel = g.travel_s[edge].astype(np.int64)
        length = g.distance_m[edge].astype(np.int64)
        s_in = np.rint(travel * (offset / np.maximum(length, 1))).astype(np.int64)
        rev = self.reverse_of[edge]
        has = rev >= 0
        rev_safe = np.where(has, rev, 0)
        r_travel = g.travel_s[rev_safe].astype(np.int64)
        r_length = g.distance_m[rev_safe].astype(np.int64)
        back = np.rint((1.0 - offset / np.maximum(length, 1)) * r_length).astype(np.int64)
        r_in = np.rint(r_travel * (back / np.maximum(r_length, 1))).astype(np.int64)
        start, end = self.edge_start[edge], self.edge_end[edge]
        if leaving:
            nodes = np.column_stack([end, np.where(has, start, -1)])
            secs = np.column_stack([travel - s_in, r_travel - r_in])
            metres = np.column_stack([length - offset, r_length - back])
        else:
            nodes = np.column_stack([start, np.where(has, end, -1)])
            secs = np.column_stack([s_in, r_in])
            metres = np.column_stack([offset, back])
        return nodes, secs, metres

    def is_point(self, location: int) -> bool:
        return location >= self.n_nodes

    def encode(self, edge: int, offset_m: int) -> int:
        """The location of ``offset_m`` along ``edge`` (a node at either end)."""
        g = self.graph
        length = int(g.distance_m[edge])
        start, end = self.edge_nodes(edge)
        if offset_m <= 0:
            return start
        if offset_m >= length:
            return end
        reverse = self.reverse(edge)
        if reverse is not None and start > end:  # the canonical direction
            return self.encode(reverse, self.reverse_offset(edge, reverse, offset_m))
        return self.n_nodes + edge * OFFSET_RANGE + offset_m

    def edge_nodes(self, edge: int) -> tuple[int, int]:
        return int(self.edge_start[edge]), int(self.edge_end[edge])

    def reverse(self, edge: int) -> int | None:
        start, end = self.edge_nodes(edge)
        try:
            return self.graph.edge_index(end, start)
        except KeyError:
            return None

    def reverse_offset(self, edge: int, reverse: int, offset_m: int) -> int:
        g = self.graph
        share = offset_m / int(g.distance_m[edge])
        return round((1.0 - share) * int(g.distance_m[reverse]))

    def decode(self, location: int) -> SegmentPoint:
        found = self._cache.get(location)
        if found is None:
            found = self._cache[location] = self._decode(location)
        return found

    def _decode(self, location: int) -> SegmentPoint:
        edge, offset = divmod(location - self.n_nodes, OFFSET_RANGE)
        if (
            location < self.n_nodes
            or edge >= self.graph.n_edges
            or not 0 < offset < int(self.graph.distance_m[edge])
            or self.encode(edge, offset) != location
        ):
            raise IndexError(f"location {location} is not a point on this road graph")
        start, end = self.edge_nodes(edge)
        seconds_in, metres = self._partial(edge, offset)
        exits = [Link(end, int(self.graph.travel_s[edge]) - seconds_in, metres - offset)]
        entries = [Link(start, seconds_in, offset)]
        reverse = self.reverse(edge)
        reverse_in = None
        if reverse is not None:
            back = self.reverse_offset(edge, reverse, offset)
            reverse_in, back_metres = self._partial(reverse, back)
            exits.append(
                Link(start, int(self.graph.travel_s[reverse]) - reverse_in, back_metres - back)
            )
            entries.append(Link(end, reverse_in, back))
        return SegmentPoint(
            location,
            edge,
            start,
            end,
            offset,
            seconds_in,
            reverse,
            reverse_in,
            tuple(exits),
            tuple(entries),
        )

    def _partial(self, edge: int, offset_m: int) -> tuple[int, int]:
        """Seconds from the edge's start to ``offset_m``, and the edge's metres."""
        metres = int(self.graph.distance_m[edge])
        seconds = int(self.graph.travel_s[edge])
        share = min(1.0, max(0.0, offset_m / metres)) if metres else 0.0
        return round(seconds * share), metres

    def direct(self, a: int, b: int) -> tuple[int, int] | None:
        """Seconds and metres from point ``a`` to point ``b`` along their shared segment."""
        pa, pb = self.decode(a), self.decode(b)
        if pa.edge != pb.edge:
            return None
        if pa.offset_m <= pb.offset_m:
            return pb.seconds_in - pa.seconds_in, pb.offset_m - pa.offset_m
        if pa.reverse_seconds_in is None or pb.reverse_seconds_in is None:
            return None
        return pb.reverse_seconds_in - pa.reverse_seconds_in, pa.offset_m - pb.offset_m

    def coords(self, location: int) -> tuple[float, float]:
        """Latitude and longitude of a node or a point."""
        if not self.is_point(location):
            return float(self.graph.lat[location]), float(self.graph.lon[location])
        found = self._coords.get(location)
        if found is None:
            p = self.decode(location)
            line = self.polyline(p.edge)
            share = p.offset_m / max(1, int(self.graph.distance_m[p.edge]))
            found = self._coords[location] = _along(line, share)
        return found

    def polyline(self, edge: int) -> list[tuple[float, float]]:
        """The edge's shape from its start node to its end node."""
        g = self.graph
        start, end = self.edge_nodes(edge)
        lo, hi = int(g.geom_ptr[edge]), int(g.geom_ptr[edge + 1])
        inner = list(zip(g.geom_lat[lo:hi].tolist(), g.geom_lon[lo:hi].tolist(), strict=True))
        return [
            (float(g.lat[start]), float(g.lon[start])),
            *inner,
            (float(g.lat[end]), float(g.lon[end])),
        ]

    def partial_line(self, location: int, node: int, leaving: bool) -> list[tuple[float, float]]:
        """The shape between a point and one end of its segment, in driving order."""
        p = self.decode(location)
        line = self.polyline(p.edge)
        share = p.offset_m / max(1, int(self.graph.distance_m[p.edge]))
        here = _along(line, share)
        before, after = _split(line, share)
        towards_end = node == p.end
        piece = [here, *after] if towards_end else [here, *reversed(before)]
        return piece if leaving else list(reversed(piece))


def _lengths(line: list[tuple[float, float]]) -> list[float]:
    out = [0.0]
    for (a0, b0), (a1, b1) in itertools.pairwise(line):
        kx = math.cos(math.radians((a0 + a1) / 2))
        out.append(out[-1] + math.hypot(a1 - a0, (b1 - b0) * kx))
    return out


def _along(line: list[tuple[float, float]], share: float) -> tuple[float, float]:
    cum = _lengths(line)
    goal = min(1.0, max(0.0, share)) * cum[-1]
    for k in range(1, len(line)):
        if cum[k] >= goal and cum[k] > cum[k - 1]:
            f = (goal - cum[k - 1]) / (cum[k] - cum[k - 1])
            (a0, b0), (a1, b1) = line[k - 1], line[k]
            return a0 + (a1 - a0) * f, b0 + (b1 - b0) * f
    return line[-1]


def _split(
    line: list[tuple[float, float]], share: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Shape points strictly before and after the position ``share`` along the line."""
    cum = _lengths(line)
    goal = min(1.0, max(0.0, share)) * cum[-1]
    before = [p for p, c in zip(line, cum, strict=True) if c < goal]
    after = [p for p, c in zip(line, cum, strict=True) if c > goal]
    return before, after


def _reverse_edges(
    start: npt.NDArray[np.int64], end: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.int64]:
    """Per edge the index of an edge in the opposite direction, or -1."""
    key = start * n + end
    order = np.argsort(key, kind="stable")
    wanted = end * n + start
    pos = np.searchsorted(key[order], wanted)
    pos = np.minimum(pos, len(order) - 1)
    found = key[order][pos] == wanted
    return np.where(found, order[pos], -1).astype(np.int64)
