"""The re-optimisation log line never reports a negative saving and says what it measures."""

from __future__ import annotations

import re

from dispatch.engine.reconcile import adopted_line
from dispatch.model import Cost


def _plan(drive_s: int, excess_s: int) -> Cost:
    return Cost(drive_s, excess_s, 0, drive_s + 0.2 * excess_s)


def test_more_driving_for_shorter_rides_is_said_as_such() -> None:
    line = adopted_line(7, _plan(3600, 2000), _plan(3654, 1500), 2)
    assert line.startswith("re-optimisation 7 adopted, 2 vehicles re-planned:")
    assert "planned driving 0.9 min more" in line
    assert "riders' time beyond their direct rides 8.3 min less" in line
    assert not re.search(r"-\s?\d", line.split("(objective")[0]), "no negative numbers"
    assert "riders' waiting unchanged" in line


def test_waiting_is_named_when_it_pays_for_the_rest() -> None:
    before = Cost(3600, 1000, 0, 3600 + 0.2 * 1000 + 0.2 * 9000, wait_s=9000)
    after = Cost(3960, 2680, 0, 3960 + 0.2 * 2680 + 0.2 * 4000, wait_s=4000)
    line = adopted_line(8, before, after, 2)
    assert "planned driving 6.0 min more" in line and "riders' waiting 83.3 min less" in line
    assert "(objective, weighted: 5600 -> 5296)" in line


def test_less_driving() -> None:
    line = adopted_line(8, _plan(3600, 1000), _plan(3000, 1000), 1)
    assert "planned driving 10.0 min less" in line and "direct rides unchanged" in line
