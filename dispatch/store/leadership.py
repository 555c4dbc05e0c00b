"""Who leads a service area's engine: a PostgreSQL advisory lock per area.

The first ``dispatch engine`` for an area takes the lock and is its single writer; a
second one waits (a hot standby: map loaded, solver started) and takes the lock the
moment the leader's database session ends — PostgreSQL releases a session's advisory
locks when its connection closes, also when the process was killed with ``kill -9``.
The leader checks its session every second; if the session is gone (database
restarted, network cut), it has lost the lock and must stop writing at once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from dispatch.errors import InputError
from dispatch.store.database import normalise_url

log = logging.getLogger(__name__)

#: Seconds between two attempts of a standby to take the lock, and between checks.
POLL_S = 0.25


def lock_key(area: str) -> int:
    """The advisory-lock key of an area: a signed 64-bit number from its name."""
    digest = hashlib.sha256(f"rufbus-engine:{area}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AreaLeadership:
    """The advisory lock of one area, held on a connection of its own."""

    def __init__(self, database_url: str, area: str) -> None:
        url = normalise_url(database_url)
        if not url.startswith("postgresql"):
            raise InputError(
                "dispatch engine needs PostgreSQL (DISPATCH_DATABASE_URL=postgresql://…): "
                "its advisory locks decide which engine leads an area"
            )
        self.area, self.key = area, lock_key(area)
        self._engine = create_engine(url, pool_pre_ping=True)
        self._connection: Connection | None = None

    def wait(self, stop: threading.Event, waiting: Callable[[], None] | None = None) -> bool:
        """Block until this process leads the area (True) or ``stop`` is set (False).

        ``waiting`` is called once if another process leads at first (to say so)."""
        told = False
        while not stop.is_set():
            try:
                if self._try():
                    return True
            except SQLAlchemyError as exc:
                log.warning("cannot reach the database to lead %s (%s)", self.area, exc)
            if not told and waiting is not None:
                waiting()
                told = True
            stop.wait(POLL_S)
        return False

    def _try(self) -> bool:
        connection = self._engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
        if got.scalar():
            connection.commit()
            self._connection = connection
            return True
        connection.rollback()
        connection.close()
        return False

    def still_leads(self) -> bool:
        """The session that holds the lock is alive (checked with a round trip)."""
        if self._connection is None:
            return False
        try:
            # A session-level advisory lock lasts as long as its session: alive = held.
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except SQLAlchemyError:
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._connection.commit()
                self._connection.close()
            except SQLAlchemyError:
                pass  # the session is gone: so is the lock
            self._connection = None
        self._engine.dispose()
