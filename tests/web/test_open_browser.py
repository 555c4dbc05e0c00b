"""The public open-data page on a service with a month of history: figures, chart, map and
the fairness table appear; axe finds nothing in German and Arabic; the package downloads."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from benchmarks.month_history import fill_month
from dispatch.config import load_service_config
from dispatch.roads.network import OsmSource, load_road_network
from dispatch.store import open_database
from tests.service.conftest import Server, start_server, stop_server
from tests.web.conftest import ZONE, service_toml
from tests.web.test_accessibility import _check

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    tmp = tmp_path_factory.mktemp("open-web")
    config_path = tmp / "service.toml"
    config_path.write_text(service_toml(ZONE), encoding="utf-8")
    config = load_service_config(config_path, osm_source=osm)
    network = load_road_network(OsmSource(path=Path(osm)), cache_dir=tmp / "cache")
    db = open_database(f"sqlite:///{tmp / 'dispatch.sqlite'}")
    db.migrate()
    first = datetime.now(ZoneInfo(ZONE)).date().replace(day=1)
    fill_month(db, network, config, first, 600, seed=11)
    db.dispose()
    running = start_server(
        tmp, tmp / "dispatch.sqlite", tmp / "cache", ["--config", str(config_path)]
    )
    yield running
    stop_server(running)


def _open(page: Any, lang: str) -> None:
    page.goto(f"/open?lang={lang}")
    page.wait_for_selector("#days table")
    page.wait_for_selector("#fairness table")
    page.wait_for_selector("#chart svg rect")


@pytest.mark.parametrize("lang", ["de", "ar"])
def test_open_page_shows_figures_and_passes_axe(page: Any, lang: str) -> None:
    _open(page, lang)
    assert page.locator("#days tbody tr").count() >= 20
    fairness = page.inner_text("#fairness")
    assert ("Rollstuhl" if lang == "de" else "كرسي متحرك") in fairness
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    _check(page, "open", lang)


def test_the_package_downloads_from_the_service(server: Server) -> None:
    answer = httpx.get(f"{server.url}/v1/open/current/datapackage.zip", timeout=60)
    assert answer.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert "datapackage.json" in names and "fairness.csv" in names
    bad = httpx.get(f"{server.url}/v1/open/2026-13", timeout=10)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["detail"] == "month: '2026-13' is not a month like 2026-11"  # no CLI option
    early = httpx.get(f"{server.url}/v1/open/1900-01", timeout=10)
    assert early.status_code == 422
    assert early.json()["detail"] == "month: '1900-01' is out of range (2000-01 to 2099-12)"
