"""Rebalancing: which idle bus goes where, and what the engine plans meanwhile."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dispatch.engine.engine import Engine
from dispatch.engine.events import (
    BookingAccepted,
    BookingRequested,
    PositionReported,
    QuoteAnswered,
    QuoteRequested,
    RelocationOrdered,
    Tick,
    TripSpec,
    VehicleAdded,
)
from dispatch.engine.params import EngineParams, RebalanceParams
from dispatch.engine.rebalance import DemandMemory
from tests.engine.conftest import T0, GridTravelTimes

#: Cover 3 blocks; move for at least 2 more recent requests.
REBALANCE = RebalanceParams(coverage_s=180, horizon_s=3600, max_drive_s=900, min_gain=2)


def _engine(depots: tuple[int, ...] = (0,), shift_s: int = 12 * 3600, **kwargs: object) -> Engine:
    params = EngineParams(rebalance=replace(REBALANCE, **kwargs))  # type: ignore[arg-type]
    eng = Engine(GridTravelTimes(), params)
    for k, depot in enumerate(depots):
        eng.handle(VehicleAdded(f"bus{k + 1}", 4, 1, depot, T0, T0 + shift_s), T0)
    return eng


def _ask(eng: Engine, k: int, node: int, now: int) -> QuoteAnswered:
    """A request from ``node`` to the far corner (the engine remembers where it was asked)."""
    spec = TripSpec(pickup_node=node, dropoff_node=9 if node != 9 else 90, passengers=1)
    (answer,) = eng.handle(QuoteRequested(f"q{k}", spec), now)
    assert isinstance(answer, QuoteAnswered)
    return answer


def _relocations(eng: Engine, now: int) -> list[RelocationOrdered]:
    return [c for c in eng.handle(Tick(), now) if isinstance(c, RelocationOrdered)]


def test_an_idle_bus_goes_where_requests_were_asked_for() -> None:
    eng = _engine()
    for k in range(4):
        _ask(eng, k, 77, T0 + 60 * k)  # asked, not booked: demand all the same
    (move,) = _relocations(eng, T0 + 300)
    assert move.vehicle_id == "bus1"
    assert move.node == 77  # 14 blocks from the depot at 0, within 900 s
    assert move.arrival == T0 + 300 + 14 * 60
    vehicle = eng.vehicles["bus1"]
    assert (vehicle.position_node, vehicle.position_at) == (77, move.arrival)


def test_no_move_for_too_little_gain_too_far_or_too_close_to_the_shift_end() -> None:
    few = _engine()
    _ask(few, 0, 77, T0)
    assert _relocations(few, T0 + 60) == []  # one request: less than min_gain
    far = _engine(max_drive_s=600)
    for k in range(4):
        _ask(far, k, 77, T0)
    assert _relocations(far, T0 + 60) == []  # 14 blocks = 840 s > 600 s
    late = _engine(shift_s=1800)
    for k in range(4):
        _ask(late, k, 77, T0)
    # 840 s there + 840 s back + 300 s margin: beyond the 30-min shift
    assert _relocations(late, T0 + 60) == []


def test_demand_already_covered_by_another_bus_draws_nobody() -> None:
    eng = _engine(depots=(0, 88))  # bus2 stands within 3 blocks of 77
    for k in range(4):
        _ask(eng, k, 77, T0)
    assert _relocations(eng, T0 + 60) == []


def test_two_idle_buses_spread_over_two_clusters() -> None:
    eng = _engine(depots=(0, 0))
    for k in range(3):
        _ask(eng, k, 7, T0)
        _ask(eng, 10 + k, 70, T0)
    moves = _relocations(eng, T0 + 60)
    assert sorted(m.node for m in moves) == [7, 70]
    assert len({m.vehicle_id for m in moves}) == 2


def test_old_requests_are_forgotten() -> None:
    memory = DemandMemory(horizon_s=600)
    memory.record(T0, 5)
    memory.record(T0 + 500, 5)
    memory.record(T0 + 500, 6)
    assert memory.recent(T0 + 700) == {5: 1.0, 6: 1.0}
    assert memory.recent(T0 + 2000) == {}


def test_a_relocating_bus_is_planned_from_where_it_is_going() -> None:
    eng = _engine()
    for k in range(4):
        _ask(eng, k, 77, T0)
    (move,) = _relocations(eng, T0 + 60)
    # on the way it reports a node it passed: the plan still starts at 77 on arrival
    eng.handle(PositionReported("bus1", 1, T0 + 120), T0 + 120)
    assert eng.vehicles["bus1"].position_node == 77
    answer = _ask(eng, 9, 78, T0 + 120)
    (offer,) = answer.offers[:1]
    assert offer.pickup_eta >= move.arrival + 60  # one block from 77, after arriving
    commands = eng.handle(BookingRequested("b1", offer.offer_id), T0 + 121)
    assert any(isinstance(c, BookingAccepted) for c in commands)
    # arrived: the report is taken as usual, and the bus is no longer relocating
    eng.handle(PositionReported("bus1", 77, move.arrival), move.arrival)
    assert eng.vehicles["bus1"].relocation_arrival is None
    assert _relocations(eng, move.arrival + 1) == []  # it has a booking now


def test_off_by_default() -> None:
    eng = Engine(GridTravelTimes(), EngineParams())
    eng.handle(VehicleAdded("bus1", 4, 1, 0, T0, T0 + 12 * 3600), T0)
    for k in range(5):
        _ask(eng, k, 77, T0)
    assert _relocations(eng, T0 + 60) == []


@pytest.mark.parametrize("field", ["coverage_s", "horizon_s", "max_drive_s", "min_gain"])
def test_negative_settings_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        replace(REBALANCE, **{field: -1})
