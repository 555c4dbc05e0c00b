"""Compile raw OSM ways into the road graph: directed edges, largest strongly connected
component, chains folded into single edges, integer seconds and metres."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from dispatch.errors import NoDrivableRoadError
from dispatch.roads.graph import RoadGraph
from dispatch.roads.osm_file import RawNetwork, Street

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


@dataclass(frozen=True, slots=True)
class _Edge:
    seconds: float
    metres: float


Edges = dict[tuple[int, int], _Edge]


def _directed_edges(raw: RawNetwork) -> Edges:
    """Consecutive way nodes as directed edges (the fastest if ways overlap)."""
    edges: Edges = {}
    for way in raw.ways:
        mps = way.speed_kmh / 3.6
        for a, b in zip(way.nodes, way.nodes[1:], strict=False):
            if a == b:
                continue
            metres = haversine_m(*raw.coords[a], *raw.coords[b])
            edge = _Edge(metres / mps, metres)
            pairs = (
                [(a, b)]
                if way.direction == 1
                else [(b, a)]
                if way.direction == -1
                else [(a, b), (b, a)]
            )
            for pair in pairs:
                old = edges.get(pair)
                if old is None or edge.seconds < old.seconds:
                    edges[pair] = edge
    return edges


def _largest_scc(edges: Edges) -> set[int]:
    nodes = sorted({n for pair in edges for n in pair})
    index = {n: k for k, n in enumerate(nodes)}
    rows = [index[a] for a, _ in edges]
    cols = [index[b] for _, b in edges]
    matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    return {nodes[k] for k in np.nonzero(labels == biggest)[0]}


def _junctions(edges: Edges) -> set[int]:
    """Nodes that stay in the folded graph: all but the inner nodes of simple chains."""
    out_n: dict[int, set[int]] = defaultdict(set)
    in_n: dict[int, set[int]] = defaultdict(set)
    for a, b in edges:
        out_n[a].add(b)
        in_n[b].add(a)
    keep = set()
    for node in set(out_n) | set(in_n):
        neighbours = out_n[node] | in_n[node]
        one_way_chain = len(out_n[node]) == 1 and len(in_n[node]) == 1 and out_n[node] != in_n[node]
        two_way_chain = len(neighbours) == 2 and out_n[node] == in_n[node] == neighbours
        if len(neighbours) != 2 or not (one_way_chain or two_way_chain):
            keep.add(node)
    return keep


def _fold(edges: Edges, keep: set[int]) -> dict[tuple[int, int], tuple[float, float, list[int]]]:
    """Walk from every kept node through chain nodes to the next kept node."""
    succ: dict[int, list[int]] = defaultdict(list)
    for a, b in edges:
        succ[a].append(b)
    folded: dict[tuple[int, int], tuple[float, float, list[int]]] = {}
    for start in keep:
        for first in succ[start]:
            seconds, metres, inner = 0.0, 0.0, []
            prev, cur = start, first
            while True:
                e = edges[(prev, cur)]
                seconds += e.seconds
                metres += e.metres
                if cur in keep:
                    break
                inner.append(cur)
                nxt = [n for n in succ[cur] if n != prev]
                if not nxt:
                    break
                prev, cur = cur, nxt[0]
            if cur not in keep or cur == start:
                continue
            old = folded.get((start, cur))
            if old is None or seconds < old[0]:
                folded[(start, cur)] = (seconds, metres, inner)
    return folded


def compile_network(raw: RawNetwork, simplify: bool = True) -> RoadGraph:
    """The drivable, strongly connected graph of ``raw`` (chains folded if ``simplify``)."""
    edges = _directed_edges(raw)
    if not edges:
        raise NoDrivableRoadError("the area holds no road a bus may use")
    all_nodes = {n for pair in edges for n in pair}
    scc = _largest_scc(edges)
    kept_edges = {pair: e for pair, e in edges.items() if pair[0] in scc and pair[1] in scc}
    keep = (_junctions(kept_edges) if simplify else set(scc)) or {min(scc)}
    folded = _fold(kept_edges, keep)
    graph = _assemble(raw, folded, keep, scc)
    graph.stats.update(
        {
            "raw_nodes": len(all_nodes),
            "raw_edges": len(edges),
            "scc_nodes": len(scc),
            "scc_edges": len(kept_edges),
            "share_nodes_kept": len(scc) / len(all_nodes),
            "share_edges_kept": len(kept_edges) / len(edges),
        }
    )
    return graph


def _assemble(
    raw: RawNetwork,
    folded: dict[tuple[int, int], tuple[float, float, list[int]]],
    keep: set[int],
    scc: set[int],
) -> RoadGraph:
    nodes = sorted(keep)
    index = {n: k for k, n in enumerate(nodes)}
    order = sorted(folded, key=lambda pair: (index[pair[0]], index[pair[1]]))
    counts = np.bincount([index[a] for a, _ in order], minlength=len(nodes))
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    geom_ptr, geom_lat, geom_lon = [0], [], []
    for pair in order:
        for n in folded[pair][2]:
            geom_lat.append(raw.coords[n][0])
            geom_lon.append(raw.coords[n][1])
        geom_ptr.append(len(geom_lat))
    scc_sorted = sorted(scc)
    return RoadGraph(
        node_osm_id=np.array(nodes, dtype=np.int64),
        lat=np.array([raw.coords[n][0] for n in nodes]),
        lon=np.array([raw.coords[n][1] for n in nodes]),
        indptr=indptr,
        indices=np.array([index[b] for _, b in order], dtype=np.int64),
        travel_s=np.array([max(1, math.ceil(folded[p][0])) for p in order], dtype=np.int64),
        distance_m=np.array([max(1, round(folded[p][1])) for p in order], dtype=np.int64),
        geom_ptr=np.array(geom_ptr, dtype=np.int64),
        geom_lat=np.array(geom_lat, dtype=np.float64),
        geom_lon=np.array(geom_lon, dtype=np.float64),
        road_lat=np.array([raw.coords[n][0] for n in scc_sorted]),
        road_lon=np.array([raw.coords[n][1] for n in scc_sorted]),
        places=tuple(raw.places),
        stops=tuple(raw.stops),
        streets=_streets(raw, scc),
        stats={},
    )


def _streets(raw: RawNetwork, scc: set[int]) -> tuple[Street, ...]:
    """One representative point per street name (the middle node of its longest way)."""
    best: dict[str, tuple[int, float, float]] = {}
    for way in raw.ways:
        inside = [n for n in way.nodes if n in scc]
        if not way.name or not inside:
            continue
        mid = raw.coords[inside[len(inside) // 2]]
        if way.name not in best or len(inside) > best[way.name][0]:
            best[way.name] = (len(inside), mid[0], mid[1])
    return tuple(sorted(Street(name, lat, lon) for name, (_, lat, lon) in best.items()))
