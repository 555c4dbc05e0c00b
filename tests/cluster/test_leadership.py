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
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dispatch.errors import InputError
from dispatch.store.database import normalise_url
from dispatch.store.leadership import AreaLeadership, LeadershipLost, lock_key
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


def _named(url: str, name: str) -> Engine:
    """Database sessions as an engine's store would open them (named after the engine)."""
    return create_engine(normalise_url(url), connect_args={"application_name": name})


def test_a_silent_leader_is_replaced_and_its_writes_are_fenced_off() -> None:
    """A leader that stops renewing its lease (frozen, cut off) loses every session to
    the standby after the lease timeout; woken up, it can neither renew nor write."""
    url, area = os.environ[PG_ENV], _area()
    silent = AreaLeadership(url, area, 1.0, name=f"test-a-{area}")
    standby = AreaLeadership(url, area, 1.0, name=f"test-b-{area}")
    store, leader_store = _named(url, silent.name), _named(url, standby.name)
    try:
        assert silent.wait(threading.Event()) and silent.still_leads()
        frozen = Session(store)
        frozen.begin()
        silent.fence(frozen)  # a write of the leader, left open as by a frozen process
        started, give_up = time.monotonic(), threading.Event()
        threading.Timer(10, give_up.set).start()
        assert standby.wait(give_up), "the standby did not replace the silent leader"
        assert 1.0 <= time.monotonic() - started < 10
        assert standby.epoch == (silent.epoch or 0) + 1
        assert not silent.still_leads()  # its lock session was ended: it stops
        with pytest.raises(OperationalError):
            frozen.execute(text("SELECT 1"))  # and so was its write
        frozen.close()
        with Session(store) as woken, woken.begin(), pytest.raises(LeadershipLost):
            silent.fence(woken)  # any later write is refused before it writes
        with Session(leader_store) as session, session.begin():
            standby.fence(session)  # the new leader writes
    finally:
        leader_store.dispose()
        store.dispose()
        silent.release()
        standby.release()


def test_a_leader_that_renews_its_lease_keeps_the_lead() -> None:
    url, area = os.environ[PG_ENV], _area()
    leader = AreaLeadership(url, area, 1.0, name=f"test-a-{area}")
    standby = AreaLeadership(url, area, 1.0, name=f"test-b-{area}")
    stop = threading.Event()
    try:
        assert leader.wait(threading.Event())

        def renew() -> None:
            while not stop.wait(0.2):
                assert leader.still_leads()

        renewing = threading.Thread(target=renew)
        renewing.start()
        threading.Timer(2.5, stop.set).start()
        assert not standby.wait(stop)  # 2.5 s: more than twice the lease timeout
        renewing.join()
        assert leader.still_leads()
        engine = create_engine(normalise_url(url))
        with engine.begin() as connection:  # as if another engine had taken the lease
            connection.execute(
                text("UPDATE rufbus.engine_leases SET epoch = epoch + 1 WHERE area = :a"),
                {"a": area},
            )
        engine.dispose()
        assert not leader.still_leads()
    finally:
        stop.set()
        leader.release()
        standby.release()


def test_a_lease_timeout_shorter_than_the_standbys_polling_is_refused() -> None:
    with pytest.raises(InputError, match="lease timeout"):
        AreaLeadership(os.environ.get(PG_ENV, "postgresql://x/y"), "north", 0.5)
