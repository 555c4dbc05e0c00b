"""Travel seconds and metres between graph nodes: Dijkstra rows over the CSR graph.

One Dijkstra per source node gives the whole row, so rows are cached per source. The
edge weight is ``travel_s × 2^20 + distance_m``: the shortest such path is the fastest
path (ties broken by distance), and both its seconds and its metres can be read back
from the one number exactly (float64 holds integers up to 2^53; paths stay far below
2^20 m = 1,048 km and 2^33 s).
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from dispatch.roads.graph import RoadGraph

SHIFT = 1 << 20
IntArray = npt.NDArray[np.int64]


class TravelTimes(Protocol):
    """Travel seconds and metres between graph nodes (the solver's source of truth)."""

    def matrix(self, nodes: Sequence[int]) -> tuple[IntArray, IntArray]: ...

    def one_to_many(self, source: int, targets: Sequence[int]) -> tuple[IntArray, IntArray]: ...


@dataclass(frozen=True, slots=True)
class RoutePath:
    """The fastest path between two nodes, with its polyline."""

    nodes: tuple[int, ...]
    polyline: tuple[tuple[float, float], ...]
    travel_s: int
    distance_m: int


class DijkstraTravelTimes:
    """Exact fastest-path seconds and metres with a bounded, thread-safe row cache."""

    def __init__(self, graph: RoadGraph, cache_rows: int = 4096) -> None:
        self.graph = graph
        n = graph.n_nodes
        weights = graph.travel_s.astype(np.float64) * SHIFT + graph.distance_m
        self._csr = csr_matrix((weights, graph.indices, graph.indptr), shape=(n, n))
        self._rows: OrderedDict[int, tuple[IntArray, IntArray]] = OrderedDict()
        self._limit = cache_rows
        self._lock = threading.Lock()

    def _compute(self, sources: list[int]) -> None:
        dist = dijkstra(self._csr, directed=True, indices=sources)
        dist = np.atleast_2d(dist)
        if np.isinf(dist).any():  # cannot happen on a strongly connected graph
            raise ValueError("road graph is not strongly connected")
        packed = dist.astype(np.int64)
        seconds, metres = packed >> 20, packed & (SHIFT - 1)
        with self._lock:
            for k, s in enumerate(sources):
                self._rows[s] = (seconds[k], metres[k])
                self._rows.move_to_end(s)
            while len(self._rows) > self._limit:
                self._rows.popitem(last=False)

    def rows(self, sources: Sequence[int]) -> list[tuple[IntArray, IntArray]]:
        """Full rows (seconds, metres to every node) for each source, computing the missing."""
        with self._lock:
            missing = sorted({int(s) for s in sources if int(s) not in self._rows})
        if missing:
            self._compute(missing)
        with self._lock:
            out = []
            for s in sources:
                row = self._rows.get(int(s))
                if row is None:  # evicted meanwhile by another thread: compute it again
                    row = self._single(int(s))
                out.append(row)
            return out

    def _single(self, source: int) -> tuple[IntArray, IntArray]:
        packed = dijkstra(self._csr, directed=True, indices=[source])[0].astype(np.int64)
        return packed >> 20, packed & (SHIFT - 1)

    def matrix(self, nodes: Sequence[int]) -> tuple[IntArray, IntArray]:
        idx = np.asarray(nodes, dtype=np.int64)
        rows = self.rows(list(idx))
        seconds = np.stack([r[0][idx] for r in rows]) if rows else np.zeros((0, 0), np.int64)
        metres = np.stack([r[1][idx] for r in rows]) if rows else np.zeros((0, 0), np.int64)
        return seconds, metres

    def one_to_many(self, source: int, targets: Sequence[int]) -> tuple[IntArray, IntArray]:
        seconds, metres = self.rows([source])[0]
        idx = np.asarray(targets, dtype=np.int64)
        return seconds[idx], metres[idx]

    def route(self, source: int, target: int) -> RoutePath:
        """Node path and polyline of the fastest path (ties: shorter)."""
        _, pred = dijkstra(self._csr, directed=True, indices=source, return_predecessors=True)
        path = [target]
        while path[-1] != source:
            prev = int(pred[path[-1]])
            if prev < 0:
                raise ValueError(f"no path from {source} to {target}")
            path.append(prev)
        path.reverse()
        return self._route_from_nodes(path)

    def _route_from_nodes(self, path: list[int]) -> RoutePath:
        g = self.graph
        poly = [(float(g.lat[path[0]]), float(g.lon[path[0]]))]
        seconds = metres = 0
        for a, b in itertools.pairwise(path):
            e = g.edge_index(a, b)
            lo, hi = int(g.geom_ptr[e]), int(g.geom_ptr[e + 1])
            poly += list(zip(g.geom_lat[lo:hi].tolist(), g.geom_lon[lo:hi].tolist(), strict=True))
            poly.append((float(g.lat[b]), float(g.lon[b])))
            seconds += int(g.travel_s[e])
            metres += int(g.distance_m[e])
        return RoutePath(tuple(path), tuple(poly), seconds, metres)

    def path_times(self, source: int, target: int) -> list[tuple[int, int]]:
        """(node, seconds from ``source``) along the fastest path, source first."""
        path = self.route(source, target).nodes
        out, t = [(path[0], 0)], 0
        for a, b in itertools.pairwise(path):
            t += int(self.graph.travel_s[self.graph.edge_index(a, b)])
            out.append((b, t))
        return out
