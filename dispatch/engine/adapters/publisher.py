"""Plan versions from the engine to whoever shows them to drivers.

The engine thread publishes; websocket handlers on the event loop subscribe per
vehicle. The in-memory implementation keeps the latest version of each vehicle (for
clients that reconnect) and a bounded queue per subscriber. Every version holds the
vehicle's whole plan, so a subscriber that falls behind loses nothing by skipping
versions: when its queue is full, the queued versions make way for the newest. A
client that stops reading is therefore never a burden to the others; its connection is
closed when its socket stops taking messages (the driver API's send time limit). A later deployment can put
PostgreSQL LISTEN/NOTIFY or Redis streams behind the same protocol.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class PublishedPlan:
    """One plan version of one vehicle, ready to be sent (JSON-serialisable payload)."""

    vehicle_id: str
    version: int
    payload: Mapping[str, Any]


class Subscription(Protocol):
    async def next(self) -> PublishedPlan: ...

    @property
    def skipped(self) -> int: ...

    def close(self) -> None: ...


class PlanPublisher(Protocol):
    def publish(self, plan: PublishedPlan) -> None: ...

    def latest(self, vehicle_id: str) -> PublishedPlan | None: ...

    def subscribe(self, vehicle_id: str, loop: asyncio.AbstractEventLoop) -> Subscription: ...


@dataclass(eq=False)
class _Subscriber:
    vehicle_id: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[PublishedPlan]
    owner: InMemoryPublisher
    #: Versions that were superseded before this subscriber took them.
    skipped: int = 0
    closed: bool = field(default=False)

    async def next(self) -> PublishedPlan:
        return await self.queue.get()

    def offer(self, plan: PublishedPlan) -> None:
        """Runs on the subscriber's loop: enqueue; when full, the queued versions make way."""
        if self.closed:
            return
        if self.queue.full():
            while not self.queue.empty():
                self.queue.get_nowait()
                self.skipped += 1
        self.queue.put_nowait(plan)

    def close(self) -> None:
        self.closed = True
        self.owner.remove(self)


class InMemoryPublisher:
    """Publisher for one process: thread-safe publish, asyncio subscribers."""

    def __init__(self, queue_size: int = 32) -> None:
        self.queue_size = queue_size
        self._lock = threading.Lock()
        self._latest: dict[str, PublishedPlan] = {}
        self._subscribers: dict[str, set[_Subscriber]] = {}
        self.published = 0

    def publish(self, plan: PublishedPlan) -> None:
        with self._lock:
            current = self._latest.get(plan.vehicle_id)
            if current is not None and current.version >= plan.version:
                return
            self._latest[plan.vehicle_id] = plan
            subscribers = list(self._subscribers.get(plan.vehicle_id, ()))
            self.published += 1
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, plan)
            except RuntimeError:  # the subscriber's loop is gone
                sub.close()

    def latest(self, vehicle_id: str) -> PublishedPlan | None:
        with self._lock:
            return self._latest.get(vehicle_id)

    def subscribe(self, vehicle_id: str, loop: asyncio.AbstractEventLoop) -> _Subscriber:
        queue: asyncio.Queue[PublishedPlan] = asyncio.Queue(self.queue_size)
        sub = _Subscriber(vehicle_id, loop, queue, self)
        with self._lock:
            self._subscribers.setdefault(vehicle_id, set()).add(sub)
        return sub

    def subscriber_count(self, vehicle_id: str | None = None) -> int:
        with self._lock:
            if vehicle_id is not None:
                return len(self._subscribers.get(vehicle_id, ()))
            return sum(len(s) for s in self._subscribers.values())

    def subscribed(self) -> frozenset[str]:
        """The vehicles (shifts) with at least one connected subscriber."""
        with self._lock:
            return frozenset(v for v, subs in self._subscribers.items() if subs)

    def remove(self, sub: _Subscriber) -> None:
        with self._lock:
            subs = self._subscribers.get(sub.vehicle_id)
            if subs is not None:
                subs.discard(sub)
