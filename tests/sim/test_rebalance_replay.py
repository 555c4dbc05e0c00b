"""Rebalancing in replays: the simulated buses really drive there, and stay honest.

Every replay is checked by the independent trajectory checker and, after every change,
by ``validate_plan`` (``check_plans``): a relocating bus must never make a plan break
a promise, carry anybody or miss its shift end.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.engine.params import EngineParams, RebalanceParams
from dispatch.roads.network import RoadNetwork
from dispatch.sim.demand import DemandRequest, format_demand
from dispatch.sim.kpis import compute_kpis
from dispatch.sim.replay import Policy, Replay, ReplayParams, VehicleSpec
from dispatch.sim.run import road_arrays, run_scenario, write_outputs
from dispatch.sim.scenario import Scenario, prepare
from dispatch.sim.synth import SynthParams, synthesise
from dispatch.sim.trajectory import check, read_folder
from tests.sim.conftest import DAY, TZ
from tests.sim.grid import T0, GridNetwork, grid_roads, place
from tests.sim.test_replay import records

REBALANCE = RebalanceParams(coverage_s=180, horizon_s=3600, max_drive_s=900, min_gain=2)


def _replay(
    day: list[DemandRequest],
    fleet: list[VehicleSpec],
    rebalance: RebalanceParams | None = REBALANCE,
    policy: Policy = Policy.DISPATCHER,
    seed: int = 0,
) -> Replay:
    replay = Replay(
        day,
        GridNetwork(),
        fleet,
        EngineParams(rebalance=rebalance),
        ReplayParams(
            policy=policy, solver_iterations=10, ortools_steps=10, seed=seed, check_plans=True
        ),
    )
    return replay


def _cluster_day(n: int = 12) -> list[DemandRequest]:
    """Riders ask every 5 minutes at the far corner (node 77 and next to it)."""
    return [
        DemandRequest(
            f"r{k}", T0 + 300 * k, T0 + 300 * k, None, place((77, 78, 87)[k % 3]), place(0)
        )
        for k in range(n)
    ]


def test_an_idle_bus_drives_towards_the_requests_and_the_checker_agrees() -> None:
    fleet = [
        VehicleSpec("a", 4, 1, 0, T0 - 600, T0 + 6 * 3600),
        VehicleSpec("b", 4, 1, 0, T0 - 600, T0 + 6 * 3600),
    ]
    replay = _replay(_cluster_day(), fleet)
    result = replay.run()
    assert replay.relocations > 0
    moved = sum(v.relocation_m for v in result.vehicles.values())
    assert moved > 0
    assert all(v.distance_m >= v.relocation_m for v in result.vehicles.values())
    assert check(records(result), grid_roads()) == []
    assert result.plan_checks == []
    for v in result.vehicles.values():
        assert v.timeline[-1][1] == 0  # home at the depot by the end of the shift
        assert v.timeline[-1][0] <= T0 + 6 * 3600


def test_without_the_option_and_for_the_insertion_baseline_nobody_relocates() -> None:
    fleet = [VehicleSpec("a", 4, 1, 0, T0 - 600, T0 + 6 * 3600)]
    off = _replay(_cluster_day(), fleet, rebalance=None)
    off.run()
    baseline = _replay(_cluster_day(), fleet, policy=Policy.INSERTION)
    baseline.run()
    assert off.relocations == baseline.relocations == 0


def _random_day(seed: int, n: int) -> list[DemandRequest]:
    rng = random.Random(seed)
    hot = rng.sample(range(100), 3)  # where most riders ask
    out = []
    for k in range(n):
        a = rng.choice(hot) if rng.random() < 0.7 else rng.randrange(100)
        b = rng.choice([x for x in range(100) if x != a])
        t = T0 + rng.randint(0, 3 * 3600)
        lead = rng.choice((0, 0, 0, 1800))
        out.append(
            DemandRequest(f"r{k}", t - lead, t, None, place(a), place(b), rng.choice((1, 1, 2)))
        )
    return out


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 16),
    depots=st.lists(st.integers(0, 99), min_size=1, max_size=3),
    coverage_s=st.sampled_from((120, 300, 600)),
    min_gain=st.sampled_from((0.5, 1.0, 2.0)),
    shift_h=st.integers(5, 6),
    with_break=st.booleans(),
)
def test_random_days_with_rebalancing_keep_every_promise_and_obey_the_roads(
    seed: int,
    n: int,
    depots: list[int],
    coverage_s: int,
    min_gain: float,
    shift_h: int,
    with_break: bool,
) -> None:
    breaks = ((T0 + 1800, T0 + 2400),) if with_break else ()
    fleet = [
        VehicleSpec(f"v{k}", 4, 1, depot, T0 - 600, T0 + shift_h * 3600, breaks)
        for k, depot in enumerate(depots)
    ]
    params = RebalanceParams(coverage_s=coverage_s, min_gain=min_gain, shift_margin_s=0)
    replay = _replay(_random_day(seed, n), fleet, rebalance=params, seed=seed)
    result = replay.run()
    assert check(records(result), grid_roads()) == []
    assert result.plan_checks == []
    assert compute_kpis(result.outcomes, result.vehicles.values()).unfinished == 0
    for spec in fleet:
        end, node, riders = result.vehicles[spec.vehicle_id].timeline[-1]
        assert (node, riders) == (spec.depot_node, 0) and end <= spec.shift_end


@pytest.mark.realdata
def test_rebalanced_replay_on_the_real_map_passes_the_checker_from_its_files(
    real_osm: Path, real_network: RoadNetwork, cached: Path, tmp_path: Path
) -> None:
    """Relocations follow real road paths; the checker, reading only the written files,
    finds every bus no faster than the roads and every promise kept."""
    demand = tmp_path / "day.csv"
    requests = synthesise(real_network, SynthParams(80, DAY, seed=3, prebooked_share=0), TZ)
    demand.write_text(format_demand(requests, TZ), encoding="utf-8")
    scenario = Scenario(demand, osm=real_osm, vehicles=3, solver_iterations=5, rebalance=True)
    prepared = prepare(scenario)
    assert prepared.engine_params.rebalance == RebalanceParams()
    eager = RebalanceParams(coverage_s=300, min_gain=1)
    prepared = replace(prepared, engine_params=replace(prepared.engine_params, rebalance=eager))
    finished = run_scenario(scenario, prepared=prepared)
    assert sum(v.relocation_m for v in finished.result.vehicles.values()) > 0
    assert finished.violations == []
    write_outputs(tmp_path / "out", finished)
    assert check(read_folder(tmp_path / "out"), road_arrays(finished.prepared)) == []
