"""Re-optimisation never freezes: a booking the new plan cannot take keeps its bus."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from dispatch.engine import reconcile
from dispatch.engine.events import (
    OPEN_STATUSES,
    CancelRequested,
    PlanAdopted,
    PreparedAdoption,
    SolveFinished,
    SolveRequested,
    Tick,
)
from dispatch.engine.params import EngineParams
from dispatch.model import Plan
from dispatch.solver.validate import validate_plan
from dispatch.store import Repository, open_database
from tests.engine.conftest import T0
from tests.engine.harness import Harness, counted_solve
from tests.engine.test_restore import assert_store_agrees, book_trips


@pytest.fixture
def harness(tmp_path: Any) -> Iterator[Harness]:
    db = open_database(f"sqlite:///{tmp_path / 'reconcile.sqlite'}")
    db.migrate()
    h = Harness(Repository(db, clock=lambda: T0), EngineParams(reoptimise_period_s=1))
    h.add_fleet()
    yield h
    h.close()
    db.dispose()


def start_solve(h: Harness) -> tuple[int, Plan]:
    h.now += 5
    (request,) = [c for c in h.call(Tick()) if isinstance(c, SolveRequested)]
    plan = counted_solve(request.snapshot, request.warm_start, h.params.objective, 200, 3)
    return request.token, plan


def test_a_booking_that_fits_nowhere_in_the_new_plan_keeps_its_bus(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    book_trips(harness)
    _, plan = start_solve(harness)
    (late,) = book_trips(harness, [(5, 94)])  # booked while the solver ran
    home = harness.engine.trips[late].vehicle_id
    current = {str(vid): list(v.visits) for vid, v in harness.engine.vehicles.items()}

    def nothing_fits(snapshot: Any, visits: Any, ids: Any, *args: Any, **kw: Any) -> Any:
        return {vid: tuple(seq) for vid, seq in visits.items()}, list(ids)

    monkeypatch.setattr(reconcile, "insert_requests", nothing_fits)
    base = reconcile.merge_base(harness.engine, harness.now)
    merged = reconcile.merge_with_present(base, plan)
    assert merged[home] == current[str(home)]  # kept as it is, with the late booking
    counts = Counter(v for seq in merged.values() for v in seq)
    expected = {
        v for t in harness.engine.trips.values() if t.status in OPEN_STATUSES for v in t.visits()
    }
    assert set(counts) == expected and set(counts.values()) == {1}


def test_a_booking_made_during_the_solve_is_merged_and_stored(harness: Harness) -> None:
    book_trips(harness)
    token, plan = start_solve(harness)
    book_trips(harness, [(5, 94), (95, 4)])
    harness.call(SolveFinished(token, plan))
    assert harness.engine.solving is None
    live = harness.engine.live_snapshot(harness.now)
    current = harness.engine.current_plan(harness.now)
    assert isinstance(current, Plan) and validate_plan(live.snapshot, current) == []
    assert harness.engine.unplaced() == []
    assert_store_agrees(harness)


def _prepared(h: Harness, plan: Plan) -> PreparedAdoption:
    """What the runner hands over: the plan merged beside the engine with its state now."""
    return reconcile.prepare_adoption(reconcile.merge_base(h.engine, h.now), plan)


def _assert_valid(h: Harness) -> Plan:
    live = h.engine.live_snapshot(h.now)
    current = h.engine.current_plan(h.now)
    assert isinstance(current, Plan) and validate_plan(live.snapshot, current) == []
    assert h.engine.unplaced() == []
    return current


def test_a_plan_merged_beside_the_engine_is_adopted_without_merging_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    book_trips(harness)
    token, plan = start_solve(harness)
    prepared = _prepared(harness, plan)
    assert prepared.candidate is not None, prepared.why_not
    assert reconcile.same_state(prepared, harness.engine.live_snapshot(harness.now))

    def merge_again(*args: Any) -> Any:
        raise AssertionError("the engine merged again although nothing had changed")

    monkeypatch.setattr(reconcile, "prepare_adoption", merge_again)
    commands = harness.call(SolveFinished(token, plan, prepared=prepared))
    assert [c for c in commands if isinstance(c, PlanAdopted)]
    adopted = _assert_valid(harness)
    assert [r.visits for r in adopted.routes] == [r.visits for r in prepared.candidate.routes]
    assert_store_agrees(harness)


def test_what_happens_during_the_merge_is_merged_by_the_engine(harness: Harness) -> None:
    booked = book_trips(harness)
    token, plan = start_solve(harness)
    prepared = _prepared(harness, plan)
    assert prepared.candidate is not None, prepared.why_not
    (late,) = book_trips(harness, [(5, 94)])  # while the runner merged
    harness.call(CancelRequested(booked[0]))
    assert not reconcile.same_state(prepared, harness.engine.live_snapshot(harness.now))
    harness.call(SolveFinished(token, plan, prepared=prepared))
    adopted = _assert_valid(harness)
    planned = {str(s.request_id) for r in adopted.routes for s in r.stops}
    assert late in planned and booked[0] not in planned
    assert_store_agrees(harness)


def test_the_state_has_moved_on_when_time_has(harness: Harness) -> None:
    book_trips(harness)
    _, plan = start_solve(harness)
    prepared = _prepared(harness, plan)
    assert reconcile.same_state(prepared, harness.engine.live_snapshot(harness.now))
    assert not reconcile.same_state(prepared, harness.engine.live_snapshot(harness.now + 1))


def test_a_prepared_plan_that_is_not_better_is_not_adopted(harness: Harness) -> None:
    book_trips(harness)
    token, _ = start_solve(harness)
    current = harness.engine.current_plan(harness.now)
    assert isinstance(current, Plan)
    prepared = _prepared(harness, current)  # the solver found nothing better
    assert prepared.candidate is None and prepared.why_not == ""
    before = {vid: list(v.visits) for vid, v in harness.engine.vehicles.items()}
    assert harness.call(SolveFinished(token, current, prepared=prepared)) == []
    assert {vid: list(v.visits) for vid, v in harness.engine.vehicles.items()} == before
