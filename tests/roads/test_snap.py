from __future__ import annotations

import numpy as np
import pytest

from dispatch.errors import SnapError
from dispatch.roads.network import RoadNetwork
from dispatch.roads.snap import Snapper


def test_snap_many_matches_single_snaps(village: RoadNetwork) -> None:
    rng = np.random.default_rng(2)
    lat = 50.0 + rng.uniform(0, 0.003, 50)
    lon = 11.5 + rng.uniform(0, 0.005, 50)
    nodes = village.snap_many(lat, lon)
    assert nodes.dtype == np.int64 and nodes.shape == (50,)
    assert [village.snap(a, b).node for a, b in zip(lat, lon, strict=True)] == nodes.tolist()


def test_snapped_point_carries_node_coordinates_and_distance(village: RoadNetwork) -> None:
    p = village.snap(50.0001, 11.505)
    assert (p.lat, p.lon) == village.node_coords(p.node)
    assert 10 < p.distance_m < 13  # 0.0001° of latitude ≈ 11 m


def test_far_point_names_point_distance_and_limit(village: RoadNetwork) -> None:
    with pytest.raises(SnapError) as info:
        village.snap(50.02, 11.5)
    message = str(info.value)
    assert message.startswith("point 50.020000,11.500000 is ")
    assert message.endswith("m from the nearest road (limit 500 m)")


def test_limit_is_configurable(village: RoadNetwork) -> None:
    strict = Snapper(village.graph, max_distance_m=5)
    with pytest.raises(SnapError, match="limit 5 m"):
        strict.snap(50.0001, 11.5)
    with pytest.raises(ValueError):
        Snapper(village.graph, max_distance_m=0)


def test_one_far_point_in_a_batch_is_reported(village: RoadNetwork) -> None:
    with pytest.raises(SnapError, match=r"point 51\.000000,11\.500000"):
        village.snap_many([50.0, 51.0], [11.5, 11.5])
