"""The demo's clock: real time, optionally faster, during operating hours.

The service, the simulated buses and the demo riders share it. Outside operating
hours the demo starts at the next morning's opening plus one hour, so that the main
command shows buses at work whenever it is run.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from dispatch.config import ServiceConfig


class DemoClock:
    """Epoch seconds: ``start`` + wall seconds since creation × ``speedup``."""

    def __init__(self, start: int, speedup: float = 1.0) -> None:
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        self.start, self.speedup = start, speedup
        self._wall0 = time.monotonic()

    def __call__(self) -> int:
        return self.start + int((time.monotonic() - self._wall0) * self.speedup)

    def wall_seconds(self, sim_seconds: float) -> float:
        """How long ``sim_seconds`` of demo time take in real time."""
        return sim_seconds / self.speedup


def demo_start(config: ServiceConfig, now: int, min_left_s: int = 3 * 3600) -> int:
    """``now`` if the service runs for at least ``min_left_s`` more, else opening + 1 h."""
    local = datetime.fromtimestamp(now, config.zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        span = config.hours.on(day.weekday())
        if span is None:
            continue
        opens, closes = config.epoch(day, span.start), config.epoch(day, span.end)
        if opens <= now and now + min_left_s <= closes:
            return now
        if now < opens + 3600 and opens + 3600 + min_left_s <= closes:
            return opens + 3600
    return now
