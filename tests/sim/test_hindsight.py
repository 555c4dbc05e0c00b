"""The whole day solved in hindsight: a valid plan under the replay's own rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.sim.hindsight import solve_in_hindsight
from dispatch.sim.scenario import Scenario, prepare


@pytest.mark.realdata
def test_hindsight_plan_is_valid_and_measured(
    real_osm: Path, small_day: Path, cached: Path
) -> None:
    prepared = prepare(Scenario(small_day, osm=real_osm, vehicles=2))
    hindsight = solve_in_hindsight(prepared, time_limit_s=0.5, seed=1)
    assert hindsight.violations == []
    assert 0 < hindsight.served <= hindsight.requested == 12
    assert hindsight.vehicle_km > 0
