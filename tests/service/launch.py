"""Real ``dispatch serve`` processes on SQLite or PostgreSQL, with a small test service.

Shared by the crash suite, the database-fault tests, the bad-input tests and the API
fuzzing run. PostgreSQL gets a fresh schema per server (see ``tests.databases``) and an
``application_name`` naming it, so a test can find (and drop) exactly its own connections.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.databases import PG_ENV, postgresql_schema
from tests.service.conftest import ADMIN_TOKEN, AGENT_TOKEN, Server
from tests.serving import launch

DEPOTS = [
    (50.0185111, 11.5017849),  # Neudrossenfeld
    (50.0276079, 11.5689206),  # Harsdorf
    (49.9860761, 11.5078916),  # Altenplos
    (50.0321097, 11.527626),  # Waldau
]

SERVICE = """\
name = "Test service"
[region]
file = "{osm}"
[hours]
daily = ["00:00", "23:59"]
[booking]
prebooking_horizon_days = 2
[reoptimisation]
debounce_s = {debounce_s}
period_s = {period_s}
time_limit_s = {time_limit_s}
{vehicles}
[[fleet.shifts]]
vehicle = "*"
"""


def service_toml(
    osm: str, buses: int = 4, seats: int = 8, period_s: int = 2, time_limit_s: float = 1.0
) -> str:
    vehicles = []
    shifts = []
    for k in range(buses):
        lat, lon = DEPOTS[k % len(DEPOTS)]
        vehicles.append(
            f'[[fleet.vehicles]]\nid = "bus-{k + 1}"\nseats = {seats}\nwheelchair_places = 1\n'
            f'depot = {{ lat = {lat}, lon = {lon} }}\ndevice_token = "device-token-bus-{k + 1}"\n'
        )
        shifts.append(
            f'[[fleet.shifts]]\nvehicle = "bus-{k + 1}"\nweekdays = "daily"\n'
            'start = "00:00"\nend = "23:59"\n'
        )
    text = SERVICE.format(
        osm=osm,
        debounce_s=1,
        period_s=period_s,
        time_limit_s=time_limit_s,
        vehicles="\n".join(vehicles),
    )
    return text.replace('[[fleet.shifts]]\nvehicle = "*"\n', "\n".join(shifts))


def osm_source() -> str:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    return osm


def start_service(tmp: Path, database_url: str, config: Path, cache: Path) -> Server:
    env = {
        **os.environ,
        "DISPATCH_DATABASE_URL": database_url,
        "DISPATCH_OSM_CACHE": str(cache),
        "DISPATCH_AGENT_TOKENS": AGENT_TOKEN,
        "DISPATCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "DISPATCH_LOG_LEVEL": "WARNING",
    }
    launched = launch(tmp, ["--config", str(config)], env, timeout_s=120)
    return Server(launched.url, launched.process, env, launched.log, launched.handle)


@contextmanager
def database(kind: str, tmp: Path) -> Iterator[tuple[str, str]]:
    """``(url, application_name)`` of a fresh database of ``kind`` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'dispatch.sqlite'}", ""
        return
    if not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} not set")
    name = f"rufbus-test-{uuid.uuid4().hex[:10]}"
    with postgresql_schema(application_name=name) as url:
        yield url, name
