"""A small replay through the real engine on a synthetic grid: every request ends served
or rejected, and every served rider was picked up and dropped off within the promise."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from dispatch.engine.params import EngineParams
from dispatch.sim.demand import DemandRequest, Place
from dispatch.sim.kpis import compute_kpis
from dispatch.sim.replay import ReplayParams, ReplayResult, VehicleSpec, run_replay
from tests.engine.conftest import BLOCK_S, GridTravelTimes

T0 = 1_800_000_000


class GridNetwork(GridTravelTimes):
    """10×10 grid; a place is given as lat=row, lon=col."""

    def path_times(self, source: int, target: int) -> Sequence[tuple[int, int]]:
        r, c = divmod(source, 10)
        tr, tc = divmod(target, 10)
        out, t = [(source, 0)], 0
        while (r, c) != (tr, tc):
            if r != tr:
                r += 1 if tr > r else -1
            else:
                c += 1 if tc > c else -1
            t += BLOCK_S
            out.append((r * 10 + c, t))
        return out

    def resolve(self, place: Place) -> int:
        assert place.lat is not None and place.lon is not None
        return int(place.lat) * 10 + int(place.lon)

    def one_to_many(
        self, source: int, targets: Sequence[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        return super().one_to_many(source, list(targets))


def _day(seed: int, n: int) -> list[DemandRequest]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        a, b = rng.sample(range(100), 2)
        t = T0 + rng.randint(0, 3 * 3600)
        lead = rng.choice((0, 0, 1800))
        out.append(
            DemandRequest(
                f"r{k}",
                t - lead,
                t,
                None,
                Place(lat=a // 10, lon=a % 10),
                Place(lat=b // 10, lon=b % 10),
                passengers=rng.choice((1, 1, 2)),
            )
        )
    return out


def _run(seed: int) -> ReplayResult:
    fleet = [
        VehicleSpec(f"v{k}", 4, 1, depot, T0 - 600, T0 + 6 * 3600)
        for k, depot in enumerate((0, 55, 99))
    ]
    return run_replay(
        _day(seed, 30),
        GridNetwork(),
        fleet,
        EngineParams(),
        ReplayParams(reoptimise_every_s=900, solver_iterations=30, seed=seed, check_plans=True),
    )


def test_every_request_is_served_or_rejected_within_its_promise() -> None:
    result = _run(4)
    kpis = compute_kpis(result.outcomes, result.vehicles.values(), result.solver_s)
    assert kpis.served + kpis.rejected == kpis.requested == 30
    assert kpis.unfinished == 0 and kpis.served > 0
    for o in result.outcomes:
        if o.status == "served":
            assert o.promised_pickup_start is not None and o.promised_pickup_end is not None
            assert (
                o.pickup is not None
                and o.promised_pickup_start <= o.pickup <= o.promised_pickup_end
            )
            assert o.dropoff is not None and o.promised_latest_arrival is not None
            assert o.dropoff <= o.promised_latest_arrival
    assert kpis.vehicle_km > 0 and 0 <= kpis.pooling_rate <= 1


def _fingerprint(result: ReplayResult) -> tuple[object, ...]:
    outcomes = tuple(
        sorted((o.request_id, o.status, o.vehicle_id, o.pickup, o.dropoff) for o in result.outcomes)
    )
    logs = tuple((v.vehicle_id, v.distance_m, tuple(v.timeline)) for v in result.vehicles.values())
    return outcomes, logs, result.solves, result.adopted


def test_same_seed_gives_the_same_replay() -> None:
    first, second = _run(7), _run(7)
    assert first.adopted > 0  # the re-optimisation did change plans, and did so identically
    assert _fingerprint(first) == _fingerprint(second)


def test_every_plan_of_the_replay_passes_validate_plan() -> None:
    result = _run(11)
    assert result.commands > 0
    assert result.plan_checks == []


def test_replay_without_reoptimisation_still_serves() -> None:
    fleet = [VehicleSpec("v0", 4, 1, 55, T0 - 600, T0 + 6 * 3600)]
    result = run_replay(
        _day(3, 8), GridNetwork(), fleet, EngineParams(), ReplayParams(solver_iterations=0)
    )
    kpis = compute_kpis(result.outcomes, result.vehicles.values())
    assert kpis.served + kpis.rejected == 8 and kpis.served > 0


def test_planned_breaks_are_taken_in_the_replay_and_nobody_rides_during_them() -> None:
    brk = (T0 + 3600, T0 + 3600 + 1800)
    fleet = [
        VehicleSpec(f"v{k}", 4, 1, depot, T0 - 600, T0 + 6 * 3600, breaks=(brk,))
        for k, depot in enumerate((0, 99))
    ]
    result = run_replay(
        _day(7, 24),
        GridNetwork(),
        fleet,
        EngineParams(break_flex_s=900),
        ReplayParams(reoptimise_every_s=900, solver_iterations=20, seed=7, check_plans=True),
    )
    served = [o for o in result.outcomes if o.status == "served"]
    assert served
    for o in served:
        assert o.pickup is not None and o.dropoff is not None
        # Each bus pauses for 30 minutes, starting within 15 minutes of the planned start:
        # no rider is on board through the heart of the break.
        heart = (brk[0] + 900, brk[1])
        assert not (o.pickup < heart[1] and o.dropoff > heart[0])
