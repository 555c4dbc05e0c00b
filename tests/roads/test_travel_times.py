from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from dispatch.roads.network import RoadNetwork
from dispatch.roads.travel_times import DijkstraTravelTimes, TravelTimes
from tests.roads.conftest import graph_from_edges, rural_edges


@pytest.mark.parametrize("seed", range(8))
def test_matrix_equals_plain_dijkstra_on_random_districts(seed: int) -> None:
    n, edges = rural_edges(seed)
    tt = DijkstraTravelTimes(graph_from_edges(n, edges))
    assert tt.kernel_size < n  # the trees and chains are contracted away
    seconds, metres = tt.matrix(list(range(n)))
    g = tt.graph
    plain = csr_matrix((g.travel_s.astype(float), g.indices, g.indptr), shape=(n, n))
    assert np.array_equal(seconds, dijkstra(plain).astype(np.int64))
    # Metres belong to a fastest path: walking the route gives the same numbers.
    for a, b in [(0, n - 1), (n - 1, 0), (n - 2, n - 3), (5, 5)]:
        path = tt.route(a, b)
        assert (path.travel_s, path.distance_m) == (seconds[a, b], metres[a, b])


def test_one_to_many_and_rectangular_blocks_agree_with_matrix() -> None:
    n, edges = rural_edges(3)
    tt = DijkstraTravelTimes(graph_from_edges(n, edges))
    nodes = list(range(n))
    seconds, metres = tt.matrix(nodes)
    s, m = tt.one_to_many(7, [3, 60, 7])
    assert s.tolist() == seconds[7, [3, 60, 7]].tolist()
    assert m.tolist() == metres[7, [3, 60, 7]].tolist()
    bs, _ = tt.block([1, 50], [2, 3, 69])
    assert bs.tolist() == seconds[np.ix_([1, 50], [2, 3, 69])].tolist()
    assert tt.matrix([])[0].shape == (0, 0)


def test_cache_is_bounded_and_thread_safe() -> None:
    n, edges = rural_edges(4)
    tt = DijkstraTravelTimes(graph_from_edges(n, edges), cache_rows=5)
    expected = tt.matrix(list(range(n)))[0]
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for k in range(30):
                src = (k * 7 + offset) % n
                assert tt.one_to_many(src, list(range(n)))[0].tolist() == expected[src].tolist()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(tt._rows) <= 5


def test_network_travel_times_follow_the_protocol(village: RoadNetwork) -> None:
    tt: TravelTimes = village.travel_times
    seconds, metres = tt.matrix([0, 1])
    assert seconds.dtype == np.int64 and metres.dtype == np.int64
    assert seconds[0, 0] == 0 and seconds[0, 1] > 0 and metres[0, 1] > 0


def test_out_of_range_node_is_an_error(village: RoadNetwork) -> None:
    with pytest.raises(IndexError):
        village.travel_times.one_to_many(0, [village.graph.n_nodes])
