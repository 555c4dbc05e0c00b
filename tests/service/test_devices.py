"""Device tokens survive restarts: issued once (CLI or admin API), stored as a hash only,
shown once; a token written in the service definition keeps working."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from websockets.sync.client import connect

from tests.service.conftest import ADMIN_TOKEN, Server, stop_server
from tests.service.launch import osm_source, service_toml, start_service

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def welcomed(server: Server, vehicle: str, token: str) -> bool:
    url = server.url.replace("http://", "ws://") + f"/v1/vehicles/{vehicle}/stream"
    with connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "token": token}))
        try:
            return bool(json.loads(ws.recv(timeout=10))["type"] == "welcome")
        except Exception:  # closed with 1008: a wrong token
            return False


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from dispatch.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_tokens_are_issued_once_survive_restarts_and_rotate(tmp_path: Path) -> None:
    config = tmp_path / "service.toml"
    # bus-1 has its token in the definition; bus-2 gets one from the CLI.
    toml = service_toml(osm_source(), buses=2, period_s=3600)
    config.write_text(toml.replace('device_token = "device-token-bus-2"\n', ""))
    url = f"sqlite:///{tmp_path / 'devices.sqlite'}"
    server = start_service(tmp_path, url, config, tmp_path / "cache")
    env = {**server.env, "DISPATCH_CONFIG_FILE": str(config)}
    try:
        bad = cli(env, "devices", "token", "bus-2", "--url", "rufbus.example.org")
        assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0
        assert "--url: 'rufbus.example.org' is not an address" in bad.stderr
        issued = cli(env, "devices", "token", "bus-2", "--url", "https://rufbus.example.org/")
        assert issued.returncode == 0, issued.stderr
        token = issued.stdout.split("keep it safe): ")[1].split()[0]
        link = f"driver page: https://rufbus.example.org/driver#vehicle=bus-2&token={token}"
        assert link in issued.stdout
        assert welcomed(server, "bus-2", token)  # works at once, in the running service
        again = cli(env, "devices", "token", "bus-2")
        assert again.returncode == 2 and "rotate" in again.stderr and token not in again.stderr
        configured = cli(env, "devices", "token", "bus-1", "--rotate")
        assert configured.returncode == 2 and "service definition" in configured.stderr
        listed = cli(env, "devices", "list")
        assert "token issued" in listed.stdout and token not in listed.stdout
    finally:
        stop_server(server)
    log = server.log.read_text()
    assert token not in log  # never printed by the service
    with create_engine(url).connect() as c:
        stored = dict(c.execute(text("SELECT id, device_token_hash FROM vehicles")).all())
    assert token not in json.dumps(stored) and stored["bus-2"]
    restarted = start_service(tmp_path, url, config, tmp_path / "cache")
    try:
        assert welcomed(restarted, "bus-2", token)  # the same token after a restart
        assert welcomed(restarted, "bus-1", "device-token-bus-1")  # the definition's token
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        rotated = httpx.post(f"{restarted.url}/v1/admin/vehicles/bus-2/device-token", headers=admin)
        assert rotated.status_code == 201, rotated.text
        new = rotated.json()["device_token"]
        assert welcomed(restarted, "bus-2", new) and not welcomed(restarted, "bus-2", token)
        refused = httpx.post(f"{restarted.url}/v1/admin/vehicles/bus-1/device-token", headers=admin)
        assert refused.status_code == 409
        missing = httpx.post(f"{restarted.url}/v1/admin/vehicles/bus-9/device-token", headers=admin)
        assert missing.status_code == 404
    finally:
        stop_server(restarted)


@pytest.mark.parametrize(
    "url",
    ["https://", "http://exa mple.org", "https://r.org/p?x=1", "https://r.org/#f",
     "https://r.org:99999", "https://u:pw@r.org", "ftp://r.org", "r.org"],
)  # fmt: skip
def test_a_driver_link_address_that_would_break_the_link_is_refused(url: str) -> None:
    from dispatch.errors import InputError
    from dispatch.service.devices_cli import _public_url

    with pytest.raises(InputError, match="is not an address like"):
        _public_url(url)


def test_a_driver_link_address_is_written_plainly() -> None:
    from dispatch.service.devices_cli import _public_url

    assert _public_url("HTTPS://Rufbus.Example.org/") == "https://rufbus.example.org"
    assert _public_url("http://10.0.0.5:8100/rufbus") == "http://10.0.0.5:8100/rufbus"


def test_driver_links_of_a_deployment_name_their_area(tmp_path: Path) -> None:
    from tests.cluster.shape import area_toml
    from tests.production import fresh_database

    osm = osm_source()
    for area in ("north", "east"):
        (tmp_path / f"{area}.toml").write_text(area_toml(osm, area, 2))
    assert toml_without_token(tmp_path / "east.toml", "bus-2")  # the CLI issues it
    deployment = tmp_path / "deployment.toml"
    deployment.write_text('[[areas]]\nconfig = "north.toml"\n\n[[areas]]\nconfig = "east.toml"\n')
    with fresh_database() as database_url:
        env = {**os.environ, "DISPATCH_DATABASE_URL": database_url}
        unchosen = cli(env, "devices", "list", "--config", str(deployment))
        assert unchosen.returncode == 2 and unchosen.stderr.strip().count("\n") == 0
        assert "choose the area with --area (one of: north, east)" in unchosen.stderr
        args = ["--config", str(deployment), "--area", "east"]
        listed = cli(env, "devices", "list", *args)
        assert listed.returncode == 0, listed.stderr
        issued = cli(env, "devices", "token", "bus-9", *args)  # no such vehicle
        assert issued.returncode == 2
        issued = cli(env, "devices", "token", "bus-2", *args, "--url", "https://rufbus.example.org")
        assert issued.returncode == 0, issued.stderr
        assert "driver page: https://rufbus.example.org/areas/east/driver#vehicle=bus-2&token=" in (
            issued.stdout
        )


def toml_without_token(path: Path, vehicle: str) -> bool:
    """Leave ``vehicle``'s device token out of the definition (so the CLI may issue one)."""
    text = path.read_text()
    line = f'device_token = "device-token-{vehicle}"\n'
    path.write_text(text.replace(line, ""))
    return line in text


def test_without_area_the_token_goes_where_the_service_runs(tmp_path: Path) -> None:
    """On a database where only the production shape ran (the area's own schema), a token
    issued without --area is stored there — where the engine and workers look for it —
    and not in a second, unused set of tables."""
    from dispatch.deployment import area_database_url
    from dispatch.store import open_database
    from dispatch.store.database import ensure_schema
    from tests.cluster.shape import area_toml
    from tests.production import fresh_database

    config = tmp_path / "north.toml"
    config.write_text(area_toml(osm_source(), "north", 2))
    assert toml_without_token(config, "bus-2")
    with fresh_database() as database_url:
        ensure_schema(database_url, "area_north")  # as an engine does
        engine_db = open_database(area_database_url(database_url, "north"))
        engine_db.migrate()
        engine_db.dispose()
        env = {**os.environ, "DISPATCH_DATABASE_URL": database_url}
        issued = cli(env, "devices", "token", "bus-2", "--config", str(config))
        assert issued.returncode == 0, issued.stderr
        assert "production shape: area 'north'" in issued.stderr
        engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT device_token_hash FROM area_north.vehicles WHERE id = 'bus-2'")
            ).scalar()
            public = connection.execute(text("SELECT to_regclass('public.alembic_version')"))
            assert stored and public.scalar() is None
        engine.dispose()
