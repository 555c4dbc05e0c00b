"""A real service process on a free port, with a real SQLite file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

AGENT_TOKEN = "agent-secret-token-0001"
ADMIN_TOKEN = "admin-secret-token-0001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path
    handle: IO[bytes]

    def kill_hard(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.handle.close()


def start_server(tmp: Path, database: Path, cache: Path) -> Server:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    port = _free_port()
    env = {
        **os.environ,
        "DISPATCH_OSM_SOURCE": osm,
        "DISPATCH_DATABASE_URL": f"sqlite:///{database}",
        "DISPATCH_OSM_CACHE": str(cache),
        "DISPATCH_AGENT_TOKENS": AGENT_TOKEN,
        "DISPATCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "DISPATCH_LOG_LEVEL": "WARNING",
    }
    log = tmp / f"server-{port}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from dispatch.cli import main; main()",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    server = Server(f"http://127.0.0.1:{port}", process, env, log, handle)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            handle.close()
            raise RuntimeError(f"server died: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{server.url}/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    process.wait(timeout=10)
    handle.close()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    server.handle.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("service")
    running = start_server(tmp, tmp / "dispatch.sqlite", tmp / "cache")
    yield running
    stop_server(running)
