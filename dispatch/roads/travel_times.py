"""Travel seconds and metres between graph nodes: exact Dijkstra over the CSR graph.

The edge weight is ``travel_s × 2^bits + distance_m``: the shortest such path is the
fastest path (ties broken by distance), and both its seconds and its metres are read
back from the one number exactly, since float64 holds integers up to 2^53 and
``bits`` is chosen from the graph so metres never spill into the seconds.

Dijkstra runs over the graph's kernel of real junctions (see ``kernel.py``); its
rows are cached per kernel node in a bounded, thread-safe LRU cache, so the solver
and the engine can ask for the same sources again at no cost.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from dispatch.errors import RoadNetworkError
from dispatch.roads.geometry import RoutePath
from dispatch.roads.graph import RoadGraph
from dispatch.roads.kernel import Contraction, contract
from dispatch.roads.point_routes import point_block, point_route
from dispatch.roads.points import RoadPoints

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class TravelTimes(Protocol):
    """Travel seconds and metres between graph nodes (the solver's source of truth)."""

    def matrix(self, nodes: Sequence[int]) -> tuple[IntArray, IntArray]:
        """Square matrices (seconds, metres) from every node to every node, in order."""
        ...

    def one_to_many(self, source: int, targets: Sequence[int]) -> tuple[IntArray, IntArray]:
        """Seconds and metres from ``source`` to each target, in order."""
        ...


def metre_bits(graph: RoadGraph) -> int:
    """Bits reserved for metres: enough for the longest possible simple path."""
    if graph.n_edges == 0:
        return 1
    longest_m = min(int(graph.distance_m.sum()), graph.n_nodes * int(graph.distance_m.max()))
    longest_s = min(int(graph.travel_s.sum()), graph.n_nodes * int(graph.travel_s.max()))
    bits = max(1, longest_m.bit_length())
    if bits + longest_s.bit_length() > 52:
        raise RoadNetworkError("the region is too large for exact packed travel times")
    return bits


class DijkstraTravelTimes:
    """Exact fastest-path seconds and metres with a bounded, thread-safe row cache."""

    def __init__(self, graph: RoadGraph, cache_rows: int = 4096) -> None:
        self.graph = graph
        n = graph.n_nodes
        self._bits = metre_bits(graph)
        weights = graph.travel_s.astype(np.float64) * float(1 << self._bits) + graph.distance_m
        self._csr = csr_matrix((weights, graph.indices, graph.indptr), shape=(n, n))
        self._kernel: Contraction = contract(self._csr)
        self._rows: OrderedDict[int, FloatArray] = OrderedDict()
        self._limit = cache_rows
        self._lock = threading.Lock()
        #: Shortest-path trees (predecessors) per source, for paths; bounded like the rows.
        self._trees: OrderedDict[int, npt.NDArray[np.int32]] = OrderedDict()
        #: Points on segments (addresses, stops, GPS positions) as locations beside nodes.
        self.points = RoadPoints(graph)

    @property
    def bits(self) -> int:
        """Bits of the packed weight that hold metres (see the module docstring)."""
        return self._bits

    @property
    def kernel_size(self) -> int:
        """Nodes Dijkstra actually visits (for the summary and the benchmark)."""
        return self._kernel.n_kernel

    def clear_cache(self) -> None:
        with self._lock:
            self._rows.clear()
            self._trees.clear()

    def _kernel_rows(self, kernel_ids: IntArray) -> FloatArray:
        """Kernel Dijkstra rows for ``kernel_ids`` (sorted, unique), from the cache if there."""
        with self._lock:
            have = {int(k): self._rows[int(k)] for k in kernel_ids if int(k) in self._rows}
        missing = [int(k) for k in kernel_ids if int(k) not in have]
        if missing:
            dist = dijkstra(self._kernel.kernel_csr, directed=True, indices=missing)
            have.update(zip(missing, np.atleast_2d(dist), strict=True))
        with self._lock:
            for k in kernel_ids:
                self._rows[int(k)] = have[int(k)]
                self._rows.move_to_end(int(k))
            while len(self._rows) > self._limit:
                self._rows.popitem(last=False)
        if not have:
            return np.zeros((0, self._kernel.n_kernel))
        return np.stack([have[int(k)] for k in kernel_ids])

    def _packed(self, sources: IntArray, targets: IntArray) -> FloatArray:
        """Packed shortest-path weights, sources × targets, via the kernel."""
        kc = self._kernel
        ex_node, ex_cost = kc.exit_node[sources], kc.exit_cost[sources]
        needed = np.unique(ex_node[np.isfinite(ex_cost)])
        rows = self._kernel_rows(needed)
        en_node, en_cost = kc.entry_node[targets], kc.entry_cost[targets]
        to_targets = np.min(rows[:, en_node] + en_cost[None, :, :], axis=2)
        pos = np.minimum(np.searchsorted(needed, ex_node), needed.size - 1)
        out: FloatArray = np.min(to_targets[pos] + ex_cost[:, :, None], axis=1)
        self._same_component(sources, targets, out)
        if not np.isfinite(out).all():  # cannot happen on a strongly connected graph
            raise RoadNetworkError("road graph is not strongly connected")
        return out

    def _same_component(self, sources: IntArray, targets: IntArray, out: FloatArray) -> None:
        """Paths that stay inside one dead-end tree or chain never touch the kernel."""
        kc = self._kernel
        cs, ct = kc.component[sources], kc.component[targets]
        hits = np.argwhere((cs[:, None] == ct[None, :]) & (cs[:, None] >= 0))
        for i, j in hits.tolist():
            local = kc.local[int(cs[i])]
            value = local[kc.local_pos[sources[i]], kc.local_pos[targets[j]]]
            out[i, j] = min(out[i, j], value)

    def _unpack(self, packed: FloatArray) -> tuple[IntArray, IntArray]:
        whole = packed.astype(np.int64)
        return whole >> self._bits, whole & ((1 << self._bits) - 1)

    def block(self, sources: Sequence[int], targets: Sequence[int]) -> tuple[IntArray, IntArray]:
        """Seconds and metres from every source to every target (``len(s) × len(t)``).

        Sources and targets are nodes or points on segments (``points.py``).
        """
        s = self._checked(sources)
        t = self._checked(targets)
        if s.size == 0 or t.size == 0:
            empty = np.zeros((s.size, t.size), dtype=np.int64)
            return empty, empty.copy()
        n = self.graph.n_nodes
        if s.max() >= n or t.max() >= n:
            return self._unpack(point_block(self, s.tolist(), t.tolist()))
        return self._unpack(self._packed(s, t))

    def packed_nodes(self, sources: IntArray, targets: IntArray) -> FloatArray:
        """Packed fastest weights between graph nodes only."""
        return self._packed(sources, targets)

    def _checked(self, nodes: Sequence[int]) -> IntArray:
        idx = np.asarray(nodes, dtype=np.int64).reshape(-1)
        if idx.size and idx.min() < 0:
            raise IndexError("negative location")
        self.points.check(idx[idx >= self.graph.n_nodes])
        return idx

    def matrix(self, nodes: Sequence[int]) -> tuple[IntArray, IntArray]:
        return self.block(nodes, nodes)

    def one_to_many(self, source: int, targets: Sequence[int]) -> tuple[IntArray, IntArray]:
        seconds, metres = self.block([source], targets)
        return seconds[0], metres[0]

    def route(self, source: int, target: int) -> RoutePath:
        """Node path and polyline of the fastest path (ties: shorter), nodes or points."""
        n = self.graph.n_nodes
        if source >= n or target >= n:
            return point_route(self, source, target)[0]
        return self.node_route(source, target)

    def node_route(self, source: int, target: int) -> RoutePath:
        """The fastest path between two graph nodes."""
        pred = self._tree(source)
        path = [target]
        while path[-1] != source:
            prev = int(pred[path[-1]])
            if prev < 0:
                raise RoadNetworkError(f"no path from node {source} to node {target}")
            path.append(prev)
        path.reverse()
        return self._route_from_nodes(path)

    def _tree(self, source: int) -> npt.NDArray[np.int32]:
        """Predecessors on the fastest paths from ``source`` (cached: buses leave the same
        stops again and again)."""
        with self._lock:
            cached = self._trees.get(source)
            if cached is not None:
                self._trees.move_to_end(source)
                return cached
        _, pred = dijkstra(self._csr, directed=True, indices=source, return_predecessors=True)
        tree: npt.NDArray[np.int32] = np.asarray(pred, dtype=np.int32)
        with self._lock:
            self._trees[source] = tree
            while len(self._trees) > self._limit:
                self._trees.popitem(last=False)
        return tree

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

    def path_steps(self, source: int, target: int) -> list[tuple[int, int, int]]:
        """(location, seconds, metres from ``source``) along the fastest path, source first."""
        n = self.graph.n_nodes
        if source >= n or target >= n:
            return point_route(self, source, target)[1]
        path = self.node_route(source, target).nodes
        return [(node, s, m) for node, (s, m) in zip(path, self.cumulative(path), strict=True)]

    def cumulative(self, path: Sequence[int]) -> list[tuple[int, int]]:
        """Seconds and metres from the first node to each node of a node path."""
        out, t, m = [(0, 0)], 0, 0
        for a, b in itertools.pairwise(path):
            e = self.graph.edge_index(a, b)
            t += int(self.graph.travel_s[e])
            m += int(self.graph.distance_m[e])
            out.append((t, m))
        return out

    def path_times(self, source: int, target: int) -> list[tuple[int, int]]:
        """(location, seconds from ``source``) along the fastest path, source first."""
        return [(node, s) for node, s, _ in self.path_steps(source, target)]
