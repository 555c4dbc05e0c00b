from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dispatch.errors import CorruptSourceError, NoDrivableRoadError, SnapError, SourceNotFoundError
from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network
from tests.roads.conftest import DATA


def _node(net: RoadNetwork, osm_id: int) -> int:
    hits = np.nonzero(net.graph.node_osm_id == osm_id)[0]
    assert hits.size == 1, f"OSM node {osm_id} is not a junction of the graph"
    return int(hits[0])


def _osm_ids(net: RoadNetwork) -> set[int]:
    return {int(x) for x in net.graph.node_osm_id}


def test_only_roads_a_bus_may_use_are_kept(village: RoadNetwork) -> None:
    road_nodes = set(
        zip(village.graph.road_lat.tolist(), village.graph.road_lon.tolist(), strict=True)
    )
    assert (50.0, 11.51) not in road_nodes  # access=no
    assert (50.006, 11.505) not in road_nodes  # track
    assert (49.997, 11.5) not in road_nodes  # motor_vehicle=no
    assert (50.006, 11.5) in road_nodes  # service road, access=no but psv=yes
    assert (50.01, 11.52) not in road_nodes  # disconnected island


def test_one_way_street_is_respected(village: RoadNetwork) -> None:
    a, b = _node(village, 2), _node(village, 3)
    forward = village.route(a, b)
    backward = village.route(b, a)
    assert forward.nodes == (a, b)
    assert backward.travel_s > forward.travel_s
    assert len(backward.nodes) > 2  # goes round the block


def test_maxspeed_sets_the_speed(village: RoadNetwork) -> None:
    a, b = _node(village, 3), _node(village, 4)
    edge = village.graph.edge_index(a, b)
    metres = int(village.graph.distance_m[edge])
    assert 350 <= metres <= 365  # 0.005° of longitude at 50°N
    assert int(village.graph.travel_s[edge]) == pytest.approx(metres / (20 / 3.6), abs=1)


def test_chains_are_folded_but_keep_their_geometry(village: RoadNetwork) -> None:
    assert 1 not in _osm_ids(village)  # node 1 only links two roads: folded
    path = village.route(_node(village, 4), _node(village, 2))
    assert (50.0, 11.5) in path.polyline


def test_places_and_stops(village: RoadNetwork) -> None:
    (place,) = village.places
    assert (place.name, place.kind, place.population) == ("Testdorf", "village", 420)
    (stop,) = village.stops
    assert stop.name == "Testdorf Kirche"
    assert {"Hauptstraße", "Einbahnweg"} <= {s[0] for s in village.streets}
    assert "Inselweg" not in {s[0] for s in village.streets}


def test_snapping_and_far_points(village: RoadNetwork) -> None:
    snapped = village.snap(50.0031, 11.5051)
    assert snapped.node == _node(village, 3) and snapped.distance_m < 20
    with pytest.raises(
        SnapError, match=r"point 50\.100000,11\.500000 is \d+ m from the nearest road"
    ):
        village.snap(50.1, 11.5)
    with pytest.raises(SnapError, match="not a valid"):
        village.snap(95.0, 11.5)


