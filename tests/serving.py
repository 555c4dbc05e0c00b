"""Start a real ``dispatch serve`` process for end-to-end tests and wait until it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Launched:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]


def launch(
    tmp: Path, args: Sequence[str], env: Mapping[str, str], timeout_s: float = 60.0
) -> Launched:
    """``dispatch serve ARGS --port P`` in ``tmp``; returns once ``/v1/health`` answers 200.

    Raises ``RuntimeError`` with the tail of the server's log if it dies or does not
    answer within ``timeout_s``.
    """
    port = free_port()
    log = tmp / f"server-{port}.log"
    handle = log.open("wb")
    command = [sys.executable, "-c", "from dispatch.cli import main; main()", "serve"]
    process = subprocess.Popen(
        [*command, *args, "--port", str(port)],
        env=dict(env),
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    launched = Launched(f"http://127.0.0.1:{port}", process, log, handle)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            handle.close()
            raise RuntimeError(f"server died: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{launched.url}/v1/health", timeout=1).status_code == 200:
                return launched
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(launched.process)
    handle.close()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate gracefully (SIGTERM), killing it if it does not end in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
