"""The production shape serving one area, for test modules that run against both shapes.

``dispatch engine`` and ``dispatch api --workers 2`` as real processes, on a PostgreSQL
database of their own (created on the test server, dropped at the end: the area's
schema name is fixed by its name, so two runs must not share a database) and a Redis
server of their own (on a free port). Modules whose ``server`` fixture is parametrised
over :data:`SHAPES` run every test against ``dispatch serve`` and against this.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.cluster.conftest import RedisServer
from tests.cluster.shape import Process, Shape
from tests.databases import PG_ENV
from tests.service.conftest import ADMIN_TOKEN, AGENT_TOKEN
from tests.serving import free_port

SHAPES = ["all-in-one", "production"]


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database on the PostgreSQL test server."""
    if not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} not set: the production shape needs PostgreSQL")
    base = make_url(os.environ[PG_ENV])
    name = f"rufbus_shape_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def production_service(
    tmp: Path, config: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[Process]:
    """An API worker process (its ``url``) in front of the area's engine; ``config`` is
    the service definition (the built-in one without it); ``env`` adds settings."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis_server = RedisServer(free_port(), tmp)
    with fresh_database() as database_url:
        redis_server.start()
        extra = env or {}
        env = {
            **os.environ,
            "DISPATCH_DATABASE_URL": database_url,
            "DISPATCH_REDIS_URL": redis_server.url,
            "DISPATCH_OSM_CACHE": str(tmp / "cache"),
            "DISPATCH_AGENT_TOKENS": AGENT_TOKEN,
            "DISPATCH_ADMIN_TOKEN": ADMIN_TOKEN,
            "DISPATCH_LOG_LEVEL": "WARNING",
        }
        env.update(extra)
        if os.environ.get("DISPATCH_TEST_OSM"):
            env["DISPATCH_OSM_SOURCE"] = os.environ["DISPATCH_TEST_OSM"]
        shape = Shape(tmp, config, [], env)
        try:
            shape.engine("engine")
            yield shape.api("api", workers=2, timeout_s=180)
        finally:
            shape.stop_all()
            redis_server.stop()
