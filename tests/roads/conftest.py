from __future__ import annotations

import os
from pathlib import Path

import pytest

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
