"""Simulated buses: real websocket clients of the driver API that drive their plans.

Each bus does what a punctual driver with the driver page would do, by the same rules
as the planner's replay (:mod:`dispatch.sim.driving`): it waits where it is until it
must leave, drives the ``route_to`` road path of its next stop in the planned travel
time, reports its position on the way (where it is, when it is there), reports
``arrived``, serves the stop from the plan's start of service for its full boarding
or alighting time, reports ``boarded`` (or, for a few riders, ``no_show`` once the
wait is over) or ``alighted``, then ``departed``, and goes on with whatever plan the
service sent meanwhile. After a dropped connection it reconnects and resumes with the
last plan version it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import websockets

from dispatch.demo.narration import event_line
from dispatch.roads.geometry import decode_polyline
from dispatch.sim.driving import leave_at, service_end, service_start

log = logging.getLogger(__name__)

LatLon = tuple[float, float]


@dataclass(frozen=True, slots=True)
class DriverParams:
    #: Seconds of demo time between two position reports while driving.
    position_every_s: float = 10.0
    #: Share of pickups where the rider does not come (reported after the wait).
    no_show_share: float = 0.05
    #: Wait after the pickup window opened before a no-show (the service's rule).
    no_show_wait_s: int = 180
    #: Real seconds between two steps of the simulation.
    step_s: float = 0.2


def _distance_m(a: LatLon, b: LatLon) -> float:
    kx = math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot((b[0] - a[0]) * 111_320, (b[1] - a[1]) * 111_320 * kx)


def along(points: list[LatLon], share: float) -> LatLon:
    """The point ``share`` (0…1) of the way along a polyline."""
    if len(points) < 2:
        return points[0]
    lengths = [_distance_m(a, b) for a, b in itertools.pairwise(points)]
    goal = max(0.0, min(1.0, share)) * sum(lengths)
    for (a, b), length in zip(itertools.pairwise(points), lengths, strict=True):
        if goal <= length and length > 0:
            f = goal / length
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        goal -= length
    return points[-1]


@dataclass
class Leg:
    """Driving to one stop: the road path, when the bus leaves and when it gets there."""

    stop_id: str
    path: list[LatLon]
    leaves: int
    arrives: int

    def position(self, now: int) -> LatLon:
        if self.arrives <= self.leaves:
            return self.path[-1]
        return along(self.path, (now - self.leaves) / (self.arrives - self.leaves))


@dataclass
class SimulatedDriver:
    base_url: str
    vehicle_id: str
    token: str
    clock: Callable[[], int]
    rng: random.Random
    params: DriverParams = field(default_factory=DriverParams)
    plan: dict[str, Any] | None = None
    position: LatLon | None = None
    served: set[str] = field(default_factory=set)
    events_sent: int = 0
    plans_received: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _ws: Any = None
    _refused: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        ws_base = self.base_url.replace("http://", "ws://").replace("https://", "wss://")
        return f"{ws_base}/v1/vehicles/{self.vehicle_id}/stream"

    async def run(self) -> None:
        """Start the shift, connect, drive, reconnect after a dropped connection; until cancelled."""
        started = False
        while True:
            started = started or await self._start_shift()
            try:
                async with websockets.connect(self.url, open_timeout=10) as ws:
                    self._ws = ws
                    await self._hello(ws)
                    await asyncio.gather(self._receive(ws), self._drive())
            except (OSError, websockets.ConnectionClosed, TimeoutError) as exc:
                if (
                    isinstance(exc, websockets.ConnectionClosed)
                    and exc.rcvd
                    and exc.rcvd.code == 1008
                ):
                    log.error("%s: the service refused the device token", self.vehicle_id)
                    return
                log.info("%s: connection lost (%s); reconnecting", self.vehicle_id, exc)
            finally:
                self._ws = None
            await asyncio.sleep(1.0)

    async def _start_shift(self) -> bool:
        """Press "Start shift" as a driver does, so every page says the shift is running."""
        url = f"{self.base_url}/v1/vehicles/{self.vehicle_id}/shift/start"
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.post(url, headers={"Authorization": f"Bearer {self.token}"})
        except httpx.HTTPError as exc:
            log.info("%s: shift not started (%s)", self.vehicle_id, exc)
            return False
        if answer.status_code != 200:
            log.info("%s: shift not started (HTTP %d)", self.vehicle_id, answer.status_code)
        return answer.status_code in (200, 409)  # 409: today's shift has ended already

    async def _hello(self, ws: Any) -> None:
        hello = {
            "type": "hello",
            "token": self.token,
            "last_version": self.plan["version"] if self.plan else None,
            "shift_id": self.plan["shift_id"] if self.plan else None,
        }
        await ws.send(json.dumps(hello))

    async def send(self, body: dict[str, Any]) -> str:
        message_id = f"{self.vehicle_id}-{next(self._ids)}"
        if self._ws is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await self._ws.send(json.dumps({"id": message_id, **body}))
        return message_id

    async def _receive(self, ws: Any) -> None:
        async for text in ws:
            message = json.loads(text)
            if message["type"] == "plan":
                self.plan = message
                self.plans_received += 1
                await self.send({"type": "ack", "version": message["version"]})
            elif message["type"] == "error":
                self._refused[str(message.get("id"))] = message["detail"]
                log.info("%s: %s", self.vehicle_id, message["detail"])

    def iso(self, t: int) -> str:
        return datetime.fromtimestamp(t, UTC).isoformat()

    def next_stop(self) -> dict[str, Any] | None:
        if self.plan is None:
            return None
        for stop in self.plan["stops"]:
            if (
                stop["kind"] in ("pickup", "dropoff", "break")
                and stop["stop_id"] not in self.served
            ):
                return dict(stop)
        return None

    async def _drive(self) -> None:
        leg: Leg | None = None
        last_report = 0
        while True:
            now = self.clock()
            stop = self.next_stop()
            if stop is None:
                leg = None
            elif leg is None or leg.stop_id != stop["stop_id"]:
                leg = self._leg(stop, now)
            if leg is not None:
                self.position = leg.position(now)
                if now >= leg.arrives:
                    assert stop is not None
                    await self._serve(stop)
                    leg = None
                    continue
            if self.position is not None and now - last_report >= self.params.position_every_s:
                last_report = now
                lat, lon = self.position
                await self.send({"type": "position", "lat": lat, "lon": lon, "at": self.iso(now)})
            await asyncio.sleep(self.params.step_s)

    def _leg(self, stop: dict[str, Any], now: int) -> Leg:
        path = decode_polyline(stop["route_to"]) if stop.get("route_to") else []
        if not path:
            path = [(stop["lat"], stop["lon"])]
        if self.position is not None and _distance_m(self.position, path[0]) > 5:
            path.insert(0, self.position)
        travel = int(stop.get("travel_s") or 0)
        start = _epoch(stop.get("service_start")) or _epoch(stop.get("eta")) or now + travel
        leaves = leave_at(now, start, travel)
        return Leg(stop["stop_id"], path, leaves, leaves + travel)

    async def _serve(self, stop: dict[str, Any]) -> None:
        """Arrive, wait for the plan's start of service, board or drop off for the stop's
        full time (or report a no-show), depart."""
        stop_id = stop["stop_id"]
        self.served.add(stop_id)
        arrival = self.clock()
        await self._event(stop_id, "arrived")
        await asyncio.sleep(self.params.step_s)  # the service answers with the re-timed plan
        planned = self._planned(stop_id) or stop
        start, service_s = _service_times(planned, arrival)
        await self._until(start)
        if stop["kind"] == "break":  # the driver's planned break at the depot
            await self._until(service_end(start, service_s))
            await self._event(stop_id, "departed")
            return
        if stop["kind"] == "pickup":
            if self.rng.random() < self.params.no_show_share and await self._no_show(stop):
                return
            await self._until(service_end(max(start, self.clock()), service_s))
            await self._event(stop_id, "boarded")
        else:
            await self._until(service_end(start, service_s))
            await self._event(stop_id, "alighted")
        await self._event(stop_id, "departed")

    def _planned(self, stop_id: str) -> dict[str, Any] | None:
        """The stop as the latest plan has it (its start of service may have moved)."""
        if self.plan is None:
            return None
        return next((s for s in self.plan["stops"] if s["stop_id"] == stop_id), None)

    async def _no_show(self, stop: dict[str, Any]) -> bool:
        """Wait the rule's time after the window opened and report; True if accepted."""
        opens = _epoch(stop.get("window_start")) or self.clock()
        for _ in range(5):
            await self._until(opens + self.params.no_show_wait_s + 5)
            message_id = await self._event(stop["stop_id"], "no_show")
            await asyncio.sleep(1.0)
            if message_id not in self._refused:
                return True
            opens = self.clock() - self.params.no_show_wait_s + 30
        return False

    async def _event(self, stop_id: str, event: str) -> str:
        self.events_sent += 1
        if line := event_line(self, stop_id, event):
            log.info("%s", line)
        body = {
            "type": "stop_event",
            "stop_id": stop_id,
            "event": event,
            "at": self.iso(self.clock()),
        }
        return await self.send(body)

    async def _until(self, t: int) -> None:
        while self.clock() < t:
            await asyncio.sleep(self.params.step_s)


def _epoch(iso: str | None) -> int | None:
    return None if not iso else int(datetime.fromisoformat(iso).timestamp())


def _service_times(stop: dict[str, Any], arrival: int) -> tuple[int, int]:
    """When service starts (never before arrival) and how long it takes, by the plan."""
    planned = _epoch(stop.get("service_start")) or arrival
    departure = _epoch(stop.get("departure")) or planned
    return service_start(arrival, planned), max(0, departure - planned)
