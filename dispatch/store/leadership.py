"""Who leads a service area's engine: a PostgreSQL advisory lock per area.

The first ``dispatch engine`` for an area takes the lock and is its single writer; a
second one waits (a hot standby: map loaded, solver started) and takes the lock the
moment the leader's database session ends — PostgreSQL releases a session's advisory
locks when its connection closes, also when the process was killed with ``kill -9``.
The leader checks its session every second; if the session is gone (database
restarted, network cut), it has lost the lock and must stop writing at once.

A leader whose session lives on but who does nothing — a frozen process (``kill
-STOP``, a paused virtual machine) or one cut off from the database while its TCP
connections stay open — would keep the lock for ever. So the leader also renews a
**lease** every second (``rufbus.engine_leases``: area, holder, epoch, renewed at, in the
database's own clock). A standby that finds the lease older than the lease timeout
ends every database session of the silent leader (each engine's sessions carry its
name as their ``application_name``): the lock is free, and the standby leads with the
next **epoch**. Every write of a leader's decisions first reads the area's epoch, with
a share lock on it (:meth:`AreaLeadership.fence`): a leader that wakes up after it was
replaced finds another epoch and stops before it writes anything, and a new leader's
epoch waits for any write of the old one still under way, so that its rebuild from
the database sees it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from dispatch.errors import InputError
from dispatch.store.database import normalise_url

log = logging.getLogger(__name__)

#: Seconds between two attempts of a standby to take the lock, and between checks.
POLL_S = 0.25
#: A leader that has not renewed its lease for this long is replaced by a standby.
LEASE_TIMEOUT_S = 10.0

#: In a schema of its own beside the areas' (PostgreSQL 15 and later let only the
#: database owner create tables in ``public``).
_LEASES = """
CREATE SCHEMA IF NOT EXISTS rufbus;
CREATE TABLE IF NOT EXISTS rufbus.engine_leases (
    area text PRIMARY KEY,
    holder text NOT NULL,
    epoch bigint NOT NULL,
    renewed_at timestamptz NOT NULL
)"""


def engine_name() -> str:
    """This process as a database session's ``application_name`` (at most 63 bytes)."""
    return f"rufbus-engine {os.getpid()}@{socket.gethostname()}"[:63]


class LeadershipLost(RuntimeError):
    """Another engine leads the area now: this one must not write (and should stop)."""


def lock_key(area: str) -> int:
    """The advisory-lock key of an area: a signed 64-bit number from its name."""
    digest = hashlib.sha256(f"rufbus-engine:{area}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AreaLeadership:
    """The advisory lock of one area, held on a connection of its own."""

    def __init__(
        self,
        database_url: str,
        area: str,
        lease_timeout_s: float = LEASE_TIMEOUT_S,
        name: str | None = None,
    ) -> None:
        url = normalise_url(database_url)
        if not url.startswith("postgresql"):
            raise InputError(
                "dispatch engine needs PostgreSQL (DISPATCH_DATABASE_URL=postgresql://…): "
                "its advisory locks decide which engine leads an area"
            )
        if lease_timeout_s <= 3 * POLL_S:
            raise InputError(f"the lease timeout must be over {3 * POLL_S} s")
        self.area, self.key, self.lease_timeout_s = area, lock_key(area), lease_timeout_s
        #: Every database session of this engine carries this name (see ``engine_name``).
        self.name = name or engine_name()
        self._engine = create_engine(
            url, pool_pre_ping=True, connect_args={"application_name": self.name}
        )
        self._connection: Connection | None = None
        #: The epoch this engine leads in (set when it takes the lead).
        self.epoch: int | None = None

    def wait(self, stop: threading.Event, waiting: Callable[[], None] | None = None) -> bool:
        """Block until this process leads the area (True) or ``stop`` is set (False).

        ``waiting`` is called once if another process leads at first (to say so)."""
        told = False
        while not stop.is_set():
            try:
                if self._try():
                    return True
                self._replace_if_silent()
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
            try:
                self.epoch = self._next_epoch(connection)
            except BaseException:
                connection.close()  # and with the session, the lock
                raise
            self._connection = connection
            return True
        connection.rollback()
        connection.close()
        return False

    def _next_epoch(self, connection: Connection) -> int:
        """Take the lease with the next epoch (under the lock: one leader at a time).

        The update waits for any write of the previous leader that still holds the epoch
        (:meth:`fence`), so that the rebuild which follows sees it."""
        # Leaders of two areas may create the table at once: one after the other.
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key("")})
        connection.execute(text(_LEASES))
        epoch = connection.execute(
            text(
                "INSERT INTO rufbus.engine_leases (area, holder, epoch, renewed_at) "
                "VALUES (:a, :h, 1, now()) ON CONFLICT (area) DO UPDATE SET "
                "holder = :h, epoch = engine_leases.epoch + 1, renewed_at = now() "
                "RETURNING epoch"
            ),
            {"a": self.area, "h": self.name},
        ).scalar_one()
        connection.commit()
        log.info("%s leads %s in epoch %d", self.name, self.area, epoch)
        return int(epoch)

    def _replace_if_silent(self) -> None:
        """End the sessions of a leader whose lease ran out (frozen, or cut off)."""
        with self._engine.connect() as connection:
            if connection.execute(text("SELECT to_regclass('rufbus.engine_leases')")).scalar():
                row = connection.execute(
                    text(
                        "SELECT holder, extract(epoch FROM now() - renewed_at) "
                        "FROM rufbus.engine_leases WHERE area = :a"
                    ),
                    {"a": self.area},
                ).first()
            else:  # no engine has led any area in this database yet
                row = None
            if row is None or row[0] == self.name or float(row[1]) < self.lease_timeout_s:
                connection.rollback()
                return
            ended = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :h AND pid <> pg_backend_pid()"
                ),
                {"h": row[0]},
            ).scalar_one()
            connection.commit()
        log.warning(
            "the leader of %s (%s) has not renewed its lease for %.0f s: "
            "ended its %d database sessions to take over",
            self.area,
            row[0],
            float(row[1]),
            ended,
        )

    def still_leads(self) -> bool:
        """The session that holds the lock is alive and the lease is still this engine's;
        renews the lease (call it every second or so)."""
        if self._connection is None:
            return False
        try:
            # A session-level advisory lock lasts as long as its session: alive = held.
            renewed = self._connection.execute(
                text(
                    "UPDATE rufbus.engine_leases SET renewed_at = now() "
                    "WHERE area = :a AND epoch = :e"
                ),
                {"a": self.area, "e": self.epoch},
            )
            self._connection.commit()
        except SQLAlchemyError:
            return False
        return renewed.rowcount == 1

    def fence(self, session: Session) -> None:
        """Inside a write transaction, before writing: raise ``LeadershipLost`` unless the
        area's epoch is still this engine's (a share lock on it holds off a new leader's
        epoch until this transaction ends)."""
        epoch = session.execute(
            text("SELECT epoch FROM rufbus.engine_leases WHERE area = :a FOR SHARE"),
            {"a": self.area},
        ).scalar()
        if epoch is None or epoch != self.epoch:
            raise LeadershipLost(
                f"{self.area} is led in epoch {epoch} now, this engine led epoch {self.epoch}"
            )

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._connection.commit()
            except SQLAlchemyError:
                pass  # the session is gone: so is the lock
            finally:
                self._connection.invalidate()  # closed, and never handed out again
            self._connection = None
        self._engine.dispose()
