"""What if from real history: demand export → replay keeps every request; scenario compare
is deterministic and answers first."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from benchmarks.month_history import RIDER_NAMES, fill_month
from dispatch.config import load_service_config
from dispatch.roads.network import OsmSource, load_road_network
from dispatch.store import open_database

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    tmp = tmp_path_factory.mktemp("whatif")
    network = load_road_network(OsmSource(path=Path(osm)), cache_dir=tmp / "cache")
    db = open_database(f"sqlite:///{tmp / 'dispatch.sqlite'}")
    db.migrate()
    config = load_service_config(None, osm_source=osm)
    fill_month(db, network, config, date(2026, 11, 2), 24, seed=5, days=1)
    db.dispose()
    return tmp


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DISPATCH_OSM_SOURCE": os.environ["DISPATCH_TEST_OSM"],
        "DISPATCH_OSM_CACHE": str(tmp / "cache"),
        "DISPATCH_DATABASE_URL": f"sqlite:///{tmp / 'dispatch.sqlite'}",
    }
    return subprocess.run(
        [sys.executable, "-c", "from dispatch.cli import main; main()", *args],
        capture_output=True, text=True, env=env, timeout=600, cwd=tmp,
    )  # fmt: skip


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_export_then_replay_keeps_every_request(history: Path) -> None:
    demand = history / "demand.csv"
    done = run(history, "demand", "export", "--month", "2026-11", "-o", str(demand))
    assert done.returncode == 0, done.stderr
    exported = _rows(demand)
    with open_database(f"sqlite:///{history / 'dispatch.sqlite'}").engine.connect() as c:
        from sqlalchemy import text

        booked = c.execute(
            text("select count(*) from bookings where status != 'cancelled'")
        ).scalar()
        unmet = c.execute(text("select count(*) from unmet_requests")).scalar()
    assert len(exported) == booked + unmet > 0
    content = demand.read_text(encoding="utf-8")
    assert not any(name.split()[1] in content for name in RIDER_NAMES)
    assert "+49921555" not in content and "b_hist" not in content
    assert {r["channel"] for r in exported} == {"app", "phone"}
    replayed = run(history, "replay", str(demand), "-o", str(history / "replay"), "--no-baseline",
                   "--periodic-only")  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr
    assert len(_rows(history / "replay" / "outcomes.csv")) == len(exported)
    fairness = json.loads((history / "replay" / "fairness.json").read_text(encoding="utf-8"))
    assert {r["group_kind"] for r in fairness} == {
        "wheelchair",
        "channel",
        "standing_order",
        "village",
        "area",  # centre vs periphery
    }


def _definitions(tmp: Path) -> tuple[Path, Path]:
    example = (
        (ROOT / "service.example.toml")
        .read_text(encoding="utf-8")
        .replace(
            "bbox = [49.9721, 11.4807, 50.047, 11.6053]",
            f'file = "{os.environ["DISPATCH_TEST_OSM"]}"',
        )
    )
    base, wider = tmp / "base.toml", tmp / "wider-window.toml"
    base.write_text(example.replace("max_wait_min = 15 ", "max_wait_min = 5 "), encoding="utf-8")
    wider.write_text(example.replace("max_wait_min = 15 ", "max_wait_min = 40 "), encoding="utf-8")
    return base, wider


def test_scenario_compare_is_deterministic_and_answers_first(history: Path) -> None:
    demand = history / "demand.csv"
    if not demand.exists():
        run(history, "demand", "export", "--month", "2026-11", "-o", str(demand))
    base, wider = _definitions(history)
    outputs = []
    for n in (1, 2):
        done = run(history, "scenario", "compare", str(base), str(wider), "--demand", str(demand),
                   "-o", str(history / f"compare{n}"))  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append((history / f"compare{n}" / "compare.json").read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    data = json.loads(outputs[0])
    assert [c["name"] for c in data] == ["base", "wider-window"]
    assert data[0]["figures"]["requests"] == data[1]["figures"]["requests"]
    assert all(c["figures"]["cost_per_trip"] > 0 for c in data)
    report = (history / "compare1" / "report.md").read_text(encoding="utf-8")
    lines = [line for line in report.splitlines() if line.strip()]
    assert lines[0].startswith("# Was wäre, wenn")
    assert lines[1].startswith("**") and "je Fahrt" in lines[1]


def test_compare_needs_a_variant(history: Path) -> None:
    base, _ = _definitions(history)
    done = run(history, "scenario", "compare", str(base), "--demand", str(base), "-o", "x")
    assert done.returncode == 2
    assert (
        done.stderr.strip().splitlines()[-1]
        == "error: give a base definition and at least one variant"
    )
