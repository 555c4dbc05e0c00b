"""Tests on the real north-bayreuth extract (DISPATCH_TEST_OSM; CI sets it)."""

from __future__ import annotations

import numpy as np
import pytest

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
    assert {"Neudrossenfeld", "Altenplos", "Ramsenthal"} <= names
    assert len(real_network.stops) >= 10
    summary = real_network.summary()
    assert summary["share_nodes_kept"] > 0.8  # type: ignore[operator]
