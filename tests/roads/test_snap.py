from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dispatch.errors import SnapError
from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network
from dispatch.roads.snap import Snapper

STRAIGHT = Path(__file__).parent.parent / "data" / "straight.osm"


def test_snap_many_gives_junctions_and_snap_is_never_farther(village: RoadNetwork) -> None:
    rng = np.random.default_rng(2)
    lat = 50.0 + rng.uniform(0, 0.003, 50)
    lon = 11.5 + rng.uniform(0, 0.005, 50)
    nodes = village.snap_many(lat, lon)
    assert nodes.dtype == np.int64 and nodes.shape == (50,)
    assert nodes.max() < village.graph.n_nodes
    for a, b, node in zip(lat, lon, nodes.tolist(), strict=True):
        point = village.snap(a, b)
        junction = village.node_coords(node)
        away = np.hypot((junction[0] - a) * 111_320, (junction[1] - b) * 111_320 * 0.643)
        assert point.distance_m <= away + 0.5


def test_snapped_point_carries_its_coordinates_and_distance(village: RoadNetwork) -> None:
    p = village.snap(50.0001, 11.5052)  # beside the one-way Einbahnweg (11.505)
    assert (p.lat, p.lon) == village.node_coords(p.node)
    assert 13 < p.distance_m < 15.5  # 0.0002° of longitude at 50° N ≈ 14.3 m


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine, independent of the project's own geometry."""
    r = 6_371_008.8
    (la1, lo1), (la2, lo2) = (np.radians(a), np.radians(b))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return float(2 * r * np.arcsin(np.sqrt(h)))


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    return load_road_network(OsmSource(path=STRAIGHT), cache_dir=tmp_path_factory.mktemp("c"))


WEST, EAST = (50.000, 11.500), (50.000, 11.530)
SPEED = 50 / 3.6


def test_a_point_beside_a_long_road_gets_the_partial_segment_time(straight: RoadNetwork) -> None:
    """20 m south of the Landstraße, a quarter of the way from its west end: snapped onto
    the road, not to a junction 536 m away; the west end is a quarter and the east end
    three quarters of the drive away (hand computation: haversine length at 50 km/h)."""
    point = straight.snap(49.99982, 11.5075)
    assert point.node >= straight.graph.n_nodes  # a point on the segment, not a node
    assert 19 < point.distance_m < 21
    length = _metres(WEST, EAST)
    west, east = (int(straight.snap_many([la], [lo])[0]) for la, lo in (WEST, EAST))
    seconds, metres = straight.one_to_many(point.node, [west, east])
    assert abs(seconds[0] - 0.25 * length / SPEED) <= 1.5
    assert abs(seconds[1] - 0.75 * length / SPEED) <= 1.5
    assert abs(metres[0] - 0.25 * length) <= 3 and abs(metres[1] - 0.75 * length) <= 3
    back, _ = straight.block([west, east], [point.node])
    assert abs(back[0, 0] - 0.25 * length / SPEED) <= 1.5
    assert abs(back[1, 0] - 0.75 * length / SPEED) <= 1.5
    assert straight.one_to_many(point.node, [point.node])[0].tolist() == [0]
    steps = straight.path_steps(point.node, east)
    assert [s[0] for s in steps] == [point.node, east] and steps[-1][1] == seconds[1]
    route = straight.route(west, point.node)
    assert route.nodes == (west, point.node) and route.travel_s == back[0, 0]
    assert route.polyline[0] == straight.node_coords(west)
    assert route.polyline[-1] == straight.node_coords(point.node)


def test_two_points_on_one_road_reach_each_other_along_it(straight: RoadNetwork) -> None:
    a = straight.snap(49.9999, 11.510).node
    b = straight.snap(49.9999, 11.520).node
    seconds, metres = straight.block([a, b], [a, b])
    length = _metres((50.0, 11.510), (50.0, 11.520))
    assert abs(metres[0, 1] - length) <= 3 and abs(metres[1, 0] - length) <= 3
    assert abs(seconds[0, 1] - length / SPEED) <= 2 and seconds[0, 0] == 0
    route = straight.route(a, b)
    assert route.nodes == (a, b) and route.travel_s == seconds[0, 1]


def test_a_point_id_means_the_same_place_after_a_restart(
    straight: RoadNetwork, tmp_path: Path
) -> None:
    again = load_road_network(OsmSource(path=STRAIGHT), cache_dir=tmp_path)
    point = straight.snap(49.99982, 11.5075)
    assert again.snap(49.99982, 11.5075).node == point.node
    assert again.node_coords(point.node) == straight.node_coords(point.node)


def test_an_unknown_location_is_refused(straight: RoadNetwork) -> None:
    with pytest.raises(IndexError):
        straight.one_to_many(straight.graph.n_nodes + (10**9) * (1 << 20), [0])


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


def test_vectorised_links_agree_with_decoded_points(village: RoadNetwork) -> None:
    points = village.travel_times.points
    rng = np.random.default_rng(5)
    lat = 50.0 + rng.uniform(0, 0.006, 60)
    lon = 11.5 + rng.uniform(0, 0.006, 60)
    locs = sorted({village.snap(a, b).node for a, b in zip(lat, lon, strict=True)})
    locs = [loc for loc in locs if points.is_point(loc)]
    assert locs
    for leaving in (True, False):
        nodes, secs, metres = points.arrays(np.array(locs, dtype=np.int64), leaving)
        for k, loc in enumerate(locs):
            p = points.decode(loc)
            links = p.exits if leaving else p.entries
            got = [
                (n, s, m) for n, s, m in zip(nodes[k], secs[k], metres[k], strict=True) if n >= 0
            ]
            assert got == [(link.node, link.seconds, link.metres) for link in links]


def test_locations_added_together_get_the_same_times(straight: RoadNetwork) -> None:
    from dispatch.engine.locations import LocationTable

    spots = [(49.9999, 11.505), (50.0001, 11.52), (50.002, 11.5001), (49.998, 11.53)]
    locs = [straight.snap(a, b).node for a, b in spots]
    one, many = LocationTable(straight), LocationTable(straight)
    one.index(locs[0])
    many.index(locs[0])
    for loc in locs[1:]:
        one.index(loc)
    assert many.index_many(locs[1:]) == [one.index(loc) for loc in locs[1:]]
    assert (many.matrices()[0] == one.matrices()[0]).all()
    assert many.travel_rows() == one.travel_rows()
