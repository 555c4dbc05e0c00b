"""Scenarios on the real map: fleet overrides, booking-rule overrides, places → nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.errors import InputError
from dispatch.sim.run import road_arrays, run_scenario, write_outputs
from dispatch.sim.scenario import Scenario, parse_ride_time, prepare
from dispatch.sim.trajectory import check, read_folder


@pytest.mark.realdata
def test_fleet_and_rules_overrides(real_osm: Path, small_day: Path, cached: Path) -> None:
    scenario = Scenario(
        small_day,
        osm=real_osm,
        vehicles=3,
        seats=5,
        wheelchair_places=0,
        max_wait_min=20,
        ride_time="2x+45s",
    )
    prepared = prepare(scenario)
    assert [v.vehicle_id for v in prepared.fleet] == [
        "bus-1@2026-11-25",
        "bus-2@2026-11-25",
        "bus-3@2026-11-25",
    ]
    assert {(v.seats, v.wheelchair_places) for v in prepared.fleet} == {(5, 0)}
    assert prepared.engine_params.max_wait_s == 1200
    assert prepared.engine_params.ride_time.max_ride_s(100) == 245


@pytest.mark.realdata
def test_real_replay_accounts_for_every_request_and_writes_files(
    real_osm: Path, small_day: Path, cached: Path, tmp_path: Path
) -> None:
    finished = run_scenario(Scenario(small_day, osm=real_osm, vehicles=2, solver_iterations=10))
    k = finished.kpis
    assert k.served + k.rejected == k.requested == 12 and k.unfinished == 0
    assert finished.violations == []
    files = write_outputs(tmp_path / "out", finished)
    assert sorted(f.name for f in files) == [
        "fairness.json",
        "fairness.txt",
        "kpis.json",
        "kpis.txt",
        "outcomes.csv",
        "rules.json",
        "stops.csv",
        "timeline.csv",
        "vehicles.csv",
    ]
    outcomes = (tmp_path / "out" / "outcomes.csv").read_text().splitlines()
    assert len(outcomes) == 13 and outcomes[0].startswith(
        "request_id,status,reason,vehicle_id,booked_at,requested_time,time_is,passengers,"
        "wheelchairs,promised_pickup_start,promised_pickup_end,promised_latest_arrival,"
        "planned_pickup,pickup,dropoff,wait_min,ride_min,direct_min"
    )
    timeline = (tmp_path / "out" / "timeline.csv").read_text().splitlines()
    assert timeline[0] == "vehicle_id,time,node,lat,lon,on_board"


@pytest.mark.realdata
def test_the_checker_reads_the_written_files_and_agrees(
    real_osm: Path, small_day: Path, cached: Path, tmp_path: Path
) -> None:
    """The files tell the same story as the replay: the checker finds the same on both,
    and a timeline edited to make one bus faster than the road is caught from the files."""
    finished = run_scenario(Scenario(small_day, osm=real_osm, vehicles=2, solver_iterations=10))
    write_outputs(tmp_path / "out", finished)
    roads = road_arrays(finished.prepared)
    assert check(read_folder(tmp_path / "out"), roads) == finished.violations == []
    path = tmp_path / "out" / "timeline.csv"
    lines = path.read_text().splitlines()
    first_move = next(
        k
        for k in range(2, len(lines))
        if lines[k].split(",")[0] == lines[k - 1].split(",")[0]
        and lines[k].split(",")[2] != lines[k - 1].split(",")[2]
    )
    fields = lines[first_move].split(",")
    fields[1] = lines[first_move - 1].split(",")[1]  # there in no time at all
    lines[first_move] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    kinds = {v.kind for v in check(read_folder(tmp_path / "out"), roads)}
    assert "too_fast" in kinds


@pytest.mark.realdata
def test_unknown_stop_is_reported_with_the_request(
    real_osm: Path, tmp_path: Path, cached: Path
) -> None:
    demand = tmp_path / "d.csv"
    demand.write_text(
        "id,depart_after,origin,destination\na,2026-11-25T08:00,nowhere,place-240050520\n"
    )
    with pytest.raises(InputError, match=r"request a, origin: unknown stop 'nowhere'"):
        prepare(Scenario(demand, osm=real_osm))


@pytest.mark.parametrize(
    ("text", "factor", "extra"), [("1.5x+10min", 1.5, 600), ("2x", 2.0, 0), ("1.5x+45s", 1.5, 45)]
)
def test_ride_time_rules(text: str, factor: float, extra: int) -> None:
    rule = parse_ride_time(text)
    assert (rule.factor, rule.extra_s) == (factor, extra)


@pytest.mark.parametrize("text", ["fast", "0.5x", "1.5x+10h"])
def test_bad_ride_time_rules(text: str) -> None:
    with pytest.raises(InputError, match="--ride-time"):
        parse_ride_time(text)
