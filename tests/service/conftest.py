"""A real service process on a free port, with a real SQLite file."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from tests.serving import launch, stop

AGENT_TOKEN = "agent-secret-token-0001"
ADMIN_TOKEN = "admin-secret-token-0001"


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


def start_server(tmp: Path, database: Path, cache: Path, args: Sequence[str] = ()) -> Server:
    osm = os.environ.get("DISPATCH_TEST_OSM")
    if not osm:
        pytest.skip("DISPATCH_TEST_OSM is not set (real OSM extract)")
    env = {
        **os.environ,
        "DISPATCH_OSM_SOURCE": osm,
        "DISPATCH_DATABASE_URL": f"sqlite:///{database}",
        "DISPATCH_OSM_CACHE": str(cache),
        "DISPATCH_AGENT_TOKENS": AGENT_TOKEN,
        "DISPATCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "DISPATCH_LOG_LEVEL": "WARNING",
    }
    launched = launch(tmp, args, env)
    return Server(launched.url, launched.process, env, launched.log, launched.handle)


def stop_server(server: Server) -> None:
    stop(server.process)
    server.handle.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("service")
    running = start_server(tmp, tmp / "dispatch.sqlite", tmp / "cache")
    yield running
    stop_server(running)
