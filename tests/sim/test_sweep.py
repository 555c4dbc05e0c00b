"""Fleet-size sweeps: ranges, resuming an interrupted sweep, the report, Dask."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.errors import InputError
from dispatch.sim.commands import write_report
from dispatch.sim.output import RunSummary
from dispatch.sim.scenario import Scenario, prepare
from dispatch.sim.sweep import parse_fleet_sizes, smallest_meeting, sweep


@pytest.mark.parametrize(
    ("text", "sizes"),
    [("2..5", [2, 3, 4, 5]), ("2..8:3", [2, 5, 8]), ("4,6,2", [2, 4, 6]), ("3", [3])],
)
def test_fleet_ranges(text: str, sizes: list[int]) -> None:
    assert parse_fleet_sizes(text) == sizes


@pytest.mark.parametrize(
    ("text", "message"),
    [("5..2", "the range 5..2 is empty"), ("two", "not a fleet size"), ("0..3", "at least 1")],
)
def test_bad_fleet_ranges(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_fleet_sizes(text)


def test_smallest_fleet_meeting_the_target() -> None:
    runs = {
        n: RunSummary(n, {"served_share": share}) for n, share in [(2, 0.8), (3, 0.96), (4, 1.0)]
    }
    assert smallest_meeting(runs, 0.95) == 3
    assert smallest_meeting(runs, 1.0) == 4
    assert smallest_meeting(runs, 0.5) == 2
    assert smallest_meeting({2: runs[2]}, 0.95) is None


class Interrupted(Exception):
    pass


def _report(scenario: Scenario, folder: Path, sizes: list[int], **kwargs: object) -> str:
    results = sweep(scenario, sizes, folder, **kwargs)  # type: ignore[arg-type]
    write_report(folder, results, smallest_meeting(results, 0.9), scenario, prepare(scenario), 0.9)
    return (folder / "index.html").read_text(encoding="utf-8")


@pytest.mark.realdata
def test_interrupted_and_resumed_sweep_gives_the_same_report(
    real_osm: Path, small_day: Path, cached: Path, tmp_path: Path
) -> None:
    scenario = Scenario(small_day, osm=real_osm, solver_iterations=10)
    sizes = [1, 2, 3]
    whole = _report(scenario, tmp_path / "whole", sizes)

    def stop_after_first(n: int, run: RunSummary, done: int, total: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        sweep(scenario, sizes, tmp_path / "resumed", on_run=stop_after_first)
    assert len(list((tmp_path / "resumed" / "runs").glob("*.json"))) == 1
    computed: list[int] = []
    resumed = _report(
        scenario, tmp_path / "resumed", sizes, on_run=lambda n, *_: computed.append(n)
    )
    assert computed == [2, 3]  # the finished run was read back, not recomputed
    assert resumed == whole
    assert "<svg" in whole and "Wie viele Busse" in whole and "https://" not in whole


@pytest.mark.realdata
def test_changed_settings_are_not_taken_from_the_store(
    real_osm: Path, small_day: Path, cached: Path, tmp_path: Path
) -> None:
    computed: list[int] = []
    for wait in (10, 20):
        scenario = Scenario(small_day, osm=real_osm, solver_iterations=0, max_wait_min=wait)
        sweep(scenario, [1], tmp_path, on_run=lambda n, *_: computed.append(n))
    assert computed == [1, 1]


@pytest.mark.realdata
def test_parallel_processes_and_dask_agree(
    real_osm: Path, small_day: Path, cached: Path, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    scenario = Scenario(small_day, osm=real_osm, solver_iterations=10)
    local = sweep(scenario, [1, 2], tmp_path / "local", workers=2)
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        remote = sweep(scenario, [1, 2], tmp_path / "dask", dask_address=cluster.scheduler_address)
    strip = {"solver_s"}
    for n in (1, 2):
        assert {k: v for k, v in local[n].kpis.items() if k not in strip} == {
            k: v for k, v in remote[n].kpis.items() if k not in strip
        }
