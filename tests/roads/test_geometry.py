"""One polyline encoding for drivers, the dispatcher's map and the demo's buses; one cache of
legs and of the road map."""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dispatch.roads.geometry import Geometry, decode_polyline, encode_polyline
from dispatch.roads.network import OsmSource, load_road_network

# Google's documented example of the encoded polyline format.
POINTS = [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]
ENCODED = "_p~iF~ps|U_ulLnnqC_mqNvxq`@"


def test_encodes_googles_example() -> None:
    assert encode_polyline(POINTS) == ENCODED


def test_decoding_inverts_encoding() -> None:
    assert decode_polyline(ENCODED) == POINTS
    assert decode_polyline(encode_polyline([(50.01234, 11.56789)])) == [(50.01234, 11.56789)]


DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class _Path:
    polyline: Sequence[tuple[float, float]]


class LineRoads:
    """Nodes on a line of longitudes: node n at (50.0, 11.0 + n / 100); counts routes drawn."""

    def __init__(self) -> None:
        self.routes = 0

    def node_coords(self, node: int) -> tuple[float, float]:
        return 50.0, 11.0 + node / 100

    def route(self, source: int, target: int) -> _Path:
        self.routes += 1
        step = 1 if target >= source else -1
        return _Path([self.node_coords(n) for n in range(source, target + step, step)])


def test_a_line_through_stops_is_its_legs_joined_once() -> None:
    roads = LineRoads()
    geometry = Geometry(roads)  # type: ignore[arg-type]
    line = decode_polyline(geometry.line([1, 3, 3, 5]))
    assert line == [(50.0, 11.0 + n / 100) for n in range(1, 6)]  # the joint point once
    assert decode_polyline(geometry.leg(3, 3)) == [(50.0, 11.03)]
    assert geometry.line([4]) == "" and geometry.line([]) == ""


def test_legs_are_drawn_once_for_plans_and_maps_alike() -> None:
    roads = LineRoads()
    geometry = Geometry(roads, size=2)  # type: ignore[arg-type]
    geometry.leg(1, 3)
    geometry.line([1, 3])
    assert roads.routes == 1
    geometry.leg(3, 5)
    geometry.leg(5, 7)  # the cache holds two legs: (1, 3) goes
    geometry.leg(1, 3)
    assert roads.routes == 4


def test_the_road_map_is_built_once_and_served_plain_or_gzipped(tmp_path: Path) -> None:
    network = load_road_network(OsmSource(path=DATA / "village.osm"), cache_dir=tmp_path)
    geometry = Geometry(network)
    encoded = geometry.encoded_map()
    assert geometry.encoded_map() is encoded
    assert gzip.decompress(encoded.gzipped) == encoded.body
    payload = json.loads(encoded.body)
    south, west, north, east = payload["bounds"]
    points = [p for road in payload["roads"] for p in decode_polyline(road)]
    assert points and all(
        south - 1e-5 <= lat <= north + 1e-5 and west - 1e-5 <= lon <= east + 1e-5
        for lat, lon in points
    )
    assert encoded.etag.startswith('"') and encoded.etag.endswith('"')
