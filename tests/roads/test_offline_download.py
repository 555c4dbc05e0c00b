"""Without internet and without a map file: a clear error within seconds, with the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dispatch.errors import RoadNetworkError
from dispatch.roads.download import check_reachable, fix_command
from dispatch.roads.network import OsmSource
from tests.serving import free_port

BBOX = OsmSource(bbox=(49.97, 11.48, 50.05, 11.61))


def test_an_unreachable_overpass_server_is_named_with_the_command_that_fixes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DISPATCH_OSM_SOURCE", raising=False)
    url = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there
    with pytest.raises(RoadNetworkError) as error:
        check_reachable(url, BBOX, timeout_s=2)
    message = str(error.value)
    assert "127.0.0.1 cannot be reached" in message
    assert "export DISPATCH_OSM_SOURCE=" in message and "\n" not in message


def test_with_a_map_file_set_a_region_of_the_service_definition_is_said_to_come_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Setting DISPATCH_OSM_SOURCE again would not help: the message says what would."""
    monkeypatch.setenv("DISPATCH_OSM_SOURCE", "/data/north-bayreuth.osm.gz")
    url = f"http://127.0.0.1:{free_port()}/api"
    with pytest.raises(RoadNetworkError) as error:
        check_reachable(url, BBOX, timeout_s=2)
    message = str(error.value)
    assert "export DISPATCH_OSM_SOURCE=" not in message
    assert "names its own [region]" in message and 'file = "' in message


def test_the_fix_names_a_real_extract_when_the_shared_data_are_next_to_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "shared" / "data" / "osm"
    folder.mkdir(parents=True)
    (folder / "north-bayreuth.osm.gz").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert fix_command() == f"export DISPATCH_OSM_SOURCE={folder / 'north-bayreuth.osm.gz'}"


def test_serve_without_map_and_internet_stops_with_the_fix(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPATCH_OSM_SOURCE"}
    env["DISPATCH_OVERPASS_URL"] = f"http://127.0.0.1:{free_port()}/api"
    env["DISPATCH_OSM_CACHE"] = str(tmp_path / "cache")
    env["DISPATCH_PORT"] = str(free_port())  # the default port may be taken on this machine
    done = subprocess.run(
        [sys.executable, "-c", "from dispatch.cli import main; main()", "serve"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot download") and "export DISPATCH_OSM_SOURCE=" in last
