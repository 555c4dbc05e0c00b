"""The GTFS-Flex feed: written by the CLI and the API, loaded by gtfs-kit, checked against
the specification (``flex_spec``), and a broken definition refused."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import gtfs_kit
import httpx
import pytest

from tests.publish.flex_spec import validate_feed

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def osm() -> str:
    value = os.environ.get("DISPATCH_TEST_OSM")
    if not value:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    return value


def run(*args: str, osm: str, cache: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DISPATCH_OSM_SOURCE": osm,
        "DISPATCH_OSM_CACHE": str(cache),
        "DISPATCH_DATABASE_URL": f"sqlite:///{tmp / 'dispatch.sqlite'}",
    }
    return subprocess.run(
        [sys.executable, "-c", "from dispatch.cli import main; main()", *args],
        capture_output=True, text=True, env=env, timeout=240,
    )  # fmt: skip


def test_feed_loads_and_passes_the_flex_checks(osm: str, tmp_path: Path) -> None:
    feed = tmp_path / "feed.zip"
    done = run("publish", "gtfs-flex", "-o", str(feed), osm=osm, cache=tmp_path / "c", tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert validate_feed(feed) == []
    loaded = gtfs_kit.read_feed(feed, dist_units="km")
    assert len(loaded.routes) == 1
    assert len(loaded.stops) > 50
    assert set(loaded.trips["service_id"]) <= set(loaded.calendar["service_id"])
    with zipfile.ZipFile(feed) as archive:
        rules = archive.read("booking_rules.txt").decode()
    assert "prior_notice_duration_min" in rules


def test_the_checker_catches_a_broken_feed(osm: str, tmp_path: Path) -> None:
    feed = tmp_path / "feed.zip"
    run("publish", "gtfs-flex", "-o", str(feed), osm=osm, cache=tmp_path / "c", tmp=tmp_path)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(feed) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            data = src.read(name).decode()
            if name == "stop_times.txt":
                data = data.replace(",2,1,booking,", ",0,1,nowhere,")
            dst.writestr(name, data)
    problems = validate_feed(broken)
    assert any("pickup_type 0" in p for p in problems)
    assert any("unknown pickup_booking_rule_id" in p for p in problems)


def test_a_stop_outside_every_zone_is_reported(osm: str, tmp_path: Path) -> None:
    stops = tmp_path / "stops.csv"
    stops.write_text("id,name,lat,lon\nfar,Far stop,50.0185111,11.5017849\n", encoding="utf-8")
    config = tmp_path / "service.toml"
    config.write_text(
        (Path(__file__).parents[2] / "service.example.toml").read_text(encoding="utf-8")
        .replace('# csv = "stops.csv"', 'csv = "stops.csv"')
        .replace("bbox = [49.9721, 11.4807, 50.047, 11.6053]", f'file = "{osm}"')
        .replace("# zones = [{", "zones = [{ id = \"most\", polygon = [[49.9, 11.4], [50.0184, 11.4], "
                 "[50.0184, 11.5019], [50.0186, 11.5019], [50.0186, 11.4], [50.1, 11.4], "
                 "[50.1, 11.7], [49.9, 11.7]] }]\n# was: [{"),
        encoding="utf-8",
    )  # fmt: skip
    feed = tmp_path / "feed.zip"
    done = run("publish", "gtfs-flex", "-o", str(feed), "--config", str(config), osm=osm,
               cache=tmp_path / "c", tmp=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert "outside every zone" in done.stderr and "far (Far stop" in done.stderr
    assert "Traceback" not in done.stderr
    assert not feed.exists()


def test_the_service_serves_the_feed(server: object, tmp_path: Path) -> None:
    answer = httpx.get(f"{server.url}/v1/gtfs-flex.zip", timeout=60)  # type: ignore[attr-defined]
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    feed = tmp_path / "served.zip"
    feed.write_bytes(answer.content)
    assert validate_feed(feed) == []
    assert "locations.geojson" in zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
