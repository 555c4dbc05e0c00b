"""The planner's commands end to end, and their one-line errors (exit code 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.realdata


def _run(
    *args: str, cache: Path, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"DISPATCH_OSM_CACHE": str(cache), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-c", "from dispatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )


def test_synth_replay_and_size_fleet(real_osm: Path, osm_cache: Path, tmp_path: Path) -> None:
    demand = tmp_path / "day.csv"
    synth = (
        "demand",
        "synth",
        "--osm",
        str(real_osm),
        "--requests",
        "10",
        "--date",
        "2026-11-25",
        "--seed",
        "2",
        "-o",
        str(demand),
    )
    done = _run(*synth, cache=osm_cache)
    assert done.returncode == 0, done.stderr
    first = demand.read_text()
    assert _run(*synth, cache=osm_cache).returncode == 0 and demand.read_text() == first

    out = tmp_path / "out"
    done = _run(
        "replay",
        str(demand),
        "--osm",
        str(real_osm),
        "--vehicles",
        "2",
        "--max-wait",
        "15",
        "--ride-time",
        "1.5x+45s",
        "-o",
        str(out),
        cache=osm_cache,
    )
    assert done.returncode == 0, done.stderr
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["served"] + kpis["rejected"] == kpis["requested"] == 10
    baseline = json.loads((out / "baseline" / "kpis.json").read_text())
    assert baseline["requested"] == 10
    assert "share served" in done.stdout
    header = done.stdout.splitlines()[0].split()
    assert header == ["dispatcher", "insertion", "difference"]
    assert done.stderr.count("trajectory check: 0 violations") == 2
    assert (out / "stops.csv").is_file() and (out / "baseline" / "timeline.csv").is_file()

    report = tmp_path / "report"
    done = _run(
        "size-fleet",
        str(demand),
        "--osm",
        str(real_osm),
        "--vehicles",
        "1..2",
        "--target-served",
        "0.5",
        "--workers",
        "1",
        "-o",
        str(report),
        cache=osm_cache,
    )
    assert done.returncode == 0, done.stderr
    assert (report / "index.html").is_file() and (report / "fleet-sizes.csv").is_file()
    assert "smallest fleet serving 50%" in done.stdout
    fairness = (report / "fairness.csv").read_text().splitlines()
    assert fairness[0].startswith("vehicles,policy,group_kind,group,requests,served,served_share")
    assert {r.split(",")[0] for r in fairness[1:]} == {"1", "2"}
    assert any(",area,periphery," in r or ",area,centre," in r for r in fairness[1:])
    assert "wchair" in done.stdout and (report / "fairness.txt").is_file()
    rows = (report / "fleet-sizes.csv").read_text().splitlines()
    assert [r.split(",")[:2] for r in rows[1:]] == [
        ["1", "dispatcher"],
        ["1", "insertion"],
        ["2", "dispatcher"],
        ["2", "insertion"],
    ]


def test_replay_of_the_baseline_alone(real_osm: Path, osm_cache: Path, tmp_path: Path) -> None:
    demand = tmp_path / "day.csv"
    demand.write_text(
        "id,depart_after,origin_lat,origin_lon,destination,destination_lat,destination_lon\n"
        "a,2026-11-25T08:00,50.0185,11.5018,,50.0276,11.5689\n"
    )
    out = tmp_path / "out"
    args = ("replay", str(demand), "--osm", str(real_osm), "--policy", "insertion", "-o", str(out))
    done = _run(*args, "--vehicles", "1", cache=osm_cache)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["insertion"]
    assert not (out / "baseline").exists()
    assert json.loads((out / "kpis.json").read_text())["served"] == 1


def test_the_map_comes_from_dispatch_osm_source_without_osm(
    real_osm: Path, osm_cache: Path, tmp_path: Path
) -> None:
    """Like ``dispatch serve``: offline, DISPATCH_OSM_SOURCE names the map (no download)."""
    demand = tmp_path / "day.csv"
    args = ("demand", "synth", "--requests", "3", "--date", "2026-11-25", "-o", str(demand))
    done = _run(*args, cache=osm_cache, env_extra={"DISPATCH_OSM_SOURCE": str(real_osm)})
    assert done.returncode == 0, done.stderr
    assert len(demand.read_text().splitlines()) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("replay", "{missing}", "-o", "{tmp}/o"), "cannot read the demand file"),
        (("replay", "{bad}", "-o", "{tmp}/o"), "line 2, depart_after"),
        (("replay", "{good}", "--ride-time", "slow", "-o", "{tmp}/o"), "--ride-time"),
        (("replay", "{good}", "--vehicles", "0", "-o", "{tmp}/o"), "--vehicles must be at least 1"),
        (("replay", "{good}", "--policy", "fastest", "-o", "{tmp}/o"), "--policy must be one of"),
        (("size-fleet", "{good}", "--vehicles", "5..2", "-o", "{tmp}/r"), "range 5..2 is empty"),
        (
            (
                "size-fleet",
                "{good}",
                "--vehicles",
                "2..3",
                "--target-served",
                "1.5",
                "-o",
                "{tmp}/r",
            ),
            "--target-served",
        ),
        (
            ("demand", "synth", "--requests", "5", "--date", "25.11.2026", "-o", "{tmp}/d.csv"),
            "--date",
        ),
        (("replay", "{good}", "--osm", "{tmp}/nothing.osm", "-o", "{tmp}/o"), "nothing.osm"),
        (
            ("size-fleet", "{good}", "--vehicles", "2", "--language", "fr", "-o", "{tmp}/r"),
            "--language: 'fr' is not one of de, en, tr, uk, ar",
        ),
        (
            ("replay", "{alpine_day}", "--osm", "{alpine}", "--no-baseline", "-o", "{tmp}/r"),
            "is not on this map",
        ),
    ],
)
def test_bad_inputs_exit_2_with_one_line(
    args: tuple[str, ...], message: str, real_osm: Path, osm_cache: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,depart_after,origin,destination\na,tomorrow,s1,s2\n")
    good = tmp_path / "good.csv"
    good.write_text(
        "id,depart_after,origin_lat,origin_lon,destination,destination_lat,destination_lon\n"
        "a,2026-11-25T08:00,50.0185,11.5018,,50.0276,11.5689\n"
    )
    alpine_day = tmp_path / "alpine.csv"  # on the Alpine map, but no --config for it
    alpine_day.write_text(
        "id,depart_after,origin_lat,origin_lon,destination,destination_lat,destination_lon\n"
        "a,2026-11-25T08:00,47.100,9.500,,47.100,9.520\n"
    )
    paths = {
        "alpine_day": str(alpine_day),
        "missing": str(tmp_path / "missing.csv"),
        "bad": str(bad),
        "good": str(good),
        "tmp": str(tmp_path),
        "alpine": str(Path(__file__).parents[1] / "data" / "alpine.osm"),
    }
    argv = [a.format(**paths) for a in args]
    if "--osm" not in argv:
        argv += ["--osm", str(real_osm)]
    done = _run(*argv, cache=osm_cache)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert "Traceback" not in done.stderr
