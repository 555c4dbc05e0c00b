from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network
from dispatch.sim.demand import format_demand
from dispatch.sim.synth import SynthParams, synthesise

TZ = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 25)


@pytest.fixture(scope="session")
def real_osm() -> Path:
    value = os.environ.get("DISPATCH_TEST_OSM")
    if not value:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    return Path(value)


@pytest.fixture(scope="session")
def osm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("osm-cache")


@pytest.fixture
def cached(osm_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Compiled road graphs go to a temporary cache, not the repository's osm_cache/."""
    monkeypatch.setenv("DISPATCH_OSM_CACHE", str(osm_cache))
    return osm_cache


@pytest.fixture(scope="session")
def real_network(real_osm: Path, osm_cache: Path) -> RoadNetwork:
    return load_road_network(OsmSource(path=real_osm), cache_dir=osm_cache)


@pytest.fixture(scope="session")
def small_day(real_network: RoadNetwork, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve synthetic requests on north-bayreuth, as a demand CSV."""
    requests = synthesise(real_network, SynthParams(12, DAY, seed=5), TZ)
    path = tmp_path_factory.mktemp("demand") / "day.csv"
    path.write_text(format_demand(requests, TZ), encoding="utf-8")
    return path
