"""Replays through the real engine on the test grid, checked by the independent checker.

Every replay here is checked for physical validity with :mod:`dispatch.sim.trajectory`
(buses no faster than the roads, stops as long as boarding takes, promises kept); the
insertion baseline is compared with a hand-made day whose answer is known.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch.engine.params import EngineParams, ServiceTimes
from dispatch.sim.demand import DemandRequest
from dispatch.sim.kpis import compute_kpis
from dispatch.sim.replay import Policy, ReplayParams, ReplayResult, VehicleSpec, run_replay
from dispatch.sim.trajectory import Booking, Bus, Records, Rules, StopRow, check
from tests.sim.grid import T0, GridNetwork, grid_roads, place

PARAMS = EngineParams()


def _day(seed: int, n: int, hours: int = 3) -> list[DemandRequest]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        a, b = rng.sample(range(100), 2)
        t = T0 + rng.randint(0, hours * 3600)
        lead = rng.choice((0, 0, 1800))
        out.append(
            DemandRequest(
                f"r{k}", t - lead, t, None, place(a), place(b), passengers=rng.choice((1, 1, 2))
            )
        )
    return out


def _fleet(depots: tuple[int, ...] = (0, 55, 99), **kwargs: object) -> list[VehicleSpec]:
    return [
        VehicleSpec(f"v{k}", 4, 1, depot, T0 - 600, T0 + 6 * 3600, **kwargs)  # type: ignore[arg-type]
        for k, depot in enumerate(depots)
    ]


def _run(
    seed: int,
    policy: Policy = Policy.DISPATCHER,
    n: int = 30,
    params: EngineParams = PARAMS,
    fleet: list[VehicleSpec] | None = None,
) -> ReplayResult:
    return run_replay(
        _day(seed, n),
        GridNetwork(),
        fleet or _fleet(),
        params,
        ReplayParams(
            policy=policy, solver_iterations=20, ortools_steps=20, seed=seed, check_plans=True
        ),
    )


def records(result: ReplayResult, params: EngineParams = PARAMS) -> Records:
    """The checker's input, built from the replay's raw records (as run.py does)."""
    buses = {
        v.vehicle_id: Bus(v.vehicle_id, v.seats, v.wheelchair_places, v.breaks)
        for v in result.vehicles.values()
    }
    net = GridNetwork()
    bookings = {
        f"booking:{o.request_id}": Booking(
            f"booking:{o.request_id}",
            o.status,
            o.passengers,
            o.wheelchairs,
            o.pickup_node if o.pickup_node is not None else -1,
            o.dropoff_node if o.dropoff_node is not None else -1,
            o.promised_pickup_start,
            o.promised_pickup_end,
            o.promised_latest_arrival,
        )
        for o in result.outcomes
        if o.status in ("served", "booked")
    }
    del net
    timeline = [
        (v.vehicle_id, t, node) for v in result.vehicles.values() for t, node, _ in v.timeline
    ]
    stops = [
        StopRow(s.vehicle_id, s.booking_id, s.kind, s.node, s.arrival, s.start, s.end)
        for v in result.vehicles.values()
        for s in v.stops
    ]
    rules = Rules(
        params.service.boarding_s,
        params.service.alighting_s,
        params.service.wheelchair_extra_s,
        params.ride_time.factor,
        params.ride_time.extra_s,
    )
    return Records(rules, buses, bookings, timeline, stops)


def test_every_request_is_served_or_rejected_and_the_buses_obey_the_roads() -> None:
    result = _run(4)
    kpis = compute_kpis(result.outcomes, result.vehicles.values(), result.solver_s)
    assert kpis.served + kpis.rejected == kpis.requested == 30
    assert kpis.unfinished == 0 and kpis.served > 0
    assert result.solves > 0
    assert check(records(result), grid_roads()) == []
    assert result.plan_checks == []
    for o in result.outcomes:
        if o.status == "served":
            assert o.on_board_s is not None and o.direct_s is not None
            assert o.on_board_s >= o.direct_s  # no ride shorter than the direct drive
    assert kpis.detour_mean >= 1.0 and kpis.vehicle_km > 0 and 0 <= kpis.pooling_rate <= 1


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


def test_the_insertion_baseline_never_reoptimises() -> None:
    result = _run(7, Policy.INSERTION)
    assert result.solves == 0 and result.adopted == 0
    assert check(records(result), grid_roads()) == []
    kpis = compute_kpis(result.outcomes, result.vehicles.values())
    assert kpis.served + kpis.rejected == 30 and kpis.served > 0


def test_insertion_on_a_hand_made_day_gives_the_known_answer() -> None:
    """One bus at node 0; two riders at T0 from nodes 1 and 2 to node 3, along one street.

    Boarding 60 s, alighting 45 s, 60 s a block. The bus leaves at T0, reaches node 1 at
    T0+60 and boards rider a until T0+120; rider b lies on the way: node 2 at T0+180,
    boarded by T0+240; node 3 at T0+300, where both alight one after the other. Then it
    waits there and drives back to its depot (3 blocks) to be there at the shift's end.
    """
    params = EngineParams(service=ServiceTimes(boarding_s=60, alighting_s=45))
    day = [
        DemandRequest("a", T0, T0, None, place(1), place(3)),
        DemandRequest("b", T0, T0, None, place(2), place(3)),
    ]
    fleet = [VehicleSpec("v", 4, 0, 0, T0, T0 + 3600)]
    result = run_replay(day, GridNetwork(), fleet, params, ReplayParams(policy=Policy.INSERTION))
    a, b = sorted(result.outcomes, key=lambda o: o.request_id)
    assert (a.status, b.status) == ("served", "served")
    assert (a.pickup, a.boarded) == (T0 + 60, T0 + 120)
    assert (b.pickup, b.boarded) == (T0 + 180, T0 + 240)
    assert sorted([a.dropoff, b.dropoff]) == [T0 + 300, T0 + 345]
    assert (a.wait_s, b.wait_s) == (60, 180)
    log = result.vehicles["v"]
    assert log.distance_m == 6 * 500 and log.return_m == 3 * 500
    assert log.timeline[-1] == (T0 + 3600, 0, 0)  # home at the end of the shift
    kpis = compute_kpis(result.outcomes, result.vehicles.values())
    assert kpis.vehicle_km == 3.0 and kpis.vehicle_km_no_return == 1.5
    assert kpis.pooling_rate == 1.0
    assert check(records(result, params), grid_roads()) == []


def test_booking_rules_apply_in_replays() -> None:
    """A request outside the operating hours is refused with the live service's reason."""
    day = [DemandRequest("late", T0, T0 + 7200, None, place(1), place(3))]

    def rules(when: int, now: int) -> str | None:
        return "the service runs from 06:00 to 22:00" if when > T0 + 3600 else None

    result = run_replay(day, GridNetwork(), _fleet((0,)), PARAMS, ReplayParams(), time_rules=rules)
    (outcome,) = result.outcomes
    assert (outcome.status, outcome.reason) == ("rejected", "the service runs from 06:00 to 22:00")


