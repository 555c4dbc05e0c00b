"""Every store test runs on a real SQLite file and, if configured, on PostgreSQL.

Set ``DISPATCH_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test`` to add
the PostgreSQL runs; each test then gets a fresh schema (dropped afterwards), so
tests never see each other's rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dispatch.store import Database, Repository, open_database
from tests.databases import database_url
from tests.store.factories import NOW

__all__ = ["database_url"]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def repo(db: Database) -> Repository:
    return Repository(db, clock=lambda: NOW)
