"""Every store test runs on a real SQLite file and, if configured, on PostgreSQL.

Set ``DISPATCH_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test`` to add
the PostgreSQL runs; each test then gets a fresh schema (dropped afterwards), so
tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dispatch.store import Database, Repository, normalise_url, open_database
from tests.store.factories import NOW

PG_ENV = "DISPATCH_TEST_DATABASE_URL"


def _backends() -> list[object]:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
        not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set"))]  # fmt: skip


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dispatch.sqlite'}"
        return
    base = normalise_url(os.environ[PG_ENV])
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def repo(db: Database) -> Repository:
    return Repository(db, clock=lambda: NOW)
