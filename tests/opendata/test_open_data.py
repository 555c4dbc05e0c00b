"""Open data: k-anonymity of every published cell, consistent totals, nothing personal,
a valid Frictionless package, and one-line errors on the command line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import frictionless
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.month_history import RIDER_NAMES, fill_month, rider_rows
from dispatch.config import load_service_config
from dispatch.opendata.aggregate import DayDriving, build_tables
from dispatch.opendata.trips import PublicTrip
from dispatch.roads.network import OsmSource, RoadNetwork, load_road_network
from dispatch.store import open_database

MONTH = date(2026, 11, 1)
K = 5


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, RoadNetwork]:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    tmp = tmp_path_factory.mktemp("open")
    network = load_road_network(OsmSource(path=Path(osm)), cache_dir=tmp / "cache")
    db = open_database(f"sqlite:///{tmp / 'dispatch.sqlite'}")
    db.migrate()
    config = load_service_config(None, osm_source=osm)
    total = fill_month(db, network, config, MONTH, 900, seed=3)
    db.dispose()
    done = _run("open-data", "export", "--month", "2026-11", "-o", str(tmp / "out"), tmp=tmp)
    assert done.returncode == 0, done.stderr
    return tmp / "out", total, network


def _run(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DISPATCH_OSM_SOURCE": os.environ["DISPATCH_TEST_OSM"],
        "DISPATCH_OSM_CACHE": str(tmp / "cache"),
        "DISPATCH_DATABASE_URL": f"sqlite:///{tmp / 'dispatch.sqlite'}",
    }
    return subprocess.run(
        [sys.executable, "-c", "from dispatch.cli import main; main()", *args],
        capture_output=True, text=True, env=env, timeout=240,
    )  # fmt: skip


def _table(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _requests_in_history(folder: Path) -> int:
    """Requests the package stands for: published days plus suppressed ones."""
    days = sum(int(r["requests"]) for r in _table(folder, "days"))
    suppressed = {r["table"]: int(r["requests"]) for r in _table(folder, "suppression")}
    return days + suppressed["days"]


@pytest.mark.realdata
def test_every_published_cell_has_k_requests_and_totals_agree(
    exported: tuple[Path, int, RoadNetwork],
) -> None:
    folder, total, _ = exported
    cancelled_and_more = _requests_in_history(folder)
    assert 0 < cancelled_and_more <= total
    suppressed = {r["table"]: int(r["requests"]) for r in _table(folder, "suppression")}
    for name in ("days", "day_villages", "hours", "flows"):
        rows = _table(folder, name)
        assert rows and all(int(r["requests"]) >= K for r in rows), name
        assert sum(int(r["requests"]) for r in rows) + suppressed[name] == cancelled_and_more, name
    fairness = _table(folder, "fairness")
    assert all(int(r["requests"]) >= K for r in fairness)
    kinds = {r["group_kind"] for r in fairness}
    assert kinds == {"wheelchair", "channel", "standing_order", "village"}
    days = _table(folder, "days")
    assert all(float(r["vehicle_km"]) > 0 for r in days)
    assert all(0 < float(r["served_share"]) <= 1 for r in days)


@pytest.mark.realdata
def test_nothing_personal_is_published(exported: tuple[Path, int, RoadNetwork]) -> None:
    folder, _, _ = exported
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))
    for rider in rider_rows(0):
        assert str(rider["name"]) not in text and str(rider["phone"]) not in text
        assert str(rider["home_address"]) not in text
    for name in RIDER_NAMES:
        assert name.split()[1] not in text
    assert "b_hist" not in text and "r_hist" not in text
    for name in ("days", "day_villages", "hours", "flows", "fairness"):
        header = (folder / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert not {"lat", "lon", "name", "phone", "booking_id", "rider_id"} & set(
            header.split(",")
        )
    hours = {int(r["hour"]) for r in _table(folder, "hours") if r["hour"]}
    assert hours <= set(range(24))


@pytest.mark.realdata
def test_the_package_is_valid_frictionless(exported: tuple[Path, int, RoadNetwork]) -> None:
    folder, _, _ = exported
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    csv_resources = [r for r in descriptor["resources"] if r["format"] == "csv"]
    report = frictionless.Package(
        {**descriptor, "resources": csv_resources}, basepath=str(folder)
    ).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    geo = json.loads((folder / "villages.geojson").read_text(encoding="utf-8"))
    assert geo["features"] and all(f["properties"]["requests"] >= K for f in geo["features"])


@pytest.mark.realdata
def test_a_bad_month_is_one_line(exported: tuple[Path, int, RoadNetwork], tmp_path: Path) -> None:
    folder, _, _ = exported
    done = _run(
        "open-data", "export", "--month", "2026-13", "-o", str(tmp_path / "x"), tmp=folder.parent
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip().splitlines()[-1]
        == "error: --month: '2026-13' is not a month like 2026-11"
    )
    assert not (tmp_path / "x").exists()


_trip = st.builds(
    PublicTrip,
    day=st.dates(date(2026, 11, 1), date(2026, 11, 4)),
    hour=st.integers(6, 21),
    origin=st.sampled_from(["Harsdorf", "Altenplos", "Lanzendorf", "Ködnitz"]),
    destination=st.sampled_from(["Harsdorf", "Neudrossenfeld"]),
    served=st.booleans(),
    wheelchair=st.booleans(),
    phone=st.booleans(),
    standing_order=st.booleans(),
    wait_s=st.none() | st.integers(0, 1800),
    ride_s=st.none() | st.integers(60, 3600),
    late=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(trips=st.lists(_trip, max_size=80), k=st.integers(2, 8))
def test_k_anonymity_property(trips: list[PublicTrip], k: int) -> None:
    tables = build_tables(trips, {d: DayDriving(1000, 500) for d in {t.day for t in trips}}, k)
    suppressed = {r["table"]: r["requests"] for r in tables.suppression}
    days_total = sum(r["requests"] for r in tables.rows["days"]) + suppressed["days"]
    assert days_total == len(trips)
    for name in ("days", "day_villages", "hours", "flows"):
        rows = tables.rows[name]
        assert all(r["requests"] >= k for r in rows)
        assert sum(r["requests"] for r in rows) + suppressed[name] == len(trips)
    for r in tables.rows["fairness"]:
        assert r["requests"] >= k
    per_kind: dict[str, int] = {}
    for r in tables.rows["fairness"]:
        per_kind[r["group_kind"]] = per_kind.get(r["group_kind"], 0) + r["requests"]
    assert all(
        n in (len(trips), 0) or n >= len(trips) - suppressed["fairness"] for n in per_kind.values()
    )


@pytest.mark.parametrize("requests", [3, 12])
def test_a_quiet_month_is_counted_as_a_whole_when_its_days_are_too_small(
    exported: tuple[Path, int, RoadNetwork], tmp_path: Path, requests: int
) -> None:
    from dispatch.opendata.export import month_data
    from dispatch.store import Repository

    _, _, network = exported
    db = open_database(f"sqlite:///{tmp_path / 'quiet.sqlite'}")
    db.migrate()
    config = load_service_config(None, osm_source=os.environ["DISPATCH_TEST_OSM"])
    made = fill_month(db, network, config, MONTH, requests, seed=5)
    data = month_data(Repository(db), network, config, "2026-11")
    db.dispose()
    k = config.publish.k_anonymity
    assert all(d["requests"] >= k for d in data.tables.rows["days"])
    # No table leaves out more requests than there are (fairness groups them four times).
    assert all(r["requests"] <= made for r in data.tables.suppression), data.tables.suppression
    if made < k:
        assert data.totals is None, "a month of fewer than k requests publishes no total"
        return
    assert data.totals is not None and data.totals.requests == made
    assert 0 <= data.totals.served <= made and data.totals.vehicle_km >= 0
