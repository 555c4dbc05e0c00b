from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import dispatch.store.tables  # noqa: F401  (registers the tables)
from dispatch.store import Database, Repository, normalise_url, open_database
from dispatch.store.database import MIGRATIONS_DIR, ensure_schema
from dispatch.store.errors import StoreError
from tests.databases import PG_ENV

TABLES = {
    "riders", "bookings", "booking_events", "offers", "vehicles", "shifts", "stops",
    "plan_versions", "stop_events", "idempotency_keys", "standing_orders", "alembic_version",
    "incidents", "unmet_requests", "stop_proposals",
}  # fmt: skip


def test_migration_from_empty_creates_every_table(db: Database) -> None:
    assert set(inspect(db.engine).get_table_names()) == TABLES
    assert db.current_revision() == "0004"


def test_migrations_match_the_table_classes(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_migrate_again_keeps_the_data(database_url: str) -> None:
    first = open_database(database_url)
    first.migrate()
    Repository(first).create_rider("Anna", "+49 921 1234567")
    first.dispose()
    again = open_database(database_url)
    again.migrate()
    assert Repository(again).find_rider_by_phone("0921 1234567") is not None
    again.dispose()


def test_sqlite_connections_are_tuned(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'sub' / 'x.sqlite'}")
    with db.engine.connect() as connection:
        pragma = {
            name: connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    db.dispose()
    assert pragma == {"journal_mode": "wal", "busy_timeout": 1000, "foreign_keys": 1,
                      "synchronous": 1}  # fmt: skip


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
    ],
)
def test_urls_use_psycopg(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


@pytest.mark.parametrize("url", ["nonsense", "mysql://u@h/db", "sqlite://", "sqlite:///:memory:"])
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(StoreError):
        open_database(url)


def test_migrations_ship_with_the_package() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert (MIGRATIONS_DIR / "versions" / "0001_initial.py").is_file()


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set")
def test_processes_starting_at_once_create_an_area_schema_once() -> None:
    """An engine and its API workers all call ensure_schema at start: none may fail."""
    base = os.environ[PG_ENV]
    schemas = [f"area_race_{uuid.uuid4().hex[:8]}" for _ in range(5)]
    errors: list[BaseException] = []

    def create(schema: str, start: threading.Barrier) -> None:
        start.wait()
        try:
            ensure_schema(base, schema)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    admin = create_engine(normalise_url(base))
    try:
        for schema in schemas:
            start = threading.Barrier(8)
            threads = [threading.Thread(target=create, args=(schema, start)) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert errors == []
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'area_race_%'")
            ).scalars()
            assert set(schemas) <= set(found)
    finally:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
