"""A simulated bus tells the dispatcher where it really is, also while it stands."""

from __future__ import annotations

from collections.abc import Sequence

from dispatch.engine.events import PositionReported, StopEventKind, StopEventReported
from dispatch.model import StopKind
from dispatch.sim.vehicles import PlanStop, SimulatedBus


class Line:
    """Nodes 0, 1, 2, … on a straight road, 100 s and 1 km apart."""

    def path_steps(self, source: int, target: int) -> Sequence[tuple[int, int, int]]:
        step = 1 if target >= source else -1
        nodes = range(source, target + step, step)
        return [(n, 100 * i, 1000 * i) for i, n in enumerate(nodes)]


def bus() -> SimulatedBus:
    return SimulatedBus("bus-1@day", 0, 0, 10_000, Line(), {"b1": 1, "b2": 1})


def run_until_boarded(b: SimulatedBus) -> list[object]:
    events: list[object] = []
    now = 0
    while not any(isinstance(e, StopEventReported) and e.event is StopEventKind.BOARDED
                  for e in events):  # fmt: skip
        due = b.wake_time(now)
        assert due is not None
        now = due
        events += b.wake(now)
    return events


def test_a_bus_waiting_to_leave_late_reports_that_it_is_still_there_now() -> None:
    b = bus()
    # Pick up b1 at node 1 at t=100, then b2 at node 3 not before t=2000: the bus waits
    # at node 1 after boarding and leaves late (at 1800), as a driver would.
    b.set_plan(
        [PlanStop("b1", StopKind.PICKUP, 1, 100, 30), PlanStop("b2", StopKind.PICKUP, 3, 2000, 30)],
        0,
    )
    events = run_until_boarded(b)  # (the dispatcher then sends the plan without b1)
    assert StopEventReported("bus-1@day", "b1", StopEventKind.BOARDED, 130) in events
    b.set_plan([PlanStop("b2", StopKind.PICKUP, 3, 2000, 30)], 130)
    assert b.wake_time(130) == 1800  # leaves late
    # At 1000 it still stands at node 1: the dispatcher hears "node 1 at 1000", not
    # "node 1 at 130" (which would let it plan the bus as if it had left at 130).
    assert b.position_report(1000) == PositionReported("bus-1@day", 1, 1000)
    assert b.position_report(1000) is None  # nothing new to say


def test_a_bus_on_its_way_reports_the_last_node_it_reached_and_when() -> None:
    b = bus()
    b.set_plan([PlanStop("b1", StopKind.PICKUP, 3, 300, 30)], 0)
    assert b.wake_time(0) == 0  # must leave at once to be there at 300
    b.wake(0)
    b.advance(250)
    assert b.position_report(250) == PositionReported("bus-1@day", 2, 200)
