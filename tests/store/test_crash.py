"""Persist, then acknowledge: a booking reported as confirmed survives ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from dispatch.model import BookingStatus
from dispatch.store import Repository, open_database

ROOT = Path(__file__).resolve().parents[2]


def test_confirmed_bookings_survive_a_killed_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    db = open_database(url)
    db.migrate()
    db.dispose()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_writer", url],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    acknowledged = [child.stdout.readline().strip() for _ in range(25)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    reopened = open_database(url)
    reopened.migrate()
    repo = Repository(reopened)
    stored = {b.id: b for b in repo.list_open_bookings()}
    with reopened.engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    reopened.dispose()
    assert set(acknowledged) <= set(stored)
    assert all(stored[b].status is BookingStatus.CONFIRMED for b in acknowledged)
    assert len(stored) >= len(acknowledged)
