"""The fairness guard asks a wheelchair user's refused request again only while their
group trails by more than the bound; a replay with it keeps every request accounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.engine.events import TripSpec
from dispatch.fairness.guard import FairnessGuard, FairnessParams
from dispatch.sim.run import run_scenario
from dispatch.sim.scenario import Scenario

SPEC = TripSpec(1, 2, 1, 1, depart_after=1000)


def test_second_chance_only_while_the_group_trails() -> None:
    guard = FairnessGuard(FairnessParams(0.05, extra_wait_s=600))
    assert guard.second_chance(SPEC) == TripSpec(1, 2, 1, 1, depart_after=1600)
    for _ in range(10):
        guard.record(False, True)
    guard.record(True, True)
    assert guard.second_chance(SPEC) is None  # 100 % vs 100 %
    guard.record(True, False)
    assert guard.second_chance(SPEC) is not None  # 50 % vs 100 %
    assert guard.second_chance(TripSpec(1, 2, 1, 0, depart_after=1000)) is None
    assert guard.second_chance(TripSpec(1, 2, 1, 1, arrive_by=5000)) is None


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="max_gap"):
        FairnessParams(1.5)


@pytest.mark.realdata
def test_replay_with_the_option_serves_wheelchair_users_no_worse(
    small_day: Path, real_osm: Path, cached: Path
) -> None:
    plain = run_scenario(Scenario(small_day, osm=real_osm, vehicles=1))
    fair = run_scenario(Scenario(small_day, osm=real_osm, vehicles=1, fairness_max_gap=0.0))
    assert fair.violations == [] and plain.violations == []
    assert fair.kpis.requested == plain.kpis.requested == fair.kpis.served + fair.kpis.rejected

    def wheelchair_served(run: object) -> int:
        by_id = {r.id: r for r in run.prepared.requests}  # type: ignore[attr-defined]
        return sum(
            1
            for o in run.result.outcomes
            if o.status == "served" and by_id[o.request_id].wheelchairs
        )  # type: ignore[attr-defined]

    assert wheelchair_served(fair) >= wheelchair_served(plain)