def test_second_load_comes_from_cache(tmp_path: Path) -> None:
    source = OsmSource(path=DATA / "village.osm")
    first = load_road_network(source, cache_dir=tmp_path)
    second = load_road_network(source, cache_dir=tmp_path)
    assert not first.report.from_cache and second.report.from_cache
    assert np.array_equal(first.graph.travel_s, second.graph.travel_s)


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    source = OsmSource(path=DATA / "village.osm")
    first = load_road_network(source, cache_dir=tmp_path)
    data = bytearray(first.report.cache_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    first.report.cache_file.write_bytes(bytes(data))
    again = load_road_network(source, cache_dir=tmp_path)
    assert not again.report.from_cache
    assert np.array_equal(first.graph.travel_s, again.graph.travel_s)


def test_profile_change_uses_another_cache_entry(tmp_path: Path) -> None:
    from dispatch.roads.profile import RoadProfile

    source = OsmSource(path=DATA / "village.osm")
    load_road_network(source, cache_dir=tmp_path)
    other = load_road_network(source, RoadProfile(max_speed_kmh=30), cache_dir=tmp_path)
    assert not other.report.from_cache


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("missing.osm", SourceNotFoundError),
        ("broken.osm", CorruptSourceError),
        ("no_roads.osm", NoDrivableRoadError),
    ],
)
def test_bad_sources(tmp_path: Path, name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        load_road_network(OsmSource(path=DATA / name), cache_dir=tmp_path)


def test_corrupt_gzip(tmp_path: Path) -> None:
    bad = tmp_path / "bad.osm.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(CorruptSourceError, match="cannot be read"):
        load_road_network(OsmSource(path=bad), cache_dir=tmp_path)


def test_wrong_kind_of_file(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(CorruptSourceError, match="not an OSM file"):
        load_road_network(OsmSource(path=other), cache_dir=tmp_path)


def test_pbf_gives_the_same_network_as_xml(tmp_path: Path) -> None:
    import osmium

    pbf = tmp_path / "village.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(DATA / "village.osm")):
            writer.add(obj)
    from_pbf = load_road_network(OsmSource(path=pbf), cache_dir=tmp_path)
    from_xml = load_road_network(OsmSource(path=DATA / "village.osm"), cache_dir=tmp_path)
    assert np.array_equal(from_pbf.graph.node_osm_id, from_xml.graph.node_osm_id)
    assert np.array_equal(from_pbf.graph.travel_s, from_xml.graph.travel_s)
    assert [p.name for p in from_pbf.places] == [p.name for p in from_xml.places]


def test_gzip_and_bzip2_xml(tmp_path: Path) -> None:
    import bz2
    import gzip

    raw = (DATA / "village.osm").read_bytes()
    (tmp_path / "v.osm.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "v.osm.bz2").write_bytes(bz2.compress(raw))
    for name in ("v.osm.gz", "v.osm.bz2"):
        net = load_road_network(OsmSource(path=tmp_path / name), cache_dir=tmp_path)
        assert net.graph.n_nodes > 0 and len(net.stops) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bbox:49.97,11.48,50.05,11.61", OsmSource(bbox=(49.97, 11.48, 50.05, 11.61))),
        ("49.97,11.48,50.05,11.61", OsmSource(bbox=(49.97, 11.48, 50.05, 11.61))),
        ("place:Trebgast, Germany", OsmSource(place="Trebgast, Germany")),
        ("Trebgast, Germany", OsmSource(place="Trebgast, Germany")),
        ("maps/region.osm.pbf", OsmSource(path=Path("maps/region.osm.pbf"))),
        (
            "polygon:POLYGON ((0 0, 1 0, 1 1, 0 0))",
            OsmSource(polygon_wkt="POLYGON ((0 0, 1 0, 1 1, 0 0))"),
        ),
    ],
)
def test_source_parse(text: str, expected: OsmSource) -> None:
    assert OsmSource.parse(text) == expected


@pytest.mark.parametrize("text", ["", "bbox:1,2,3", "bbox:50,11,49,12"])
def test_source_parse_rejects_bad_input(text: str) -> None:
    from dispatch.errors import InputError

    with pytest.raises(InputError):
        OsmSource.parse(text)


def test_point_conveniences_snap_then_compute(village: RoadNetwork) -> None:
    seconds, metres = village.matrix_between([(50.0, 11.505), (50.003, 11.505)])
    path = village.route_between((50.0, 11.505), (50.003, 11.505))
    assert seconds[0, 1] == path.travel_s and metres[0, 1] == path.distance_m
    assert seconds[1, 0] > seconds[0, 1]  # the one-way street only goes north
    assert path.polyline[0] == (50.0, 11.505) and path.polyline[-1] == (50.003, 11.505)


def test_truncated_cache_is_rebuilt(tmp_path: Path) -> None:
    source = OsmSource(path=DATA / "village.osm")
    first = load_road_network(source, cache_dir=tmp_path)
    data = first.report.cache_file.read_bytes()
    first.report.cache_file.write_bytes(data[: len(data) // 3])
    again = load_road_network(source, cache_dir=tmp_path)
    assert not again.report.from_cache
    assert load_road_network(source, cache_dir=tmp_path).report.from_cache


def test_summary_reports_what_a_planner_needs(village: RoadNetwork) -> None:
    summary = village.summary()
    assert summary["nodes"] == village.graph.n_nodes and summary["stops"] == 1
    assert 0 < summary["share_nodes_kept"] < 1  # type: ignore[operator]
    assert summary["from_cache"] is False


def test_unsimplified_graph_keeps_every_road_node(tmp_path: Path) -> None:
    from dispatch.roads.profile import RoadProfile

    source = OsmSource(path=DATA / "village.osm")
    full = load_road_network(source, RoadProfile(simplify=False), cache_dir=tmp_path)
    folded = load_road_network(source, cache_dir=tmp_path)
    assert 1 in _osm_ids(full) and full.graph.n_nodes > folded.graph.n_nodes
    assert full.snap(50.0001, 11.5).distance_m < 15  # snaps onto the corner node 1
    a, b = _node(full, 4), _node(full, 2)
    assert (
        full.travel_times.one_to_many(a, [b])[0][0]
        == folded.route(_node(folded, 4), _node(folded, 2)).travel_s
    )
