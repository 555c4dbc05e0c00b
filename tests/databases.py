"""The database backends every persistence test runs on: a SQLite file, and PostgreSQL.

PostgreSQL runs when ``DISPATCH_TEST_DATABASE_URL`` is set (CI sets it); each test gets
a fresh schema (dropped afterwards), so tests never see each other's rows and parallel
runs on one server are safe.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dispatch.store import normalise_url

PG_ENV = "DISPATCH_TEST_DATABASE_URL"


def backends() -> list[object]:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
        not os.environ.get(PG_ENV), reason=f"{PG_ENV} not set"))]  # fmt: skip


@contextmanager
def postgresql_schema(application_name: str | None = None) -> Iterator[str]:
    """A URL of the test server whose connections use a fresh schema (dropped at the end)."""
    base = normalise_url(os.environ[PG_ENV])
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    url = f"{base}{separator}options=-csearch_path%3D{schema}"
    if application_name:
        url += f"&application_name={application_name}"
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dispatch.sqlite'}"
        return
    with postgresql_schema() as url:
        yield url
