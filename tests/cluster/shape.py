"""The production shape started for real: engines and API workers as processes, on
PostgreSQL and a Redis server of the test's own. Shared by the tests and the benchmark."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import redis
from sqlalchemy import create_engine, text

from dispatch.deployment import area_schema
from dispatch.store import normalise_url
from tests.service.conftest import ADMIN_TOKEN, AGENT_TOKEN
from tests.service.launch import service_toml
from tests.serving import free_port, stop

COMMAND = [sys.executable, "-c", "from dispatch.cli import main; main()"]


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]
    url: str = ""

    def kill_hard(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Shape:
    """One deployment: its areas' definitions, environment and running processes."""

    tmp: Path
    #: The deployment or service definition (``None``: the built-in service).
    config: Path | None
    areas: list[str]
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, *args: str) -> Process:
        log = self.tmp / f"{name}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            [*COMMAND, *args], env=self.env, stdout=handle, stderr=subprocess.STDOUT, cwd=self.tmp
        )
        started = Process(name, process, log, handle)
        self.processes.append(started)
        return started

    def engine(self, name: str, area: str | None = None) -> Process:
        args = ["engine", *self._config()]
        return self.start(name, *args, *(["--area", area] if area else []))

    def api(self, name: str, workers: int = 1, timeout_s: float = 90) -> Process:
        port = free_port()
        args = ["api", *self._config(), "--workers", str(workers)]
        started = self.start(name, *args, "--port", str(port))
        started.url = f"http://127.0.0.1:{port}"
        wait_ready(started, timeout_s)
        return started

    def _config(self) -> list[str]:
        return [] if self.config is None else ["--config", str(self.config)]

    def stop_all(self) -> None:
        for p in self.processes:
            stop(p.process)
            p.handle.close()
        self.processes.clear()

    def drop(self) -> None:
        """Remove the areas' schemas from the test database and their keys from Redis."""
        engine = create_engine(normalise_url(self.env["DISPATCH_DATABASE_URL"]))
        with engine.begin() as connection:
            for area in self.areas:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{area_schema(area)}" CASCADE'))
        engine.dispose()
        redis_url = self.env.get("DISPATCH_REDIS_URL")
        if redis_url:
            client = redis.Redis.from_url(redis_url)
            try:
                for area in self.areas:
                    keys = list(client.scan_iter(match=f"rufbus:{area}*", count=500))
                    if keys:
                        client.delete(*keys)
            finally:
                client.close()


def wait_ready(p: Process, timeout_s: float = 90, path: str = "/readyz") -> None:
    """Until ``path`` answers 200 (the area's engine leads and everything answers)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if p.process.poll() is not None:
            raise RuntimeError(f"{p.name} died: {p.text()[-3000:]}")
        try:
            if httpx.get(p.url + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{p.name} not ready: {p.text()[-3000:]}")


def area_toml(osm: str, area: str, buses: int, period_s: int = 30) -> str:
    toml = service_toml(osm, buses=buses, period_s=period_s)
    return toml.replace('name = "Test service"', f'name = "Test {area}"\narea = "{area}"', 1)


def make_shape(
    tmp: Path,
    database_url: str,
    redis_url: str,
    regions: list[tuple[str, str, int]],
) -> Shape:
    """A deployment of ``regions`` (OSM file, area prefix, buses); area names are unique
    per call, so that tests on one PostgreSQL server never share a schema."""
    suffix = uuid.uuid4().hex[:6]
    areas, lines = [], []
    for osm, prefix, buses in regions:
        area = f"{prefix}-{suffix}"
        (tmp / f"{area}.toml").write_text(area_toml(osm, area, buses))
        areas.append(area)
        lines.append(f'[[areas]]\nconfig = "{area}.toml"\n')
    config = tmp / "deployment.toml"
    config.write_text("\n".join(lines))
    env = {
        **os.environ,
        "DISPATCH_DATABASE_URL": database_url,
        "DISPATCH_REDIS_URL": redis_url,
        "DISPATCH_OSM_CACHE": str(tmp / "cache"),
        "DISPATCH_AGENT_TOKENS": AGENT_TOKEN,
        "DISPATCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "DISPATCH_LOG_LEVEL": "INFO",
    }
    return Shape(tmp, config, areas, env)


def clip_extract(source: Path, target: Path, bbox: tuple[float, float, float, float]) -> None:
    """Write the part of OSM extract ``source`` inside ``bbox`` (south, west, north, east)
    to ``target`` (OSM XML): the nodes inside, and the ways all of whose nodes are inside.
    A third, smaller service area for the tests, made from the shared data at run time."""
    import osmium

    south, west, north, east = bbox
    inside: set[int] = set()

    class Nodes(osmium.SimpleHandler):  # type: ignore[misc]
        def node(self, n: Any) -> None:
            ok = n.location.valid() and south <= n.location.lat <= north
            if ok and west <= n.location.lon <= east:
                inside.add(n.id)

    Nodes().apply_file(str(source))
    writer = osmium.SimpleWriter(str(target))

    class Copy(osmium.SimpleHandler):  # type: ignore[misc]
        def node(self, n: Any) -> None:
            if n.id in inside:
                writer.add_node(n)

        def way(self, w: Any) -> None:
            if all(r.ref in inside for r in w.nodes):
                writer.add_way(w)

    try:
        Copy().apply_file(str(source))
    finally:
        writer.close()
