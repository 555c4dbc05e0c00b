"""The road-network benchmark: build, reload, travel-time matrix against networkx, snapping."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network
from dispatch.roads.travel_times import DijkstraTravelTimes


def _random_points(
    network: RoadNetwork, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered within 200 m of random road nodes (so they always snap)."""
    g = network.graph
    k = rng.integers(0, g.road_lat.shape[0], n)
    lat = g.road_lat[k] + rng.normal(0, 0.0008, n)
    lon = g.road_lon[k] + rng.normal(0, 0.0012, n)
    return lat, lon


def to_networkx(network: RoadNetwork) -> nx.DiGraph:
    g = network.graph
    graph = nx.DiGraph()
    graph.add_nodes_from(range(g.n_nodes))
    for a in range(g.n_nodes):
        for e in range(int(g.indptr[a]), int(g.indptr[a + 1])):
            graph.add_edge(a, int(g.indices[e]), travel_s=int(g.travel_s[e]))
    return graph


def networkx_matrix(graph: nx.DiGraph, nodes: list[int]) -> np.ndarray:
    out = np.zeros((len(nodes), len(nodes)), dtype=np.int64)
    for i, s in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(graph, s, weight="travel_s")
        out[i] = [lengths[t] for t in nodes]
    return out


def run_roads_benchmark(source: OsmSource, seed: int = 1) -> dict[str, float | int | bool]:
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        load_road_network(source, cache_dir=Path(tmp), progress=lambda _: None)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        network = load_road_network(source, cache_dir=Path(tmp), progress=lambda _: None)
        reload_s = time.perf_counter() - t0
    lat, lon = _random_points(network, 100, rng)
    nodes = [int(n) for n in network.snap_many(lat, lon)]
    cold = DijkstraTravelTimes(network.graph)
    t0 = time.perf_counter()
    ours, _ = cold.matrix(nodes)
    matrix_ms = (time.perf_counter() - t0) * 1000
    graph = to_networkx(network)
    t0 = time.perf_counter()
    theirs = networkx_matrix(graph, nodes)
    nx_ms = (time.perf_counter() - t0) * 1000
    slat, slon = _random_points(network, 10_000, rng)
    t0 = time.perf_counter()
    network.snap_many(slat, slon)
    snap_ms = (time.perf_counter() - t0) * 1000
    return {
        "nodes": network.graph.n_nodes,
        "edges": network.graph.n_edges,
        "first_build_s": round(build_s, 3),
        "reload_from_cache_s": round(reload_s, 4),
        "matrix_100x100_cold_ms": round(matrix_ms, 2),
        "networkx_matrix_100x100_ms": round(nx_ms, 1),
        "speedup_vs_networkx": round(nx_ms / matrix_ms, 1),
        "matrices_agree_to_the_second": bool(np.array_equal(ours, theirs)),
        "snap_10000_points_ms": round(snap_ms, 2),
    }
