"""Leader election per service area with a PostgreSQL advisory lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from dispatch.errors import InputError
from dispatch.store.leadership import AreaLeadership, lock_key
from tests.databases import PG_ENV

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set")

HOLD = """
import sys, time, threading
from dispatch.store.leadership import AreaLeadership
lead = AreaLeadership(sys.argv[1], sys.argv[2])
assert lead.wait(threading.Event())
print("leading", flush=True)
time.sleep(600)
"""


def _area() -> str:
    return f"area-{uuid.uuid4().hex[:8]}"


def test_one_leader_per_area_and_the_standby_takes_over_on_release() -> None:
    url, area = os.environ[PG_ENV], _area()
    first, second = AreaLeadership(url, area), AreaLeadership(url, area)
    other_area = AreaLeadership(url, _area())
    try:
        assert first.wait(threading.Event()) and first.still_leads()
        assert other_area.wait(threading.Event())  # another area has its own leader
        stop, told = threading.Event(), []
        timer = threading.Timer(1.0, stop.set)
        timer.start()
        assert not second.wait(stop, waiting=lambda: told.append(True))  # a standby waits
        assert told == [True]
        first.release()
        assert not first.still_leads()
        assert second.wait(threading.Event()) and second.still_leads()
    finally:
        for lead in (first, second, other_area):
            lead.release()


def test_the_standby_leads_within_seconds_of_kill_minus_9() -> None:
    url, area = os.environ[PG_ENV], _area()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, url, area], stdout=subprocess.PIPE, text=True
    )
    standby = AreaLeadership(url, area)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "leading"
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        assert not standby.wait(stop)  # the holder leads
        holder.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        holder.wait(timeout=10)
        assert standby.wait(threading.Event())
        assert time.monotonic() - killed < 5
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()
        standby.release()


def test_sqlite_cannot_elect_a_leader() -> None:
    with pytest.raises(InputError, match="needs PostgreSQL"):
        AreaLeadership("sqlite:///x.sqlite", "north")


def test_lock_keys_are_stable_and_differ_by_area() -> None:
    assert lock_key("north-bayreuth") == lock_key("north-bayreuth")
    assert lock_key("north-bayreuth") != lock_key("krems")
    assert -(2**63) <= lock_key("krems") < 2**63