def test_planned_breaks_are_taken_in_the_replay_and_nobody_rides_during_them() -> None:
    brk = (T0 + 3600, T0 + 3600 + 1800)
    params = EngineParams(break_flex_s=900)
    fleet = _fleet((0, 99), breaks=(brk,))
    result = _run(7, n=24, params=params, fleet=fleet)
    assert check(records(result, params), grid_roads()) == []
    breaks = [s for v in result.vehicles.values() for s in v.stops if s.kind == "break"]
    assert len(breaks) == 2
    for s in breaks:
        assert brk[0] <= s.start <= brk[0] + 900 and s.end - s.start == 1800
    served = [o for o in result.outcomes if o.status == "served"]
    assert served


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 10),
    buses=st.integers(1, 3),
    policy=st.sampled_from(list(Policy)),
)
def test_random_small_days_are_physically_valid(
    seed: int, n: int, buses: int, policy: Policy
) -> None:
    fleet = _fleet((0, 55, 99)[:buses])
    result = run_replay(
        _day(seed, n, hours=2),
        GridNetwork(),
        fleet,
        PARAMS,
        ReplayParams(policy=policy, solver_iterations=10, ortools_steps=10, seed=seed),
    )
    assert check(records(result), grid_roads()) == []
    assert result.plan_checks == []
    kpis = compute_kpis(result.outcomes, result.vehicles.values())
    assert kpis.unfinished == 0
