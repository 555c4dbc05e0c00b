from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.roads.conftest import DATA


def _run(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {"DISPATCH_OSM_CACHE": str(cache), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", "from dispatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_region_build_prints_summary(tmp_path: Path) -> None:
    result = _run("region", "build", "--osm", str(DATA / "village.osm"), cache=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "bus stops:         1" in result.stdout
    assert "named places:      1" in result.stdout


def test_route_prints_time_and_distance(tmp_path: Path) -> None:
    result = _run(
        "route", "--osm", str(DATA / "village.osm"), "50.0,11.505", "50.003,11.505", cache=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "travel time:" in result.stdout and "distance:" in result.stdout


def test_errors_are_one_line_and_nonzero(tmp_path: Path) -> None:
    cases = [
        ("region", "build", "--osm", str(DATA / "missing.osm")),
        ("region", "build", "--osm", str(DATA / "broken.osm")),
        ("region", "build", "--osm", str(DATA / "no_roads.osm")),
        ("route", "--osm", str(DATA / "village.osm"), "50.0,11.505", "51.0,11.505"),
        ("route", "--osm", str(DATA / "village.osm"), "fifty,11", "50.0,11.505"),
        ("region", "build", "--bbox", "1,2,3"),
    ]
    for args in cases:
        result = _run(*args, cache=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
