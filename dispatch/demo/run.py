"""Run the demo buses and riders in a background thread next to the service."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time

import httpx

from dispatch.demo.clock import DemoClock
from dispatch.demo.fleet import DriverParams, SimulatedDriver
from dispatch.demo.narration import every_s, summary_line
from dispatch.demo.riders import DemoRiders

log = logging.getLogger(__name__)

#: Demo minutes between two summaries in the log.
SUMMARY_EVERY_MIN = 5.0


class Demo:
    """The simulated buses (one websocket client each) and the demo riders."""

    def __init__(
        self,
        base_url: str,
        devices: list[tuple[str, str]],
        clock: DemoClock,
        seed: int = 1,
        no_show_wait_s: int = 180,
    ) -> None:
        self.base_url, self.clock = base_url, clock
        rng = random.Random(seed)
        params = DriverParams(no_show_wait_s=no_show_wait_s)
        self.drivers = [
            SimulatedDriver(base_url, vid, token, clock, random.Random(rng.random()), params)
            for vid, token in devices
        ]
        self.riders = DemoRiders(base_url, clock, random.Random(rng.random()), clock.wall_seconds)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._main, name="dispatch-demo", daemon=True)
        thread.start()
        return thread

    def _main(self) -> None:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per demo request is noise
        if not self._wait_for_service():
            log.error("demo: the service did not come up; no demo buses")
            return
        asyncio.run(self.run())

    def _wait_for_service(self, timeout_s: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/v1/health", timeout=2).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        return False

    async def run(self) -> None:
        log.info(
            "demo: %d buses connect to the driver API; riders start booking", len(self.drivers)
        )
        tasks = [asyncio.create_task(d.run()) for d in self.drivers]
        tasks += [asyncio.create_task(self.riders.run()), asyncio.create_task(self._report())]
        await asyncio.gather(*tasks)

    async def _report(self) -> None:
        """A short summary every few demo minutes (at least every half minute of real time)."""
        pause = every_s(SUMMARY_EVERY_MIN, self.clock.speedup)
        while True:
            await asyncio.sleep(pause)
            log.info("%s", summary_line(self.drivers, self.riders.booked, self.riders.refused))
