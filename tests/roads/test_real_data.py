"""Tests on a real extract (DISPATCH_TEST_OSM; CI sets it to north-bayreuth, krems works too)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from dispatch.roads.bench import networkx_matrix, to_networkx
from dispatch.roads.network import RoadNetwork

pytestmark = pytest.mark.realdata


def test_travel_times_agree_with_networkx(real_network: RoadNetwork) -> None:
    rng = np.random.default_rng(7)
    nodes = [int(x) for x in rng.integers(0, real_network.graph.n_nodes, 40)]
    ours, metres = real_network.travel_times.matrix(nodes)
    theirs = networkx_matrix(to_networkx(real_network), nodes)
    assert np.array_equal(ours, theirs)
    assert (metres[ours > 0] > 0).all()


def test_route_totals_match_matrix(real_network: RoadNetwork) -> None:
    a, b = 3, real_network.graph.n_nodes - 5
    path = real_network.route(a, b)
    seconds, metres = real_network.travel_times.one_to_many(a, [b])
    assert (path.travel_s, path.distance_m) == (int(seconds[0]), int(metres[0]))


def test_region_has_villages_and_stops(real_network: RoadNetwork) -> None:
    names = {p.name for p in real_network.places}
    assert len(names) >= 3 and len(real_network.streets) >= 20 and real_network.stops
    if "bayreuth" in real_network.report.source:
        assert {"Neudrossenfeld", "Altenplos", "Ramsenthal"} <= names
        assert len(real_network.stops) >= 10
    summary = real_network.summary()
    assert summary["share_nodes_kept"] > 0.7  # type: ignore[operator]


def test_all_pairs_equal_plain_dijkstra(real_network: RoadNetwork) -> None:
    """The kernel contraction is exact on every pair of the real graph."""
    g = real_network.graph
    n = g.n_nodes
    plain = csr_matrix((g.travel_s.astype(float), g.indices, g.indptr), shape=(n, n))
    seconds, _ = real_network.travel_times.matrix(list(range(n)))
    assert np.array_equal(seconds, dijkstra(plain).astype(np.int64))


def test_snapping_random_points_stays_close(real_network: RoadNetwork) -> None:
    g = real_network.graph
    rng = np.random.default_rng(3)
    k = rng.integers(0, g.road_lat.shape[0], 1000)
    nodes = real_network.snap_many(g.road_lat[k], g.road_lon[k])
    assert nodes.min() >= 0 and nodes.max() < n_nodes(real_network)


def n_nodes(network: RoadNetwork) -> int:
    return network.graph.n_nodes
