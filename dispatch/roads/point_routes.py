"""Travel times and paths between nodes and points on segments (see ``points.py``).

A point is left at either end of its segment and reached from either end; the times
between the ends come from the exact node-to-node Dijkstra, so the result is the exact
fastest path on the graph with the segment split at the point.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from dispatch.roads.geometry import RoutePath
from dispatch.roads.points import OFFSET_RANGE, Link, RoadPoints

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Step = tuple[int, int, int]


class NodePaths(Protocol):
    """What point routes need of the node-to-node travel times (``DijkstraTravelTimes``)."""

    @property
    def bits(self) -> int: ...

    @property
    def points(self) -> RoadPoints: ...

    def packed_nodes(self, sources: IntArray, targets: IntArray) -> FloatArray: ...

    def node_route(self, source: int, target: int) -> RoutePath: ...

    def cumulative(self, path: Sequence[int]) -> list[tuple[int, int]]: ...


def _links(points: RoadPoints, location: int, leaving: bool) -> tuple[Link, ...]:
    if not points.is_point(location):
        return (Link(location, 0, 0),)
    p = points.decode(location)
    return p.exits if leaving else p.entries


def _padded(
    points: RoadPoints, locations: Sequence[int], leaving: bool, bits: int
) -> tuple[IntArray, FloatArray]:
    """Per location, up to two linked nodes and the packed cost of each link (inf: none)."""
    locs = np.asarray(locations, dtype=np.int64)
    is_point = locs >= points.n_nodes
    nodes = np.zeros((len(locs), 2), dtype=np.int64)
    costs = np.full((len(locs), 2), np.inf)
    nodes[:, 0] = np.where(is_point, 0, locs)
    costs[~is_point, 0] = 0.0
    if is_point.any():
        p_nodes, secs, metres = points.arrays(locs[is_point], leaving)
        packed = secs.astype(np.float64) * float(1 << bits) + metres
        packed[p_nodes < 0] = np.inf
        nodes[is_point] = np.maximum(p_nodes, 0)
        costs[is_point] = packed
    return nodes, costs


def point_block(tt: NodePaths, sources: Sequence[int], targets: Sequence[int]) -> FloatArray:
    """Packed fastest weights from every source to every target (nodes or points)."""
    points, bits = tt.points, tt.bits
    s_nodes, s_cost = _padded(points, sources, True, bits)
    t_nodes, t_cost = _padded(points, targets, False, bits)
    rows = np.unique(s_nodes)
    cols = np.unique(t_nodes)
    between = tt.packed_nodes(rows, cols)
    r_idx = np.searchsorted(rows, s_nodes)  # (S, 2)
    c_idx = np.searchsorted(cols, t_nodes)  # (T, 2)
    mid = between[r_idx[:, :, None, None], c_idx[None, None, :, :]]  # (S, 2, T, 2)
    total = s_cost[:, :, None, None] + mid + t_cost[None, None, :, :]
    out: FloatArray = total.min(axis=(1, 3))
    _direct(points, sources, targets, out, bits)
    return out


def _direct(
    points: RoadPoints, sources: Sequence[int], targets: Sequence[int], out: FloatArray, bits: int
) -> None:
    """Two points on one segment reach each other along it (and a location itself at 0)."""
    src = np.asarray(sources, dtype=np.int64)
    dst = np.asarray(targets, dtype=np.int64)
    same = src[:, None] == dst[None, :]
    out[same] = 0.0
    s_pt = np.nonzero(src >= points.n_nodes)[0]
    d_pt = np.nonzero(dst >= points.n_nodes)[0]
    if not len(s_pt) or not len(d_pt):
        return
    s_edge = (src[s_pt] - points.n_nodes) // OFFSET_RANGE
    d_edge = (dst[d_pt] - points.n_nodes) // OFFSET_RANGE
    for a, b in np.argwhere(s_edge[:, None] == d_edge[None, :]).tolist():
        i, j = int(s_pt[a]), int(d_pt[b])
        if src[i] == dst[j]:
            continue
        along = points.direct(int(src[i]), int(dst[j]))
        if along is not None:
            out[i, j] = min(out[i, j], float(along[0] * (1 << bits) + along[1]))


def point_route(tt: NodePaths, source: int, target: int) -> tuple[RoutePath, list[Step]]:
    """The fastest path between nodes or points: its shape, and (location, s, m) steps."""

    points = tt.points
    if source == target:
        lat, lon = points.coords(source)
        return RoutePath((source,), ((lat, lon),), 0, 0), [(source, 0, 0)]
    along = (
        points.direct(source, target)
        if points.is_point(source) and points.is_point(target)
        else None
    )
    best = _best_links(tt, source, target)
    if along is not None and (best is None or _packed(along, tt.bits) <= best[0]):
        shape = (points.coords(source), points.coords(target))
        steps = [(source, 0, 0), (target, along[0], along[1])]
        return RoutePath((source, target), shape, along[0], along[1]), steps
    assert best is not None
    _, out_link, in_link = best
    middle = tt.node_route(out_link.node, in_link.node)
    return _joined(tt, source, target, out_link, in_link, middle)


def _packed(sm: tuple[int, int], bits: int) -> float:
    return float(sm[0] * (1 << bits) + sm[1])


def _best_links(tt: NodePaths, source: int, target: int) -> tuple[float, Link, Link] | None:
    points, bits = tt.points, tt.bits
    outs, ins = _links(points, source, True), _links(points, target, False)
    rows = np.array(sorted({o.node for o in outs}), dtype=np.int64)
    cols = np.array(sorted({i.node for i in ins}), dtype=np.int64)
    between = tt.packed_nodes(rows, cols)
    best: tuple[float, Link, Link] | None = None
    for o, i in itertools.product(outs, ins):
        mid = between[int(np.searchsorted(rows, o.node)), int(np.searchsorted(cols, i.node))]
        total = (
            _packed((o.seconds, o.metres), bits) + float(mid) + _packed((i.seconds, i.metres), bits)
        )
        if best is None or total < best[0]:
            best = (total, o, i)
    return best


def _joined(
    tt: NodePaths,
    source: int,
    target: int,
    out_link: Link,
    in_link: Link,
    middle: RoutePath,
) -> tuple[RoutePath, list[Step]]:
    points = tt.points
    nodes: list[int] = []
    shape: list[tuple[float, float]] = []
    steps: list[Step] = []
    seconds = metres = 0
    if points.is_point(source):
        nodes.append(source)
        shape += points.partial_line(source, out_link.node, leaving=True)[:-1]
        steps.append((source, 0, 0))
        seconds, metres = out_link.seconds, out_link.metres
    for node, (s, m) in zip(middle.nodes, tt.cumulative(middle.nodes), strict=True):
        nodes.append(node)
        steps.append((node, seconds + s, metres + m))
    shape += list(middle.polyline)
    seconds, metres = steps[-1][1], steps[-1][2]
    if points.is_point(target):
        nodes.append(target)
        shape += points.partial_line(target, in_link.node, leaving=False)[1:]
        seconds, metres = seconds + in_link.seconds, metres + in_link.metres
        steps.append((target, seconds, metres))

    return RoutePath(tuple(nodes), tuple(shape), seconds, metres), steps
