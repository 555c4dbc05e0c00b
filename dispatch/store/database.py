"""Open the database (SQLite file or PostgreSQL), run migrations, hand out transactions.

SQLite is tuned for one service process with a few threads: WAL (readers never block
the writer), ``synchronous=NORMAL`` (a commit survives a process crash; a power cut
may lose the last commits but never corrupts), foreign keys on, and ``BEGIN IMMEDIATE``
for every transaction, so that a transaction that reads and then writes waits for the
write lock up front instead of failing half-way (the price: read transactions queue
behind the writer too; they are all short).

A database that does not answer must not hold riders and drivers for long: waiting for
a lock (SQLite's busy timeout, PostgreSQL's ``lock_timeout``), for a pooled connection
or for a new one is bounded to about a second each, and every failure of that kind
leaves :meth:`Database.transaction` as :class:`~dispatch.store.errors.StoreUnavailable`
(the API answers 503 with ``Retry-After``; the next request tries again, so the service
recovers by itself when the database is back). Connections that the server dropped are
noticed when they are taken from the pool (``pool_pre_ping``) and replaced.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session

from dispatch.store.errors import StoreError, StoreUnavailable, UnstorableValue

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 1000
#: Longest wait for a pooled connection (the rest of the 2 s an answer may take).
POOL_TIMEOUT_S = 0.8
#: PostgreSQL: longest wait for a row or table lock, and for a new connection (libpq's minimum).
PG_LOCK_TIMEOUT_MS = 1000
PG_CONNECT_TIMEOUT_S = 2


class _OnlyUpgrades(logging.Filter):
    """Lets through only alembic's lines about migrations it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.getMessage().startswith("Running ")


MIGRATE_LOCK = 0x52_75_66_62  # "Rufb": the advisory lock key held while migrating


def ensure_schema(url: str, schema: str) -> None:
    """Create PostgreSQL schema ``schema`` if it does not exist (one per service area)."""
    if not schema.replace("_", "").isalnum():
        raise StoreError(f"not a schema name: {schema!r}")
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as connection:
            # "IF NOT EXISTS" is not atomic: two processes starting at once (an engine and
            # its API workers) can both try to create it. One creates, the others wait here.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key, hashtext(:schema))"),
                {"key": MIGRATE_LOCK, "schema": schema},
            )
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    except (OperationalError, InterfaceError) as exc:
        where = make_url(normalise_url(url)).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise StoreUnavailable(f"cannot reach the database {where}: {reason}") from exc
    finally:
        engine.dispose()


def normalise_url(url: str) -> str:
    """Use the psycopg (v3) driver for PostgreSQL, whatever spelling the URL has."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(eq=False)
class Database:
    """An open database: the engine plus migrations and transactions."""

    engine: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def migrate(self) -> None:
        """Bring the schema to the newest revision; a no-op when it is up to date."""
        # Alembic announces each of its plugins and its database dialect at INFO on every
        # start; only real migrations ("Running upgrade …") are news.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        migration_log = logging.getLogger("alembic.runtime.migration")
        if not any(isinstance(f, _OnlyUpgrades) for f in migration_log.filters):
            migration_log.addFilter(_OnlyUpgrades())
        config = alembic_config()
        try:
            with self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # Several processes may start at once: one migrates a schema at a time
                    # (each service area has its own schema); the others wait for it.
                    connection.execute(text("SET LOCAL lock_timeout = '120s'"))
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                        {"key": MIGRATE_LOCK},
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise StoreError(f"database migration failed: {exc.orig}") from exc

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session inside one transaction: committed on success, rolled back on error.

        Raises
        ------
        StoreUnavailable
            The database did not answer in time (locked, unreachable, connection lost).
        UnstorableValue
            The database refused a value (a bad input that got past validation).
        """
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except (OperationalError, InterfaceError, PoolTimeoutError) as exc:
            raise StoreUnavailable(_unavailable(exc)) from exc
        except DataError as exc:
            raise UnstorableValue("a value cannot be stored (invalid characters or range)") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreUnavailable(_unavailable(exc)) from exc
            raise

    def ping(self) -> None:
        """Ask the database for ``SELECT 1`` (readiness checks).

        Raises
        ------
        StoreUnavailable
            The database did not answer in time.
        """
        with self.transaction() as session:
            session.connection().execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _unavailable(exc: Exception) -> str:
    log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
    return "the database is not answering right now; please try again in a moment"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def open_database(url: str) -> Database:
    """Create the engine for ``url`` (``sqlite:///path`` or ``postgresql://...``).

    Does not touch the schema: call ``Database.migrate()`` at start-up.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        return Database(_sqlite_engine(url, parsed.database))
    if parsed.get_backend_name() == "postgresql":
        return Database(_postgresql_engine(url))
    raise StoreError(
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if not database or database == ":memory:":
        raise StoreError("SQLite needs a file (sqlite:///path/to/file.sqlite), not memory")
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    # SQLite has one writer at a time, and every transaction here begins IMMEDIATE. With
    # many threads in one process, one pooled connection makes them queue in Python (fair,
    # no lost wake-ups) instead of spinning in SQLite's busy handler until it gives up.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=1,
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT_S,
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _postgresql_engine(url: str) -> Engine:
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_S,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )
    event.listen(engine, "connect", _postgresql_on_connect)
    return engine


def _postgresql_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # A session setting rather than a connect option: the URL may carry its own options.
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {PG_LOCK_TIMEOUT_MS}")
    finally:
        dbapi_connection.autocommit = autocommit


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Leave transaction control to SQLAlchemy's "begin" event (see module docstring).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
