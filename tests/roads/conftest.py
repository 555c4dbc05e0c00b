from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from dispatch.roads.graph import RoadGraph
from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def village(tmp_path: Path) -> RoadNetwork:
    return load_road_network(OsmSource(path=DATA / "village.osm"), cache_dir=tmp_path)


@pytest.fixture(scope="session")
def real_osm() -> Path:
    value = os.environ.get("DISPATCH_TEST_OSM")
    if not value:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    return Path(value)


@pytest.fixture(scope="session")
def real_network(real_osm: Path, tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    return load_road_network(OsmSource(path=real_osm), cache_dir=tmp_path_factory.mktemp("osm"))


def graph_from_edges(n: int, edges: list[tuple[int, int, int, int]]) -> RoadGraph:
    """A RoadGraph from ``(a, b, travel_s, distance_m)`` edges, for graph-only tests."""
    edges = sorted(edges)
    counts = np.bincount([a for a, *_ in edges], minlength=n)
    return RoadGraph(
        node_osm_id=np.arange(n, dtype=np.int64),
        lat=50 + np.arange(n) * 1e-4,
        lon=np.full(n, 11.5),
        indptr=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        indices=np.array([b for _, b, *_ in edges], dtype=np.int64),
        travel_s=np.array([s for *_, s, _ in edges], dtype=np.int64),
        distance_m=np.array([m for *_, m in edges], dtype=np.int64),
        geom_ptr=np.zeros(len(edges) + 1, dtype=np.int64),
        geom_lat=np.zeros(0),
        geom_lon=np.zeros(0),
        road_lat=50 + np.arange(n) * 1e-4,
        road_lon=np.full(n, 11.5),
        places=(),
        stops=(),
        streets=(),
        stats={},
    )


def rural_edges(
    seed: int, n_core: int = 30, n_tree: int = 40
) -> tuple[int, list[tuple[int, int, int, int]]]:
    """A random strongly connected "district": a ring with chords, some one-way,
    chains, and dead-end trees hanging off it."""
    rng = np.random.default_rng(seed)
    edges: list[tuple[int, int, int, int]] = []

    def road(a: int, b: int, one_way: bool = False) -> None:
        s, m = int(rng.integers(1, 120)), int(rng.integers(5, 2000))
        edges.append((a, b, s, m))
        if not one_way:
            edges.append((b, a, int(rng.integers(1, 120)), m))

    for k in range(n_core):
        road(k, (k + 1) % n_core, one_way=bool(k % 7 == 3))
    for _ in range(n_core // 3):
        a, b = (int(x) for x in rng.choice(n_core, 2, replace=False))
        road(a, b, one_way=bool(rng.random() < 0.3))
    for t in range(n_tree):
        road(int(rng.integers(0, n_core + t)), n_core + t)
    return n_core + n_tree, edges
