"""A planned break of the service definition reaches the driver and is taken (real server)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.driver_api.conftest import ZONE, Server, answer, hello, start_server, until

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def with_break(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    local = datetime.now(ZoneInfo(ZONE))
    start = local + timedelta(hours=1)
    if start.date() != local.date() or start.hour >= 22:
        pytest.skip("too late in the day for a break inside today's test shift")
    span = f'breaks = [["{start:%H:%M}", "{start + timedelta(minutes=30):%H:%M}"]]\n'
    running = start_server(tmp_path_factory.mktemp("breaks"), breaks=span)
    yield running
    running.stop()


def test_the_planned_break_is_on_the_plan_and_taken_once(with_break: Server) -> None:
    with hello(with_break) as ws:
        plan, _ = until(ws, "plan")
        breaks = [s for s in plan["stops"] if s["kind"] == "break"]
        assert len(breaks) == 1, plan["stops"]
        stop = breaks[0]
        assert stop["booking_id"] is None and stop["passengers"] == 0
        assert stop["departure"] > stop["service_start"]  # it lasts its 30 minutes
        event = {"type": "stop_event", "stop_id": stop["stop_id"], "at": None}
        boarded, _ = answer(ws, {**event, "id": "b1", "event": "boarded"})
        assert boarded["type"] == "error"
        arrived, _ = answer(ws, {**event, "id": "b2", "event": "arrived"})
        assert arrived["type"] == "ok", arrived
        departed, seen = answer(ws, {**event, "id": "b3", "event": "departed"})
        assert departed["type"] == "ok", departed
        plans = [m for m in seen if m["type"] == "plan"]
        after = plans[-1] if plans else until(ws, "plan")[0]
        if any(s["kind"] == "break" for s in after["stops"]):  # the version before "departed"
            after, _ = until(ws, "plan")
        assert not [s for s in after["stops"] if s["kind"] == "break"]
        again, _ = answer(ws, {**event, "id": "b4", "event": "departed"})
        assert again["type"] == "error" and "over" in str(again["detail"])
