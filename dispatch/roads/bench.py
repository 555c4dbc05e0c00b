"""The road-network benchmark: build, reload, travel-time matrix against networkx, snapping."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
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


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def _build_and_reload(source: OsmSource) -> tuple[float, float, RoadNetwork]:
    """A fresh build into an empty cache, then a reload of the same cache entry."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        load_road_network(source, cache_dir=Path(tmp), progress=lambda _: None)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        network = load_road_network(source, cache_dir=Path(tmp), progress=lambda _: None)
        return build_s, time.perf_counter() - t0, network


def run_roads_benchmark(
    source: OsmSource, seed: int = 1, repeat: int = 5
) -> dict[str, float | int | bool | str]:
    """Build, reload, a cold 100×100 matrix (ours vs networkx) and snapping 10,000 points.

    Each timing is the median of ``repeat`` runs; before each run of ours the row cache
    is emptied, so every matrix is computed from scratch ("cold").
    """
    rng = np.random.default_rng(seed)
    build_s, reload_s, network = _build_and_reload(source)
    lat, lon = _random_points(network, 100, rng)
    nodes = [int(n) for n in network.snap_many(lat, lon)]
    tt = DijkstraTravelTimes(network.graph)
    tt.one_to_many(0, [0])  # warm up the code paths, not the data

    def ours_cold() -> object:
        tt.clear_cache()
        return tt.matrix(nodes)

    matrix_ms = _median_ms(ours_cold, repeat)
    ours, _ = tt.matrix(nodes)
    graph = to_networkx(network)
    nx_ms = _median_ms(lambda: networkx_matrix(graph, nodes), repeat)
    theirs = networkx_matrix(graph, nodes)
    slat, slon = _random_points(network, 10_000, rng)
    snap_ms = _median_ms(lambda: network.snap_many(slat, slon), repeat)
    return {
        "source": source.describe(),
        "nodes": network.graph.n_nodes,
        "edges": network.graph.n_edges,
        "kernel_nodes": tt.kernel_size,
        "first_build_s": round(build_s, 3),
        "reload_from_cache_s": round(reload_s, 4),
        "matrix_100x100_cold_ms": round(matrix_ms, 2),
        "networkx_matrix_100x100_ms": round(nx_ms, 1),
        "speedup_vs_networkx": round(nx_ms / matrix_ms, 1),
        "matrices_agree_to_the_second": bool(np.array_equal(ours, theirs)),
        "snap_10000_points_ms": round(snap_ms, 2),
    }
